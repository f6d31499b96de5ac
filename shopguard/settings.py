"""ShopGuard settings: one file, read from the environment (and ``.env`` when present).

A variable set in the environment wins over ``.env``. Secrets are required and checked
at start-up; a missing or weak one stops the process with a message naming it.
"""

import ipaddress
import os
import tempfile
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from vault.keys import decode_key, parse_field_keys

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
ENV_FILE = Path(env.str("SHOPGUARD_ENV_FILE", default=str(BASE_DIR / ".env")))
if ENV_FILE.is_file():
    environ.Env.read_env(ENV_FILE, overwrite=False)


def envbool(name, default):
    """Read a yes/no variable; anything other than 1/0/true/false/yes/no/on/off is an error."""
    raw = env.str(name, default="").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not {raw!r}.")


def envint(name, default):
    """Read a whole-number variable, naming it when it is not one."""
    raw = env.str(name, default="").strip()
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number.") from None


def envnetworks(name):
    """Read comma-separated addresses or networks ("10.0.0.0/8, 127.0.0.1"), naming the
    variable when one is neither; empty means none."""
    names = [part.strip() for part in env.str(name, default="").split(",") if part.strip()]
    try:
        return [str(ipaddress.ip_network(part, strict=False)) for part in names]
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must list addresses or networks, e.g. 127.0.0.1 or 10.0.0.0/8."
        ) from None


def envsecret(name):
    """Read a required secret; a missing one stops start-up naming the variable."""
    value = env.str(name, default="").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. Run `make run` once to write a local .env, or set it "
            "in the environment (see docs/operations.md, 'Settings')."
        )
    return value


def checked_secret_key():
    value = envsecret("SECRET_KEY")
    if len(value) < 50 or len(set(value)) < 5 or value.startswith("django-insecure"):
        raise ImproperlyConfigured("SECRET_KEY is too weak: use at least 50 random characters.")
    return value


DEBUG = envbool("DEBUG", False)
# HTTPS is assumed unless switched off for the one-machine demo on 127.0.0.1.
HTTPS = envbool("SHOPGUARD_HTTPS", True)

SECRET_KEY = checked_secret_key()
FIELD_ENCRYPTION_KEYS = parse_field_keys(envsecret("FIELD_ENCRYPTION_KEYS"))
BLIND_INDEX_KEY = decode_key("BLIND_INDEX_KEY", envsecret("BLIND_INDEX_KEY"))
AUDIT_CHAIN_KEY = decode_key("AUDIT_CHAIN_KEY", envsecret("AUDIT_CHAIN_KEY"))
_all_keys = [SECRET_KEY.encode(), BLIND_INDEX_KEY, AUDIT_CHAIN_KEY, *FIELD_ENCRYPTION_KEYS.values()]
if len(set(_all_keys)) != len(_all_keys):
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS, BLIND_INDEX_KEY, AUDIT_CHAIN_KEY and SECRET_KEY must all differ."
    )

# Signs the ledger's checkpoints (audit_checkpoint). Optional: tools that start the app
# with only the documented variables must still work; audit_checkpoint then stops.
_audit_signing_key = env.str("AUDIT_SIGNING_KEY", default="").strip()
AUDIT_SIGNING_KEY = (
    decode_key("AUDIT_SIGNING_KEY", _audit_signing_key) if _audit_signing_key else None
)
if AUDIT_SIGNING_KEY is not None and AUDIT_SIGNING_KEY in _all_keys:
    raise ImproperlyConfigured("AUDIT_SIGNING_KEY must differ from the other keys.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "shopguard.apps.ShopGuardAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "vault",
    "accounts",
    "audit",
    "customers",
    "exports",
    "policy",
    "shipping",
    "datarequests",
    "incidents",
    "dashboard",
    "devtools",
    "upkeep",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "vault.middleware.RequestIdMiddleware",
    "vault.middleware.NoReadScopeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "accounts.middleware.SessionRenewalMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "vault.middleware.NoStoreMiddleware",
    "audit.middleware.CurrentRequestMiddleware",
    # After sign-in and the admin's own gate's inputs (the session, the second factor).
    "policy.middleware.HouseRulesMiddleware",
    # Inside the headers' middlewares above, so its refusal page carries them too.
    "accounts.middleware.BackOfficeNetworkMiddleware",
    "shopguard.errors.MethodNotAllowedPageMiddleware",
]

