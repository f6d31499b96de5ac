"""Behind real nginx, each client keeps its own limits (issue #22, finding 5).

nginx is Debian's package (``.ci/run`` installs it, like chromium), started by the test on
127.0.0.1 with its own prefix in a temporary folder and the shipped site file,
``deploy/nginx/shopguard.conf``, with only its addresses, ports and paths swapped. TLS
with a certificate the test makes. Clients connect from different loopback addresses
(127.0.0.2, 127.0.0.3), so nginx sees them as two machines. Locally the test skips when
nginx is missing; with ``CI=true`` it fails instead, like the browser journeys.
"""

import datetime
import http.client
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from audit.models import AuditEntry
from datarequests.models import DataRequest
from datarequests.views import REQUESTS_PER_HOUR
from tests.factories import PASSWORD
from tests.parallel import PARALLEL, burst

pytestmark = PARALLEL

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx" / "shopguard.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
A, B = "127.0.0.2", "127.0.0.3"  # two clients, as nginx sees them
BURST = 30
LOGIN = "/admin/login/"
FORM = "/privacy/requests/"
CSRF = "0123456789abcdef0123456789abcdef"  # a CSRF secret both cookie and form carry
REQUEST = {
    "kind": "disclose",
    "name": "経由 花子",
    "phone": "090-1234-5678",
    "details": "保有している情報を開示してください。",
}


