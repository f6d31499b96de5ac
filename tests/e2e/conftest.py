"""Shared pieces of the browser journeys (tests/e2e/test_*_journey.py).

One app (tests/e2e/server.py) and one Chromium for all the journeys, and a fresh
browser context per person. Both are package-scoped: they close when the last journey is
done, so the tests a worker runs after the journeys meet no Playwright event loop (which
Django would take for an async context). Every page a journey visits is checked with axe-core (no
critical or serious violation, every form field labelled) and the page fails the test on
a CSP violation, a console error or an HTTP 5xx/405 answer.
"""

import os
import re
import time
from pathlib import Path

import pytest
from django_otp.oath import TOTP

from tests.e2e.server import ROOT, running_app

JOURNEYS = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
IMPACTS = ("critical", "serious", "moderate", "minor")
BLOCKING_IMPACTS = ("critical", "serious")
# Serious violations of Django's own admin chrome that this branch may not fix (app code
# belongs to others): counted and listed in docs/screenshots/axe.txt, never failing a
# page, and test_accessibility_journey.py fails (strict xfail) until they are gone.
KNOWN_VIOLATIONS = {}
# Chromium asks for /favicon.ico on every page; until the app links its own icon (the ja
# branch) the 404 is the browser's, not the journey's.
FAVICON = "/favicon.ico"


def missing_requirement():
    if not CHROMIUM.exists():
        return "Debian's chromium is not installed (apt-get install -y chromium)"
    if not AXE_SOURCE.exists():
        return "axe-core is not installed (run `npm ci` in the project, or `make test`)"
    return None


def is_journey(item):
    return JOURNEYS in item.path.parents


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Every test in tests/e2e is marked ``e2e`` (before ``-m`` selects; under ``-n`` one
    worker runs them all, tests/conftest.py). Locally the journeys skip when chromium or
    axe-core is missing; in CI they run, and ``require_browser_tools`` fails them with the
    reason."""
    journeys = [item for item in items if is_journey(item)]
    for item in journeys:
        item.add_marker(pytest.mark.e2e)
    reason = missing_requirement()
    if reason is None or os.environ.get("CI") == "true":
        return
    for item in journeys:
        item.add_marker(pytest.mark.skip(reason=reason))


def require_browser_tools():
    reason = missing_requirement()
    if reason is not None:
        pytest.fail(f"CI never skips the browser journeys: {reason}")


@pytest.fixture(autouse=True)
def allow_sync_database_calls(monkeypatch):
    """Playwright's sync API keeps an event loop in this thread; Django's own checks would
    take any database call of the test process for an async one."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# ---------------------------------------------------------------- the app and its people


@pytest.fixture(scope="package")
def app(tmp_path_factory):
    require_browser_tools()
    with running_app(tmp_path_factory.mktemp("shopguard-app")) as running:
        yield running


PEOPLE_SCRIPT = """
import json
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
from accounts.twofactor import AUTHENTICATOR_NAME, new_recovery_codes
from devtools.management.commands.seed_demo import DEMO_USERS

people = {}
for role, username in DEMO_USERS.items():
    user = get_user_model().objects.get(username=username)
    device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=True)
    people[role] = {"username": username, "key": device.key, "codes": new_recovery_codes(user)}
print(json.dumps(people))
"""


class Person:
    """A demo sign-in with its authenticator key and recovery codes (as they would hold)."""

    def __init__(self, role, username, key, codes, password):
        self.role, self.username, self.password = role, username, password
        self.key = bytes.fromhex(key)
        self.codes = list(codes)
        self.last_step = None

    def second_factor(self):
        """The authenticator's code now; if this person already used this time step's
        code (a TOTP code is accepted once), the next step's code (accepted within the
        device's tolerance of one step), and after that a recovery code, or once those
        are used up, the authenticator's code when its time comes."""
        step = int(time.time()) // 30
        if self.last_step is not None and step <= self.last_step:
            step = self.last_step + 1
        if step > int(time.time()) // 30 + 1:
            if self.codes:
                return self.codes.pop()
            # Every recovery code used: wait for the authenticator's next code, as a
            # person would.
            time.sleep((step - 1) * 30 - time.time() + 0.5)
        self.last_step = step
        totp = TOTP(self.key)
        totp.time = step * 30 + 1
        return f"{totp.token():06d}"

    def recovery_code(self):
        return self.codes.pop()


@pytest.fixture(scope="package")
def people(app):
    """The seeded demo sign-ins (owner, manager, staff, auditor), each given an enrolled
    authenticator and recovery codes inside the app, as enrolment would leave them."""
    password = app.env_value("DEMO_PASSWORD")
    made = app.shell(PEOPLE_SCRIPT)
    return {role: Person(role, password=password, **facts) for role, facts in made.items()}


