"""The shipped setup, run for real (issue #25): PostgreSQL, gunicorn under the command line
of deploy/systemd/shopguard.service with deploy/shopguard.env.example filled in with fresh
keys, and nginx in front with deploy/nginx/shopguard.conf and a certificate made for the
run. Through nginx over HTTPS: a public page, a real sign-in (password, then the
authenticator's code), a signed-in page, a reveal, and an export requested by a manager,
approved by the owner and downloaded. ``check --deploy`` passes with the same environment.

Only what a server has differs: addresses, ports and paths (swapped as
tests/shopguard/test_behind_nginx.py does it), the database (a throwaway one on the test's
PostgreSQL server) and the mail (written to a folder: no mail server here). The people
and the customer are made on the server's side, with the server's keys: the first owner
by ``createowner`` as docs/operations.md says, the rest by ``manage.py shell``.

It needs nginx, gunicorn and PostgreSQL: locally it skips without one of them; with
``CI=true`` it fails instead (.ci/run runs it in its PostgreSQL pass and leaves it out of
the SQLite one).
"""

import io
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import pyzipper
from django.db import connection

from tests.shopguard.test_behind_nginx import CSRF, Nginx, free_port, nginx_or_skip
from tests.upkeep.test_deploy import clean_env, exec_start, filled_template

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
CLIENT = "127.0.0.2"
PASSWORD = "a production run passphrase 25"
MARKER_EMAIL = "production.run@example.com"  # clearly fake, like every test customer

# Made with the server's own keys, inside the server's database.
SETUP = f"""
import json
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
from accounts import twofactor
from accounts.roles import set_role
from customers.models import Customer
from vault.roles import MANAGER

User = get_user_model()
manager = User(username="bob")
manager.set_password({PASSWORD!r})
manager.save()
set_role(manager, MANAGER)
people = {{}}
for user in User.objects.filter(username__in=["olivia", "bob"]):
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    people[user.username] = {{"key": device.key, "codes": twofactor.new_recovery_codes(user)}}
customer = Customer.objects.create(
    name="本番 試験", email={MARKER_EMAIL!r}, phone="090-2525-0025"
)
print(json.dumps({{"people": people, "customer": str(customer.pk)}}))
"""


def missing_pieces():
    missing = []
    if not (GUNICORN.is_file() and os.access(GUNICORN, os.X_OK)):
        missing.append("gunicorn (make .venv/bin/.installed)")
    if connection.vendor != "postgresql":
        missing.append("PostgreSQL (DATABASE_URL=postgres://...)")
    return missing


def production_or_skip():
    nginx_or_skip()
    missing = missing_pieces()
    if missing:
        reason = "the production run needs " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI never skips the production run: {reason}")
        pytest.skip(reason)


def server_env(folder, database_url):
    """The shipped template with fresh keys, and this machine's addresses and paths."""
    path = filled_template(folder)
    values = {
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_URL": f"filemail://{folder / 'mail'}",
        "AUDIT_CHECKPOINT_FILE": str(folder / "audit-checkpoints.txt"),
        "BACKUP_DIR": str(folder / "backups"),
    }
    lines = []
    for line in path.read_text().splitlines():
        name = line.split("=", 1)[0]
        lines.append(f"{name}={values.pop(name)}" if name in values else line)
    assert not values, f"deploy/shopguard.env.example no longer sets {sorted(values)}"
    path.write_text("\n".join(lines) + "\n")
    return path


def manage(env_file, *args, **extra):
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean_env(env_file), **extra},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"manage.py {args[0]}: {done.stderr[-3000:]}"
    return done.stdout


class Gunicorn:
    """gunicorn with the service's own command line, on a free port."""

    def __init__(self, env_file, log):
        self.port = free_port()
        command = exec_start("shopguard.service")
        bind = command.index("--bind")
        assert command[bind + 1] == "127.0.0.1:8000"
        command[bind + 1] = f"127.0.0.1:{self.port}"
        self.command = [str(GUNICORN), *command[1:]]
        self.env, self.log = clean_env(env_file), log

    def __enter__(self):
        self.output = self.log.open("w")
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=self.output, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("gunicorn did not start listening")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.output.close()


class Browser:
    """One person's browser: a cookie jar over ``Nginx.send``, over HTTPS only."""

    def __init__(self, nginx):
        self.nginx, self.cookies = nginx, {}

    def send(self, method, path, fields=None, raw=False):
        # The CSRF cookie is the one Nginx.send sets; the rest come from the server.
        jar = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        headers = {"Cookie": "; ".join(filter(None, [f"csrftoken={CSRF}", jar]))}
        status, answer, body = self.nginx.send(CLIENT, method, path, fields, headers, raw=raw)
        for cookie in answer.get_all("Set-Cookie") or []:
            name, value = cookie.split(";", 1)[0].split("=", 1)
            if "Max-Age=0" in cookie:  # deleted (Django deletes without the Secure flag)
                self.cookies.pop(name, None)
                continue
            assert "; Secure" in cookie, f"the {name} cookie must be Secure"
            if name != "csrftoken":
                self.cookies[name] = value
        return status, answer, body

    def sign_in(self, username, person):
        fields = {"username": username, "password": PASSWORD, "next": "/admin/"}
        status, answer, _ = self.send("POST", "/admin/login/?next=/admin/", fields)
        assert status == 302 and answer["Location"].startswith("/admin/two-factor/")
        status, answer, _ = self.send("POST", "/admin/two-factor/", {"code": code(person)})
        assert (status, answer["Location"]) == (302, "/admin/")

    def reauthenticate(self, person, back):
        # The authenticator's code was spent at sign-in: a recovery code confirms now.
        fields = {"password": PASSWORD, "code": person["codes"].pop(), "next": back}
        status, answer, _ = self.send("POST", "/admin/reauth/", fields)
        assert (status, answer["Location"]) == (302, back)


