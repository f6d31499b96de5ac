"""The gates of vault.access: ``vault_view`` for pages beside the admin and
``PermissionAdmin`` for every ModelAdmin. Both ask Django's permissions only: which role
holds which is the one table in accounts.roles. No app writes a gate of its own or
compares role names (the rules that depend on the object are accounts.rules)."""

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps as registry
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from accounts import people as account_services
from accounts.signin import SECOND_FACTOR_KEY
from policy.models import ConsentRecord, PolicyVersion, ShopProfile
from shopguard.admin_site import ShopGuardAdminSite
from tests.factories import entries_after, ledger_mark
from vault.access import PermissionAdmin, vault_view
from vault.roles import MANAGER, OWNER, role_of

ROOT = Path(__file__).resolve().parents[2]
PROJECT = settings.ROOT_URLCONF.split(".")[0]
LIBRARY = "vault"
# The two modules that say what a role is and what it may do.
ROLE_MODULES = {"vault/roles.py", "accounts/roles.py"}


@vault_view("customers.view_customer")
def customer_page(request):
    return HttpResponse("customers")


@vault_view("audit.view_alert", "audit.acknowledge_alert")
def alert_page(request):
    return HttpResponse("alert")


def call(view, user, second_factor=True):
    request = RequestFactory().get("/somewhere/")
    request.user = user
    request.session = SessionStore()
    request.session[SECOND_FACTOR_KEY] = second_factor
    user.is_verified = lambda: second_factor  # what django-otp's middleware installs
    return view(request)