# ---------------------------------------------------------------- the browser and its checks


@pytest.fixture(scope="package")
def browser():
    require_browser_tools()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


AXE_TOTALS = {}


def page_name(url):
    """A page's name in the axe summary: its path, with ids replaced by placeholders."""
    path = url.split("://", 1)[-1].split("/", 1)[-1].split("#")[0]
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "<id>", "/" + path)
    path = re.sub(r"/\d+(?=/)", "/<n>", path)
    # Signed or random tokens (a request's reference page, a one-time link).
    path = re.sub(r"/(received|disclosure|consent)/[^/]+/", r"/\1/<token>/", path)
    path = re.sub(r"/invite/[^/]+/(?!set-password/)[^/]+/", "/invite/<id>/<token>/", path)
    path = re.sub(r"/invite/[^/<]+/set-password/", "/invite/<id>/set-password/", path)
    return re.sub(r"=[^&]*", "=…", path)


UNLABELLED_FIELDS_SCRIPT = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(f => f.type !== 'hidden' && f.type !== 'submit' && f.type !== 'button'
               && f.offsetParent !== null)
  .filter(f => !(f.labels && f.labels.length) && !f.getAttribute('aria-label')
               && !f.getAttribute('aria-labelledby') && !f.title)
  .map(f => f.name || f.id || f.outerHTML.slice(0, 80))"""


class Guarded:
    """What the browser saw wrong while a journey ran, checked when the person is done."""

    def __init__(self):
        self.console_errors = []
        self.bad_answers = []
        self.documents = set()
        self.loaded = []
        self.checked = set()
        # axe-core itself sets inline styles while it measures; the CSP rightly blocks
        # them, and those reports are axe's, not the app's.
        self.axe_running = False

    def watch(self, page):
        page.on("console", self.console)
        page.on("response", self.response)
        page.on("pageerror", lambda error: self.console_errors.append((f"{error}", "")))
        page.on("load", lambda loaded: self.loaded.append(loaded.url))

    def console(self, message):
        if self.axe_running:
            return
        if message.type == "error" or "Content Security Policy" in message.text:
            self.console_errors.append((message.text, message.location.get("url", "")))

    def response(self, response):
        if response.request.resource_type == "document":
            self.documents.add(response.url)
            # axe runs on pages that carry the app's own CSP: nothing was loosened for it.
            if "content-security-policy" not in response.headers:
                self.bad_answers.append(f"no Content-Security-Policy on {response.url}")
        if response.status >= 500 or response.status == 405:
            self.bad_answers.append(f"HTTP {response.status} from {response.url}")

    def problems(self):
        """Bad answers, and console errors other than Chromium's note of a page's own
        status (a 403 the journey asked for; its status is checked as an answer) or of
        the missing /favicon.ico."""
        noted = [
            f"console: {text}"
            for text, url in self.console_errors
            if not (
                text.startswith("Failed to load resource")
                and (url in self.documents or url.endswith(FAVICON))
            )
        ]
        return self.bad_answers + noted


def axe_violations(page):
    """axe-core's violations on the page as it is now (injected once per document)."""
    page.guard.axe_running = True
    try:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            # Through the DevTools protocol, so the app's CSP (no inline script) stays.
            page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
        return page.evaluate(
            "async () => { const r = await axe.run(document,"
            " {resultTypes: ['violations'], preload: false});"
            " return r.violations.map(v => ({id: v.id, impact: v.impact,"
            " nodes: v.nodes.length, targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))"
            "})); }"
        )
    finally:
        page.guard.axe_running = False


def check_page(page):
    """Run axe-core on the page as it is now; fail on critical or serious violations or an
    unlabelled form field, and add its totals to the session's summary."""
    result = axe_violations(page)
    name = page_name(page.url)
    totals = AXE_TOTALS.setdefault(name, {"visits": 0, **{i: 0 for i in IMPACTS}, "known": set()})
    totals["visits"] += 1
    for violation in result:
        totals[violation["impact"] or "minor"] += violation["nodes"]
    blocking = [v for v in result if v["impact"] in BLOCKING_IMPACTS]
    totals["known"].update(v["id"] for v in blocking if v["id"] in KNOWN_VIOLATIONS)
    blocking = [v for v in blocking if v["id"] not in KNOWN_VIOLATIONS]
    assert blocking == [], f"axe on {name}: {blocking}"
    unlabelled = page.evaluate(UNLABELLED_FIELDS_SCRIPT)
    assert unlabelled == [], f"unlabelled form fields on {name}: {unlabelled}"
    page.guard.checked.add(page.url)


