"""The app for the browser journeys, started as ``make run`` starts it.

A throwaway directory gets its own env file (``shopguard/envfile.py``), then
``migrate``, ``seed_demo`` and ``runserver --insecure --noreload`` run as subprocesses
with that file and nothing of the test process's own keys. With DATABASE_URL set (the
PostgreSQL pass of CI) the server uses a throwaway database on that server, dropped after.
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
# Variables the test run sets for itself (tests/testenv.py); the server reads its own file.
TEST_RUN_VARIABLES = (
    "SHOPGUARD_ENV_FILE",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "BLIND_INDEX_KEY",
    "AUDIT_CHAIN_KEY",
    "AUDIT_SIGNING_KEY",
    "SHOPGUARD_HTTPS",
    "DEBUG",
    "SHOPGUARD_UNRECORDED_READS",
    "DATABASE_URL",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)
# A staff member's reveal quota, small so the staff journey reaches it in a few clicks.
STAFF_REVEALS_PER_HOUR = 3


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class App:
    """A running ShopGuard: its URL, env file and ``manage.py`` against the same env."""

    def __init__(self, directory, database_url):
        self.directory = Path(directory)
        self.env_file = self.directory / ".env"
        self.database_url = database_url
        self.url = None

    def environment(self):
        env = {k: v for k, v in os.environ.items() if k not in TEST_RUN_VARIABLES}
        env["SHOPGUARD_ENV_FILE"] = str(self.env_file)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def manage(self, *args, stdin=None):
        """Run ``manage.py`` against this app's env file; return its standard output."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.environment(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def shell(self, code):
        """Run Python inside the app (``manage.py shell``); return what it printed as JSON."""
        return json.loads(self.manage("shell", "--no-imports", stdin=code).strip().splitlines()[-1])

    def write_env(self, extra):
        subprocess.run(
            [sys.executable, "shopguard/envfile.py", str(self.env_file)], cwd=ROOT, check=True
        )
        lines = [f"DATABASE_URL={self.database_url}"]
        lines += [f"{name}={value}" for name, value in extra.items()]
        with self.env_file.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")

    def env_value(self, name):
        for line in self.env_file.read_text(encoding="utf-8").splitlines():
            if line.startswith(f"{name}="):
                return line.split("=", 1)[1]
        raise KeyError(name)


def wait_until_serving(url, process, log):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"runserver exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/privacy/", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"runserver did not answer within 60 s:\n{log.read_text()}")


@contextmanager
def throwaway_database():
    """The database URL for the server: SQLite in the directory, or a new PostgreSQL one."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        yield None
        return
    import psycopg

    name = f"shopguard_e2e_{secrets.token_hex(4)}"
    parts = urlsplit(base)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def running_app(directory):
    """Prepare the app as ``make run`` does and serve it until the block ends."""
    with throwaway_database() as database_url:
        app = App(directory, database_url or f"sqlite:///{Path(directory) / 'db.sqlite3'}")
        app.write_env(
            {
                "SHOPGUARD_REQUIRE_2FA": "1",
                "SHOPGUARD_STAFF_REVEALS_PER_HOUR": STAFF_REVEALS_PER_HOUR,
            }
        )
        app.manage("migrate", "--noinput")
        app.manage("seed_demo", "--if-empty", "--customers", "30")
        port = free_port()
        app.url = f"http://127.0.0.1:{port}"
        log = app.directory / "runserver.log"
        with log.open("w") as output:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "runserver",
                    "--insecure",
                    "--noreload",
                    f"127.0.0.1:{port}",
                ],
                cwd=ROOT,
                env=app.environment(),
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_until_serving(app.url, process, log)
                yield app
            finally:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