def code(person):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.twofactor import current_code

    return current_code(TOTPDevice(key=person["key"]))


@pytest.fixture
def production(tmp_path, empty_database):
    """(nginx, people, customer id, the run's env file) of a running production setup."""
    production_or_skip()
    env_file = server_env(tmp_path, empty_database)
    manage(env_file, "migrate", "--noinput")
    manage(
        env_file, "createowner", "olivia", "--password-env", "RUN_PASSWORD", RUN_PASSWORD=PASSWORD
    )
    made = json.loads(manage(env_file, "shell", "-c", SETUP).strip().splitlines()[-1])
    nginx_folder = tmp_path / "nginx"
    nginx_folder.mkdir()
    with (
        Gunicorn(env_file, tmp_path / "gunicorn.log") as app,
        Nginx(nginx_folder, app.port) as nginx,
    ):
        yield nginx, made["people"], made["customer"], env_file


def accept_house_rules(browser):
    """Accept the house rules in force (version 1, published by the migrations) as the
    rules page's form does."""
    status, answer, _ = browser.send(
        "POST", "/admin/policy/rules/", {"version": "1", "confirm": "on", "next": "/admin/"}
    )
    assert status == 302 and answer["Location"] == "/admin/", (status, answer)


@pytest.mark.django_db(transaction=True)
def test_the_shipped_setup_serves_the_shop_through_nginx_over_https(production):
    nginx, people, customer, env_file = production
    olivia, bob = Browser(nginx), Browser(nginx)

    # A public page, for anyone.
    status, _, page = olivia.send("GET", "/privacy/")
    assert status in (200, 302)
    if status == 302:
        status, _, page = olivia.send("GET", _["Location"])
    assert status == 200 and "プライバシー" in page
    assert nginx.tls_version in {"TLSv1.2", "TLSv1.3"}

    # A real sign-in, then a signed-in page.
    olivia.sign_in("olivia", people["olivia"])
    status, _, page = olivia.send("GET", "/admin/")
    assert status == 200 and "olivia" in page

    # The house rules first: customer pages show them until she accepts (policy.rules).
    status, _, page = olivia.send("GET", f"/admin/customers/customer/{customer}/")
    assert status == 403 and "所内ルール" in page
    accept_house_rules(olivia)

    # One reveal: the owner sees one customer's phone number, recorded.
    reveal = f"/admin/customers/customer/{customer}/reveal/phone/"
    status, _, page = olivia.send("POST", reveal, {"reason_code": "inquiry", "note": ""})
    assert status == 200 and "090-2525-0025" in page

    # An export: the manager asks, the owner approves, the manager downloads it.
    bob.sign_in("bob", people["bob"])
    accept_house_rules(bob)
    bob.reauthenticate(people["bob"], "/admin/exports/new/")
    ask = {
        "purpose": "年末のお礼状の発送",
        "recipient": "internal",
        "recipient_name": "",
        "fields": "email",
        "scope": "all",
        "encoding": "utf-8-sig",
    }
    status, answer, _ = bob.send("POST", "/admin/exports/new/", ask)
    assert status == 302, answer
    export = re.fullmatch(r"/admin/exports/([^/]+)/", answer["Location"]).group(1)
    olivia.reauthenticate(people["olivia"], f"/admin/exports/{export}/")
    status, _, _ = olivia.send("POST", f"/admin/exports/{export}/decide/", {"decision": "approve"})
    assert status == 302
    status, _, page = bob.send("POST", f"/admin/exports/{export}/prepare/", {})
    assert status == 200
    password = re.search(r'<code id="archive-password">([^<]+)</code>', page).group(1)
    status, answer, archive = bob.send("POST", f"/admin/exports/{export}/download/", {}, raw=True)
    assert status == 200 and answer["Content-Type"] == "application/zip"
    assert MARKER_EMAIL.encode() not in archive  # encrypted on the way
    with pyzipper.AESZipFile(io.BytesIO(archive)) as opened:
        opened.setpassword(password.encode())
        assert MARKER_EMAIL in opened.read("customers.csv").decode("utf-8-sig")

    # The deployment checks pass with the very environment the run used.
    manage(env_file, "check", "--deploy", "--fail-level", "WARNING")


def test_without_its_pieces_it_skips_locally_and_fails_in_ci(monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "GUNICORN", Path("/nonexistent/gunicorn"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        production_or_skip()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI never skips"):
        production_or_skip()