def nginx_or_skip():
    if Path(NGINX).is_file() and os.access(NGINX, os.X_OK):
        return
    reason = "Debian's nginx is not installed (apt-get install -y nginx)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI never skips the nginx test: {reason}")
    pytest.skip(reason)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def self_signed_certificate(folder):
    """A certificate for 127.0.0.1, valid for a day; returns (certificate, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def swapped(text, old, new):
    """``text`` with ``old`` replaced; the shipped file must hold it exactly once."""
    assert text.count(old) == 1, f"deploy/nginx/shopguard.conf no longer holds {old!r}"
    return text.replace(old, new)


class Nginx:
    """Real nginx in front of the live app, with the shipped site file."""

    def __init__(self, folder, app_port):
        self.folder = folder
        self.http_port, self.https_port = free_port(), free_port()
        self.cert, key = self_signed_certificate(folder)
        self.static = folder / "static"
        self.static.mkdir()
        site = SITE.read_text()
        site = swapped(site, "server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
        site = swapped(site, "listen 80;", f"listen 127.0.0.1:{self.http_port};")
        site = swapped(site, "listen 443 ssl", f"listen 127.0.0.1:{self.https_port} ssl")
        live = "/etc/letsencrypt/live/shop.example.jp/"
        site = swapped(site, live + "fullchain.pem", str(self.cert))
        site = swapped(site, live + "privkey.pem", str(key))
        site = swapped(site, "/srv/shopguard/staticfiles/", f"{self.static}/")
        (folder / "shopguard.conf").write_text(site)
        temp = "\n".join(
            f"    {kind}_temp_path {folder}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        # As root (CI), nginx's workers would run as nobody, who cannot enter the
        # temporary folder; the test's own user serves instead.
        user = "user root;" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(
            f"{user}\nworker_processes 1;\npid {folder}/nginx.pid;\n"
            f"error_log {folder}/error.log;\nevents {{}}\n"
            f"http {{\n    access_log {folder}/access.log;\n{temp}\n"
            f"    include {folder}/shopguard.conf;\n}}\n"
        )

    def __enter__(self):
        # -e: the log nginx writes before it reads its config, also in the folder.
        command = [NGINX, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf")]
        command += ["-e", str(self.folder / "error.log")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stderr
        self.process = subprocess.Popen([*command, "-g", "daemon off;"])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.folder / "error.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("nginx did not start listening")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=15)

    def send(self, source, method, path, fields=None, headers=None, tls=True, raw=False):
        """One request from the loopback address ``source``; (status, headers, body), the
        body as text, or as bytes when ``raw`` (a download)."""
        if tls:
            context = ssl.create_default_context(cafile=str(self.cert))
            connection = http.client.HTTPSConnection(
                "127.0.0.1", self.https_port, source_address=(source, 0), context=context
            )
        else:
            connection = http.client.HTTPConnection(
                "127.0.0.1", self.http_port, source_address=(source, 0)
            )
        origin = f"https://127.0.0.1:{self.https_port}"
        sent = {"Cookie": f"csrftoken={CSRF}", "Referer": origin + path, **(headers or {})}
        body = None
        if fields is not None:
            body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": CSRF})
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=sent)
            self.tls_version = connection.sock.version() if tls else None
            response = connection.getresponse()
            body = response.read()
            return response.status, response.headers, body if raw else body.decode()
        finally:
            connection.close()


@pytest.fixture
def nginx(server_url, tmp_path, settings):
    nginx_or_skip()
    settings.SHOPGUARD_TRUSTED_PROXIES = ["127.0.0.1"]
    # As in production (SHOPGUARD_HTTPS=1): nginx's X-Forwarded-Proto makes requests secure.
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    port = int(server_url.rsplit(":", 1)[1])
    with Nginx(tmp_path, port) as running:
        yield running


def ips(action):
    return list(AuditEntry.objects.filter(action=action).values_list("ip", flat=True))


def test_a_locked_user_name_stays_open_to_another_client(nginx, people):
    wrong = {"username": "carol", "password": "wrong password!!", "next": "/admin/"}
    answers = [nginx.send(A, "POST", LOGIN, wrong)[0] for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]  # the form again, then the lockout
    right = {**wrong, "password": PASSWORD}
    assert nginx.send(A, "POST", LOGIN, right)[0] == 429  # A is locked out of carol
    # A forged header does not make A someone else...
    assert nginx.send(A, "POST", LOGIN, right, {"X-Forwarded-For": B})[0] == 429

    status, headers, _body = nginx.send(B, "POST", LOGIN, right)

    assert status == 302 and headers["Location"].startswith("/admin/two-factor/")
    assert set(ips("auth.sign_in_failed")) == {A}
    assert set(ips("auth.lockout")) == {A}
    assert nginx.tls_version in {"TLSv1.2", "TLSv1.3"}


def test_each_client_has_its_own_data_request_limit(nginx, db):
    def request(source, n, headers=None):
        fields = {**REQUEST, "email": f"via-nginx-{source}-{n}@example.com"}
        return nginx.send(source, "POST", FORM, fields, headers)[0]

    assert [request(A, n) for n in range(REQUESTS_PER_HOUR)] == [302] * REQUESTS_PER_HOUR
    assert request(A, 98) == 429
    # A forged X-Forwarded-For changes nothing: A is still A, and B is still B.
    assert request(A, 99, {"X-Forwarded-For": "198.51.100.1"}) == 429
    assert request(B, 0, {"X-Forwarded-For": A}) == 302

    assert DataRequest.objects.count() == REQUESTS_PER_HOUR + 1
    assert sorted(ips("policy.data_request")) == [A] * REQUESTS_PER_HOUR + [B]


def test_nginx_serves_static_files_redirects_http_and_refuses_large_bodies(nginx, db):
    (nginx.static / "served-by-nginx.txt").write_text("nginx")
    status, headers, body = nginx.send(A, "GET", "/static/served-by-nginx.txt")
    assert (status, body) == (200, "nginx")
    assert "nginx/" not in headers.get("Server", "")  # server_tokens off

    status, headers, _body = nginx.send(A, "GET", "/admin/", tls=False)
    assert status == 301 and headers["Location"] == "https://127.0.0.1/admin/"

    too_large = {"Content-Length": str(26 * 1024 * 1024)}
    assert nginx.send(A, "POST", "/admin/customers/customer/import/", headers=too_large)[0] == 413


def test_the_back_office_allow_list_sees_each_client_through_nginx(nginx, settings, db):
    settings.SHOPGUARD_BACKOFFICE_NETWORKS = [f"{A}/32"]  # the shop's office, say

    assert nginx.send(A, "GET", LOGIN)[0] == 200
    status, _headers, page = nginx.send(B, "GET", LOGIN, headers={"X-Forwarded-For": A})
    assert status == 403 and "この場所からは管理画面を開けません" in page
    assert nginx.send(B, "GET", FORM)[0] == 200  # the public pages stay open

    assert ips("access.refused") == [B]


def test_without_nginx_it_skips_locally_and_fails_in_ci(monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "NGINX", "/nonexistent/nginx")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        nginx_or_skip()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI never skips"):
        nginx_or_skip()


def test_parallel_requests_through_nginx_keep_each_client_s_limit_exact(nginx, db):
    def send(i):
        source = A if i % 2 else B  # both clients at once, each through the one nginx
        fields = {**REQUEST, "email": f"burst-{i}@example.com"}
        return nginx.send(source, "POST", FORM, fields)[0]

    answers = burst(BURST, send)

    accepted = Counter(ip for ip in ips("policy.data_request"))
    assert accepted == {A: REQUESTS_PER_HOUR, B: REQUESTS_PER_HOUR}
    assert Counter(answers) == {302: 2 * REQUESTS_PER_HOUR, 429: BURST - 2 * REQUESTS_PER_HOUR}
