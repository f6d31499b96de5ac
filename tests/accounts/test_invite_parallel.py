"""A one-time invite link under 50 parallel requests against a live server: exactly one
request sets a password; every other is refused with the "already used" page, and the
ledger records one use."""

from django.contrib.auth import get_user_model
from django.test import Client

from accounts import invites
from audit.models import AuditEntry
from tests.factories import make_person
from tests.parallel import PARALLEL, Visitor, burst, statuses
from vault.roles import STAFF

pytestmark = PARALLEL
BURST = 50


def holding_the_link(link):
    """A browser that opened the invite's link: its session holds the token."""
    client = Client()
    moved = client.get(link)
    assert moved.status_code == 302 and moved["Location"].endswith("/set-password/")
    return Visitor(client.session.session_key), moved["Location"]


def test_fifty_parallel_uses_of_one_invite_link_set_one_password(server_url, people):
    grace = make_person("grace", STAFF)
    grace.set_unusable_password()
    grace.save(update_fields=["password"])
    link = invites.invite_path(grace)
    visitors = [holding_the_link(link) for _ in range(BURST)]

    def choose(i):
        visitor, path = visitors[i]
        chosen = f"grace chooses passphrase number {i} now"
        return visitor.post(
            f"{server_url}{path}", {"new_password1": chosen, "new_password2": chosen}
        )

    answers = burst(BURST, choose)

    counted = statuses(answers)
    assert counted[302] == 1 and counted[410] == BURST - 1, counted
    [winner] = [i for i, a in enumerate(answers) if a.status == 302]
    assert answers[winner].location == "/admin/login/"
    grace = get_user_model().objects.get(pk=grace.pk)
    assert grace.check_password(f"grace chooses passphrase number {winner} now")
    assert AuditEntry.objects.filter(action="account.invite_use").count() == 1
    assert all("すでに使われています" in a.body for a in answers if a.status == 410)