@pytest.fixture
def open_page(browser, app):
    """``open_page(locale="ja-JP")``: a fresh browser context (one person) at 1280 px.

    At the end every page it loaded must have been checked with ``check_page``, and
    nothing may have gone wrong in the browser (CSP, console errors, 5xx, 405).
    """
    pages = []

    def make(locale="ja-JP"):
        context = browser.new_context(base_url=app.url, locale=locale, viewport=VIEWPORT)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.guard = Guarded()
        page.guard.watch(page)
        pages.append(page)
        return page

    yield make
    for page in pages:
        guard = page.guard
        page.context.close()
        assert guard.problems() == []
        unchecked = [url for url in guard.loaded if url not in guard.checked]
        assert unchecked == [], f"pages visited without an axe check: {unchecked}"


def visit(page, path):
    """Go to ``path`` and check the page; return the HTTP response."""
    response = page.goto(path)
    check_page(page)
    return response


def submit(page, selector):
    """Press a button (or follow a link) that loads a new page, then check that page."""
    with page.expect_navigation():
        page.click(selector)
    check_page(page)


def screenshot(page, name):
    """Write docs/screenshots/<name>.png at the page's full height, 1280 px wide."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page, person):
    """Sign in with password and the authenticator's code; land on the admin home."""
    visit(page, "/admin/")
    page.fill("#id_username", person.username)
    page.fill("#id_password", person.password)
    submit(page, "#login-form [type=submit]")
    page.fill("#id_code", person.second_factor())
    submit(page, "#two-factor-form [type=submit]")
    assert page.url.endswith("/admin/"), page.url


def confirm_password(page, person):
    """Answer the re-authentication prompt (password and the authenticator's code, or a
    recovery code when this time step's code is used)."""
    assert "/admin/reauth/" in page.url, page.url
    page.fill("#id_password", person.password)
    page.fill("#id_code", person.second_factor())
    submit(page, "#reauth-form [type=submit]")


def axe_summary():
    header = f"{'page':56} {'visits':>6} " + " ".join(f"{i:>9}" for i in IMPACTS)
    lines = [
        "axe-core violations (affected elements) per page, summed over visits",
        header,
    ]
    for name in sorted(AXE_TOTALS):
        totals = AXE_TOTALS[name]
        counts = " ".join(f"{totals[i]:>9}" for i in IMPACTS)
        known = ", ".join(sorted(totals["known"]))
        lines.append(f"{name[:56]:56} {totals['visits']:>6} {counts}  {known}".rstrip())
    lines.append("")
    lines.append("Known serious violations of the admin's own chrome (listed after a page):")
    lines += [f"  {rule}: {why}" for rule, why in KNOWN_VIOLATIONS.items()]
    return "\n".join(lines) + "\n"


def pytest_sessionfinish(session):
    if AXE_TOTALS:
        summary = axe_summary()
        (SCREENSHOTS / "axe.txt").write_text(summary, encoding="utf-8")
        # Under xdist the worker that ran the journeys hands the summary to the controller,
        # which prints it (tests/conftest.py).
        if hasattr(session.config, "workeroutput"):
            session.config.workeroutput["axe_summary"] = summary


def pytest_terminal_summary(terminalreporter):
    if AXE_TOTALS:
        terminalreporter.write_sep("=", "axe-core summary")
        terminalreporter.write(axe_summary())


SECOND_VERSION_SCRIPT = """
import json
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.utils import timezone
from policy import services
from policy.models import PolicyVersion

published = PolicyVersion.objects.exclude(number=None)
if published.count() < 2:
    request = RequestFactory().post("/")
    request.user = get_user_model().objects.get(username="demo-owner")
    draft = services.create_draft(request, PolicyVersion.objects.consent_target())
    articles = draft.articles
    articles[1]["body_ja"] += "\\n古くなった内容は、速やかに訂正します。"
    articles[1]["body_en"] += "\\nWe correct outdated information promptly."
    draft.articles = articles
    draft.change_summary_ja = "第2条に訂正の時期を加えました。"
    draft.change_summary_en = "Article 2 now says when we correct information."
    draft.save()
    services.publish_version(request, draft, timezone.localdate())
print(json.dumps(sorted(published.values_list("number", flat=True))))
"""


@pytest.fixture(scope="package")
def policy_versions(app):
    """The published version numbers, at least two (a second one is published through
    the policy services, as the owner's publish button does, when the demo has one)."""
    return app.shell(SECOND_VERSION_SCRIPT)