ROOT_URLCONF = "shopguard.urls"
WSGI_APPLICATION = "shopguard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.people",
            ],
        },
    },
]

DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # A new PostgreSQL connection per request cost 15-19 ms on a busy machine against
    # about 1 ms on a kept one (issue #26): each worker keeps its connection for ten
    # minutes, and Django checks it before reusing it, so a restarted server or a dropped
    # connection costs one reconnect, never an error page.
    DATABASES["default"]["CONN_MAX_AGE"] = 600
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # A request reads, then writes its ledger entry: a deferred transaction would then
        # have to upgrade to a write lock, which SQLite refuses at once ("database is
        # locked") when another request writes. IMMEDIATE takes the write lock at BEGIN,
        # so concurrent requests queue instead of failing.
        "transaction_mode": "IMMEDIATE",
        # 20 s of waiting for the lock: far longer than any request holds it (ms), short
        # enough that a stuck writer still surfaces as an error rather than a hang.
        "timeout": 20,
        # WAL lets readers go on while one request writes; NORMAL syncs at checkpoints,
        # which in WAL mode still never corrupts the database on a crash. secure_delete
        # zeroes what a change or deletion frees, so an erased customer's old ciphertext
        # and indexes do not linger in the file's free space (issue #15).
        # 8 KB pages (set first: SQLite applies it only to a new, empty file; an existing
        # one keeps its size until VACUUM, see docs/operations.md): a list page's entry is
        # about 2.4 KB, and a 4 KB page holds only one of them, wasting 1.7 KB a list page
        # (issue #26, ledger storage).
        "init_command": (
            "PRAGMA page_size=8192; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA secure_delete=ON"
        ),
    }
    # Tests use a file, not the in-memory default: only a file shows SQLite's locking to
    # concurrent requests (tests/shopguard/test_concurrent_requests.py). One per process,
    # so parallel test runs never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"shopguard-test-{os.getpid()}.sqlite3")
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The password check counts each guess first (vault.limits.PASSWORD_GUESSES).
AUTHENTICATION_BACKENDS = ["accounts.backends.LimitedModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # 12 characters: the shop's people sign in to every customer's data with it.
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

# Lock a username+address pair after 5 failed passwords within 30 minutes: enough for
# typos, far too few to guess a 12-character password, and short enough that the shop is
# not locked out long (vault.limits.PASSWORD_GUESSES counts them; a right password
# clears the count). An unknown name is counted by its keyed tag only.
SHOPGUARD_SIGN_IN_FAILURES = 5
SHOPGUARD_SIGN_IN_LOCKOUT_MINUTES = 30

# Sessions: 15 minutes idle, 12 hours at most from sign-in. Use renews the idle time at
# most once a minute (accounts.middleware.SessionRenewalMiddleware), not on every request
# (a session write is a database transaction): a session ends after 14 to 15 idle minutes.
SESSION_COOKIE_AGE = 15 * 60
SESSION_RENEW_SECONDS = 60
SESSION_ABSOLUTE_LIFETIME = 12 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Two-factor sign-in is on unless switched off for the local demo.
SHOPGUARD_REQUIRE_2FA = envbool("SHOPGUARD_REQUIRE_2FA", True)
# Re-authentication is valid for 10 minutes before a dangerous action.
SHOPGUARD_REAUTH_SECONDS = 10 * 60
# 20 reveals an hour covers a busy hour of customer calls; more looks like copying the list.
SHOPGUARD_STAFF_REVEALS_PER_HOUR = envint("SHOPGUARD_STAFF_REVEALS_PER_HOUR", 20)
# Owners and managers reveal without the staff quota, but past 30 values an hour (a busy
# day's look-ups, never a list being copied) each further batch of 30 needs a fresh
# re-authentication and the other owners are alerted (vault.limits.ELEVATED_REVEALS).
SHOPGUARD_ELEVATED_REVEALS_PER_HOUR = envint("SHOPGUARD_ELEVATED_REVEALS_PER_HOUR", 30)
# A customer's e-mail address or phone number changed at the shop keeps the previous one
# sealed for 30 days, and identity-check codes and answers to the customer's own requests
# go to that previous address meanwhile: long enough for a customer who reads mail
# rarely to see the notice of the change, so no one at the shop can route a request to
# an address they chose (DESIGN: an insider acting on purpose).
SHOPGUARD_CONTACT_CHANGE_HOLD_DAYS = envint("SHOPGUARD_CONTACT_CHANGE_HOLD_DAYS", 30)
# A person who became owner (created or promoted) approves and second-checks nothing for
# 7 days: one owner cannot make a second account and be their own second check before
# every other owner has been told and had a week to object.
SHOPGUARD_NEW_OWNER_COOLING_OFF_DAYS = envint("SHOPGUARD_NEW_OWNER_COOLING_OFF_DAYS", 7)
# 50,000 rows per customer import: a small shop has a few thousand customers, and a file
# this long is checked and written in a few minutes in flat memory; a longer one would
# hold a worker (and, on SQLite, the database's write lock) far longer.
SHOPGUARD_IMPORT_MAX_ROWS = envint("SHOPGUARD_IMPORT_MAX_ROWS", 50_000)
# The proxies (nginx on this machine: 127.0.0.1) whose X-Forwarded-For is believed; a
# header from anyone else is ignored, so empty (no proxy) is the safe default
# (vault/addresses.py decides every client address from it).
SHOPGUARD_TRUSTED_PROXIES = envnetworks("SHOPGUARD_TRUSTED_PROXIES")
# The networks from which the shop's people may reach /admin/; empty lets in every
# address (the sign-in, two-factor and roles still apply).
SHOPGUARD_BACKOFFICE_NETWORKS = envnetworks("SHOPGUARD_BACKOFFICE_NETWORKS")
OTP_TOTP_ISSUER = "ShopGuard"
# A personal value decrypted outside the reading path (vault/reads.py): "raise" makes
# it an error (DEBUG and tests), "record" logs it and writes customer.unrecorded_read.
SHOPGUARD_UNRECORDED_READS = env.str(
    "SHOPGUARD_UNRECORDED_READS", default="raise" if DEBUG else "record"
)
if SHOPGUARD_UNRECORDED_READS not in ("raise", "record"):
    raise ImproperlyConfigured('SHOPGUARD_UNRECORDED_READS must be "raise" or "record".')

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
# The project's catalogue first, then its own words for Django's admin defaults.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "shopguard" / "admin_wording"]
TIME_ZONE = "Asia/Tokyo"
# One date format for people: 2026年12月2日 14:05 / 2 Dec 2026, 14:05 (docs/glossary.md).
# Money goes through the ``yen`` filter (shopguard_formats), not a global separator.
FORMAT_MODULE_PATH = ["shopguard.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Mail (the data-request identity check). EMAIL_URL, e.g. smtp+tls://user:pass@host:587,
# sets the SMTP backend, host, port, user, password and TLS in one variable; without it
# mails are printed to the console (the demo). EMAIL_BACKEND, when set, still wins.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_HOST = EMAIL_CONFIG.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = EMAIL_CONFIG.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = EMAIL_CONFIG.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = EMAIL_CONFIG.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(EMAIL_CONFIG.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(EMAIL_CONFIG.get("EMAIL_USE_SSL"))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default=EMAIL_CONFIG["EMAIL_BACKEND"])
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="shopguard@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_personal_data": {"()": "vault.log.PersonalDataFilter"}},
    "formatters": {"json": {"()": "vault.log.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["no_personal_data"],
        }
    },
    "root": {"handlers": ["stdout"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

# Audit ledger (audit app); model changes are recorded by audit/changes.py.
# Ledger entries older than this are removed by `manage.py purge_audit` (which leaves a
# checkpoint): two years covers a yearly review and a dispute about the year before.
AUDIT_RETENTION_DAYS = envint("AUDIT_RETENTION_DAYS", 730)
# Where audit_checkpoint appends its signed checkpoints (better: a disk or machine the
# database's owner cannot rewrite), and whether it also mails them to the owners.
AUDIT_CHECKPOINT_FILE = env.str(
    "AUDIT_CHECKPOINT_FILE", default=str(BASE_DIR / "audit-checkpoints.txt")
)
AUDIT_CHECKPOINT_MAIL = envbool("AUDIT_CHECKPOINT_MAIL", True)
# Alert when one person opens more distinct customers than this within an hour: a busy
# shift touches a few dozen customers; copying the list out touches hundreds.
SHOPGUARD_ALERT_DISTINCT_CUSTOMERS_PER_HOUR = envint(
    "SHOPGUARD_ALERT_DISTINCT_CUSTOMERS_PER_HOUR", 50
)
# Alert when one username collects this many refused sign-in steps within an hour,
# from any address (the lockout counts 5 per address; spreading over addresses hides that).
SHOPGUARD_ALERT_FAILURES_PER_HOUR = envint("SHOPGUARD_ALERT_FAILURES_PER_HOUR", 10)

# The periodic review of access (audit/reviews.py): a period is this many calendar months
# (1, 2, 3, 4, 6 or 12; default 1). Monthly, because the PPC's FAQ (Q10-20) asks the shop
# to check who handled personal data regularly, and a month's reveals, exports and
# alerts still fit in one sitting; a shop with very little traffic may choose 3.
SHOPGUARD_ACCESS_REVIEW_MONTHS = envint("SHOPGUARD_ACCESS_REVIEW_MONTHS", 1)
if SHOPGUARD_ACCESS_REVIEW_MONTHS not in (1, 2, 3, 4, 6, 12):
    raise ImproperlyConfigured(
        "SHOPGUARD_ACCESS_REVIEW_MONTHS must be 1, 2, 3, 4, 6 or 12 (months that divide a year)."
    )

# A new person's invitation link (accounts/invites.py) works this many hours: long enough
# to be opened after a weekend, short enough that a forgotten mail in a shared mailbox is
# not a way in for long. It also stops working once used.
ACCOUNT_INVITE_HOURS = envint("ACCOUNT_INVITE_HOURS", 72)

# Backups (manage.py backup, docs/operations.md "Backups"): the archive is encrypted to
# this age public key (age1...; several, comma-separated), whose private half the owner
# keeps away from the server, so the server can write backups and never read them.
BACKUP_RECIPIENT = env.str("BACKUP_RECIPIENT", default="").strip()
BACKUP_DIR = env.str("BACKUP_DIR", default=str(BASE_DIR / "backups"))
# The home page asks for a look when the last backup is older than this: a daily backup
# loses at most a day of the shop's work.
BACKUP_MAX_AGE_HOURS = envint("BACKUP_MAX_AGE_HOURS", 24)

# Retention (manage.py apply_retention, upkeep/retention.py; APPI art. 22: what is no
# longer needed goes without delay). Customers without a purchase for this many years are
# anonymised; purchases are kept 7 years for the tax records (法人税法 126条), then removed;
# finished data requests are kept 3 years (a dispute about one is raised well within it).
RETENTION_CUSTOMER_YEARS = envint("RETENTION_CUSTOMER_YEARS", 5)
RETENTION_PURCHASE_YEARS = envint("RETENTION_PURCHASE_YEARS", 7)
RETENTION_DATA_REQUEST_YEARS = envint("RETENTION_DATA_REQUEST_YEARS", 3)

# Every person accepts the shop's house rules (policy.rules) again after this many days:
# a year, as the PPC's guideline asks staff training to be repeated periodically, so a
# rule forgotten since last year's reading is read again before customer pages open.
RULES_ACCEPTANCE_DAYS = envint("RULES_ACCEPTANCE_DAYS", 365)
# The register of vulnerability diagnoses and software updates (upkeep/security_checks.py;
# the evidence page and the home page's reminder). A diagnosis once a year: the card-security
# guideline asks for a periodic one, and a small shop's site changes within a year. Servers'
# and the office PC's updates once a month: vendors publish security fixes monthly.
SECURITY_DIAGNOSIS_INTERVAL_DAYS = envint("SECURITY_DIAGNOSIS_INTERVAL_DAYS", 365)
SECURITY_PATCH_INTERVAL_DAYS = envint("SECURITY_PATCH_INTERVAL_DAYS", 31)
# The reminder shows this many days before the next one is due.
SECURITY_CHECK_REMINDER_DAYS = envint("SECURITY_CHECK_REMINDER_DAYS", 14)