def grant(role, *codenames):
    group = Group.objects.get(name=role)
    for dotted in codenames:
        app_label, codename = dotted.split(".")
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def take_away(role, *codenames):
    group = Group.objects.get(name=role)
    for dotted in codenames:
        app_label, codename = dotted.split(".")
        group.permissions.remove(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def fresh(user):
    return type(user).objects.get(pk=user.pk)  # no cached permissions or role


# vault_view ---------------------------------------------------------------------------


def test_vault_view_sends_anonymous_people_to_sign_in(db):
    response = call(customer_page, AnonymousUser())
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/somewhere/"


def test_vault_view_admits_people_with_the_permission_and_is_never_cached(people):
    response = call(customer_page, people.carol)
    assert response.content == b"customers"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("name", ["dave", "erin"])
def test_vault_view_refuses_people_without_the_permission_with_403(people, name):
    with pytest.raises(PermissionDenied):
        call(customer_page, getattr(people, name))


def test_vault_view_refuses_whom_the_admin_site_refuses(people):
    # Two-factor sign-in is required and this session has no confirmed second factor.
    with pytest.raises(PermissionDenied):
        call(customer_page, people.carol, second_factor=False)


def test_vault_view_needs_every_one_of_its_permissions(people):
    # The auditor reads alerts but does not receive them; the owner does both.
    with pytest.raises(PermissionDenied):
        call(alert_page, people.dave)
    assert call(alert_page, people.alice).content == b"alert"


def test_vault_view_follows_the_permission_not_the_role(people):
    """The permission is the one truth: given to a role it opens the page, taken away it
    closes it, whatever the role is called."""
    grant(MANAGER, "audit.view_alert", "audit.acknowledge_alert")
    assert call(alert_page, fresh(people.bob)).content == b"alert"
    take_away(OWNER, "audit.acknowledge_alert")
    with pytest.raises(PermissionDenied):
        call(alert_page, fresh(people.alice))


# PermissionAdmin ------------------------------------------------------------------------


def admin_request(user):
    request = RequestFactory().get("/admin/")
    request.user = fresh(user)
    return request


def test_the_admin_gate_refuses_anonymous_people_and_roles_without_the_permission(people):
    versions = admin.site._registry[PolicyVersion]
    anonymous = RequestFactory().get("/admin/")
    anonymous.user = AnonymousUser()
    for request in (anonymous, admin_request(people.bob), admin_request(people.dave)):
        assert not versions.has_module_permission(request)
        assert not versions.has_view_permission(request)
        assert not versions.has_change_permission(request)
    alice = admin_request(people.alice)
    assert versions.has_module_permission(alice)
    assert versions.has_view_permission(alice) and versions.has_change_permission(alice)


def test_the_admin_gate_follows_the_permission_not_the_role(people):
    grant(MANAGER, "policy.view_policyversion", "policy.change_policyversion")
    take_away(OWNER, "policy.change_policyversion")
    versions = admin.site._registry[PolicyVersion]
    bob, alice = admin_request(people.bob), admin_request(people.alice)
    assert versions.has_module_permission(bob) and versions.has_change_permission(bob)
    assert versions.has_view_permission(alice) and not versions.has_change_permission(alice)


def test_never_refuses_everyone_the_owner_included_whatever_their_permissions(people):
    grant(OWNER, "policy.change_consentrecord", "policy.delete_consentrecord")
    grant(OWNER, "policy.add_shopprofile", "policy.delete_shopprofile")
    consents, profile = admin.site._registry[ConsentRecord], admin.site._registry[ShopProfile]
    alice = admin_request(people.alice)
    assert consents.has_view_permission(alice) and consents.has_add_permission(alice)
    assert not consents.has_change_permission(alice)
    assert not consents.has_delete_permission(alice)
    assert profile.has_change_permission(alice)
    assert not profile.has_add_permission(alice) and not profile.has_delete_permission(alice)


def local_packages():
    """The project's own top-level packages: the installed apps that live in this
    checkout, and the project package (derived, as in test_layout)."""
    found = {
        config.name.split(".")[0]
        for config in registry.get_app_configs()
        if Path(config.path).resolve().parent == ROOT
    }
    return found | {PROJECT}


def test_every_model_admin_passes_the_one_gate():
    assert admin.site._registry
    ungated = [
        type(model_admin).__name__
        for model_admin in admin.site._registry.values()
        if not isinstance(model_admin, PermissionAdmin)
    ]
    assert not ungated, ungated


def test_the_shops_own_admins_name_the_gate_themselves():
    """The admin site gives the gate to installed packages' admins (django-axes'); the
    shop's own name it in their bases, where a reader sees it."""
    local = local_packages()
    given_by_the_site = [
        type(model_admin).__qualname__
        for model_admin in admin.site._registry.values()
        if type(model_admin).__module__.split(".")[0] in local
        and getattr(type(model_admin), "gate_given_by_site", False)
    ]
    assert not given_by_the_site, given_by_the_site
    own = [m for m in admin.site._registry.values() if type(m).__module__.split(".")[0] in local]
    assert {"CustomerAdmin", "PurchaseAdmin", "PersonAdmin"} <= {type(m).__name__ for m in own}


def test_the_admin_site_gives_the_gate_to_a_plain_model_admin(db):
    site = ShopGuardAdminSite(name="gate_test")
    site.register(ConsentRecord)  # no admin class: Django's plain ModelAdmin
    consents = site._registry[ConsentRecord]
    assert isinstance(consents, PermissionAdmin) and isinstance(consents, admin.ModelAdmin)


# No gate of an app's own --------------------------------------------------------------


def app_sources(packages):
    for package in sorted(packages):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_the_gate_scan_covers_every_app():
    scanned = {path.relative_to(ROOT).parts[0] for path in app_sources(local_packages())}
    apps_here = {c.label for c in registry.get_app_configs() if Path(c.path).parent == ROOT}
    assert {"incidents", "datarequests", "dashboard", "exports"} <= scanned
    assert apps_here <= scanned


def test_only_vault_access_gates_pages():
    """No app writes its own gate: no sign-in redirect or permission decorator of its own
    (vault.access has the gates; the sign-in and re-authentication pages are accounts')."""
    own_gate = re.compile(r"redirect_to_login|permission_required|user_passes_test|staff_member")
    offenders = [
        str(path.relative_to(ROOT))
        for path in app_sources(local_packages() - {LIBRARY})
        if own_gate.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, offenders


# No role names compared ---------------------------------------------------------------

ROLE_NAMES = {"owner", "manager", "staff", "auditor"}
ROLE_CONSTANTS = {"OWNER", "MANAGER", "STAFF", "AUDITOR", "ROLES"}
TESTED_BY = (ast.If, ast.IfExp, ast.While, ast.Assert)
TEMPLATE_COMPARISON = re.compile(r"(==|!=)\s*[\"'](owner|manager|staff|auditor)[\"']")


def _calls(node, name):
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return getattr(func, "id", None) == name or getattr(func, "attr", None) == name


def role_comparisons(source):
    """(line, what) for each place ``source`` compares role names: a ``has_role`` call,
    ``role_of(...)`` compared or tested, a role constant or name in a comparison, a
    ``groups__name`` lookup, a ``roles=`` argument or a ``*_roles`` list. Recording a
    role (the ledger) or showing its label is not a comparison."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        parent = parents.get(node)
        if _calls(node, "has_role"):
            yield node.lineno, "has_role()"
        elif _calls(node, "role_of") and (
            isinstance(parent, ast.Compare)
            or (isinstance(parent, TESTED_BY) and parent.test is node)
            or (isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not))
        ):
            yield node.lineno, "role_of() compared"
        elif isinstance(node, ast.Compare):
            for part in ast.walk(node):
                if isinstance(part, ast.Name) and part.id in ROLE_CONSTANTS:
                    yield node.lineno, f"{part.id} compared"
                elif isinstance(part, ast.Constant) and part.value in ROLE_NAMES:
                    yield node.lineno, f"{part.value!r} compared"
        elif isinstance(node, ast.keyword) and node.arg:
            if node.arg.startswith("groups__name") or node.arg == "roles":
                yield node.value.lineno, f"{node.arg}="
        elif isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            yield from ((node.lineno, name) for name in names if name.endswith("_roles"))


def template_role_comparisons(text):
    for number, line in enumerate(text.splitlines(), 1):
        for match in TEMPLATE_COMPARISON.finditer(line):
            yield number, f"compares {match.group(2)!r}"


def test_the_role_comparison_scan_finds_each_kind():
    source = """
if has_role(user, OWNER): pass
if role_of(user) == OWNER: pass
if role_of(user) is None: pass
allowed = not role_of(user)
if role in (MANAGER, STAFF): pass
if name != "auditor": pass
people.filter(groups__name=OWNER)
people.filter(groups__name__in=ROLES)
page = vault_view("a.b", roles=[OWNER])
view_roles = change_roles = (OWNER,)
"""
    found = list(role_comparisons(source))
    assert {line for line, _what in found} == set(range(2, 12))
    recorded = 'entry = record(actor_role=role_of(actor) or "", label=ROLE_LABELS[role])'
    assert not list(role_comparisons(recorded))
    assert len(list(template_role_comparisons('{% if role == "owner" %}{% endif %}'))) == 1


def role_comparisons_in_the_code():
    for path in app_sources(local_packages()):
        name = str(path.relative_to(ROOT))
        if name not in ROLE_MODULES:
            text = path.read_text(encoding="utf-8")
            yield from (f"{name}:{line}: {what}" for line, what in role_comparisons(text))
    for folder in [ROOT / "templates", *(ROOT / p / "templates" for p in local_packages())]:
        for path in sorted(folder.rglob("*.html")):
            found = template_role_comparisons(path.read_text(encoding="utf-8"))
            yield from (f"{path.relative_to(ROOT)}:{n}: {what}" for n, what in found)


def test_no_app_compares_role_names():
    """Apps ask ``user.has_perm``; rules that depend on the object are accounts.rules.
    Only vault.roles (the names) and accounts.roles (the table) speak of roles."""
    offenders = list(role_comparisons_in_the_code())
    assert not offenders, "\n".join(offenders)


# The account services -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["anonymous", "bob", "carol", "dave"])
def test_only_the_owner_may_call_the_account_services(people, name):
    actor = AnonymousUser() if name == "anonymous" else getattr(people, name)
    mark = ledger_mark()
    with pytest.raises(PermissionDenied):
        account_services.change_role(actor, people.carol, OWNER)
    with pytest.raises(PermissionDenied):
        account_services.deactivate(actor, people.carol)
    people.carol.refresh_from_db()
    assert people.carol.is_active and role_of(people.carol) == "staff"
    assert not entries_after(mark).exists()


def test_the_owner_may_call_the_account_services(people):
    mark = ledger_mark()
    assert account_services.change_role(people.alice, people.carol, MANAGER)
    account_services.deactivate(people.alice, people.carol)
    carol = fresh(people.carol)
    assert not carol.is_active and account_services.stored_role(carol) == MANAGER
    actions = entries_after(mark).filter(action__startswith="account.").values_list("action")
    assert [a for (a,) in actions] == ["account.role_change", "account.deactivate"]
