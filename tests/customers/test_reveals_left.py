"""Staff see how many reveals are left this hour; at the quota the form gives way to the
message, so there is nothing to submit."""

import pytest

from tests.customers.vault import entries, reveal_url
from tests.signing import signed_in

pytestmark = pytest.mark.usefixtures("test_reads")

REASON = {"reason_code": "inquiry", "note": ""}


def test_staff_see_the_reveals_left_before_and_after_a_reveal(client, people, hanako, settings):
    settings.SHOPGUARD_STAFF_REVEALS_PER_HOUR = 3
    signed_in(client, people.carol)
    form_page = client.get(reveal_url(hanako, "phone")).content.decode()
    assert "あと 3 件" in form_page and 'name="reason_code"' in form_page
    shown = client.post(reveal_url(hanako, "phone"), REASON).content.decode()
    assert "090-1234-5678" in shown and "あと 2 件" in shown


def test_at_the_quota_the_form_is_replaced_by_the_message(client, people, hanako, settings):
    settings.SHOPGUARD_STAFF_REVEALS_PER_HOUR = 1
    signed_in(client, people.carol)
    assert client.post(reveal_url(hanako, "phone"), REASON).status_code == 200
    response = client.get(reveal_url(hanako, "email"))
    page = response.content.decode()
    assert 'id="reveal-quota"' in page and "上限に達しました" in page
    assert 'name="reason_code"' not in page and 'type="submit"' not in page.split("content-main")[1]
    assert "hanako.yamada" not in page
    # A POST sent anyway is refused and recorded, and shows no form either.
    refused = client.post(reveal_url(hanako, "email"), REASON)
    assert refused.status_code == 429 and 'name="reason_code"' not in refused.content.decode()
    assert entries("customer.reveal", outcome="refused").count() == 1


def test_owner_and_manager_see_no_count(client, people, hanako):
    for person in (people.alice, people.bob):
        page = signed_in(client, person).get(reveal_url(hanako, "phone")).content.decode()
        assert 'id="reveals-left"' not in page and 'name="reason_code"' in page
