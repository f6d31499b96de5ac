"""The gates of vault.access: ``vault_view`` for pages beside the admin and
``RoleGatedAdmin`` for ModelAdmins. A role must be named *and* hold the permission."""

import ast
import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from accounts import people as account_services
from accounts.signin import SECOND_FACTOR_KEY
from policy.models import ConsentRecord, PolicyVersion
from tests.factories import entries_after, ledger_mark
from vault.access import vault_view
from vault.roles import MANAGER, OWNER, role_of

ROOT = Path(__file__).resolve().parents[2]


@vault_view("customers.view_customer")
def customer_page(request):
    return HttpResponse("customers")


@vault_view("audit.view_alert", roles=[OWNER])
def owner_alert_page(request):
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


def fresh(user):
    return type(user).objects.get(pk=user.pk)  # no cached permissions or role


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


def test_vault_view_needs_one_of_its_roles_besides_the_permission(people):
    grant(MANAGER, "audit.view_alert")  # a permission given to the wrong group by mistake
    with pytest.raises(PermissionDenied):
        call(owner_alert_page, fresh(people.bob))
    assert call(owner_alert_page, people.alice).content == b"alert"


def admin_request(user):
    request = RequestFactory().get("/admin/")
    request.user = fresh(user)
    return request


def test_role_gated_admin_refuses_a_role_it_does_not_name_whatever_its_permissions(people):
    grant(MANAGER, "policy.view_policyversion", "policy.change_policyversion")
    versions = admin.site._registry[PolicyVersion]
    bob, alice = admin_request(people.bob), admin_request(people.alice)
    assert not versions.has_module_permission(bob)
    assert not versions.has_view_permission(bob)
    assert not versions.has_change_permission(bob)
    assert versions.has_view_permission(alice) and versions.has_change_permission(alice)


def test_role_gated_admin_needs_the_permission_too(people):
    grant(MANAGER, "policy.view_policyversion")
    Group.objects.get(name=OWNER).permissions.remove(
        Permission.objects.get(codename="change_policyversion")
    )
    versions = admin.site._registry[PolicyVersion]
    assert not versions.has_change_permission(admin_request(people.alice))


def test_an_empty_role_list_refuses_everyone_the_owner_included(people):
    grant(OWNER, "policy.change_consentrecord", "policy.delete_consentrecord")
    consents = admin.site._registry[ConsentRecord]
    alice = admin_request(people.alice)
    assert consents.has_view_permission(alice) and consents.has_add_permission(alice)
    assert not consents.has_change_permission(alice)
    assert not consents.has_delete_permission(alice)


def app_sources():
    for app in ("accounts", "audit", "customers", "exports", "policy", "devtools"):
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


PERMISSION_METHOD = re.compile(r"has_(module|view|add|change|delete)_permission")


def role_checks_in_permission_methods(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and PERMISSION_METHOD.fullmatch(node.name):
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            if "has_role" in names or "role_of" in names:
                yield node.name


def test_only_shopguard_access_gates_pages():
    """No app writes its own gate: no sign-in redirect or permission decorator of its own,
    and no ModelAdmin permission method that checks a role itself (declare the roles)."""
    own_gate = re.compile(r"redirect_to_login|permission_required|def customer_work")
    offenders = []
    for path in app_sources():
        text = path.read_text(encoding="utf-8")
        name = str(path.relative_to(ROOT))
        if own_gate.search(text):
            offenders.append(name)
        offenders += [f"{name}: {m}" for m in role_checks_in_permission_methods(ast.parse(text))]
    assert not offenders, offenders


@pytest.mark.parametrize("name", ["bob", "carol", "dave"])
def test_only_the_owner_may_call_the_account_services(people, name):
    actor = getattr(people, name)
    mark = ledger_mark()
    with pytest.raises(PermissionDenied):
        account_services.change_role(actor, people.carol, OWNER)
    with pytest.raises(PermissionDenied):
        account_services.deactivate(actor, people.carol)
    people.carol.refresh_from_db()
    assert people.carol.is_active and role_of(people.carol) == "staff"
    assert not entries_after(mark).exists()
