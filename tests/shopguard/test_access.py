import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from accounts import people as account_services
from shopguard.access import role_required
from shopguard.roles import AUDITOR, OWNER, role_of
from tests.factories import entries_after, ledger_mark


@role_required(OWNER, AUDITOR)
def ledger(request):
    return HttpResponse("ledger")


@role_required(OWNER, hidden=False)
def publish(request):
    return HttpResponse("published")


def call(view, user):
    request = RequestFactory().get("/somewhere/")
    request.user = user
    return view(request)


def test_role_required_sends_anonymous_people_to_sign_in(db):
    response = call(ledger, AnonymousUser())
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/somewhere/"


def test_role_required_admits_the_named_roles(people):
    assert call(ledger, people.alice).content == b"ledger"
    assert call(ledger, people.dave).content == b"ledger"


@pytest.mark.parametrize("name", ["bob", "carol", "erin", "frank"])
def test_role_required_hides_the_page_from_other_roles(people, name):
    with pytest.raises(Http404):
        call(ledger, getattr(people, name))


def test_role_required_can_refuse_with_403(people):
    with pytest.raises(PermissionDenied):
        call(publish, people.bob)


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
