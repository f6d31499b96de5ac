import pytest

from audit.models import AuditEntry
from policy.models import ShopProfile
from tests.factories import entries_after, ledger_mark
from tests.policy.conftest import SEED
from tests.signing import signed_in

pytestmark = pytest.mark.django_db

CHANGE = "/admin/policy/shopprofile/1/change/"


def test_the_seeded_profile_is_clearly_an_example(version1):
    profile = ShopProfile.load()
    assert "（例）" in profile.business_name_ja and "example" in profile.business_name_en
    assert profile.contact_email.endswith(".example")


def test_the_owner_edits_the_profile_and_the_edit_is_recorded(client, people, version1):
    signed_in(client, people.alice)
    assert client.get("/admin/policy/shopprofile/").url == CHANGE
    data = {**SEED.EXAMPLE_PROFILE, "business_name_ja": "本番商店株式会社"}
    response = client.post(CHANGE, data)
    assert response.status_code == 302
    assert ShopProfile.load().business_name_ja == "本番商店株式会社"
    entry = AuditEntry.objects.get(action="policy.edit")
    assert entry.detail == {"step": "profile_changed", "fields": ["business_name_ja"]}
    assert "本番商店株式会社" in client.get("/privacy/").content.decode()


@pytest.mark.parametrize("name", ["bob", "carol", "dave"])
def test_other_roles_cannot_edit_the_profile(client, people, version1, name):
    signed_in(client, getattr(people, name))
    mark = ledger_mark()
    data = {**SEED.EXAMPLE_PROFILE, "business_name_ja": "乗っ取り"}
    assert client.post(CHANGE, data).status_code == 403
    assert ShopProfile.load().business_name_ja == SEED.EXAMPLE_PROFILE["business_name_ja"]
    # The refusal itself is the only entry, and it names the path, never the data sent.
    assert list(entries_after(mark).values_list("action", "outcome")) == [
        ("access.refused", "refused")
    ]


def test_anonymous_cannot_edit_the_profile(client, version1):
    response = client.post(CHANGE, {**SEED.EXAMPLE_PROFILE, "business_name_ja": "乗っ取り"})
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert ShopProfile.load().business_name_ja == SEED.EXAMPLE_PROFILE["business_name_ja"]
