"""Every label file appears in the take-out ledger with its hash, count, carrier and
routine, on the home page, and names its customers in "who looked" (issue #23)."""

import io

import pytest

from audit.models import AuditEntryCustomer
from shipping import services
from tests.signing import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def downloaded(people, routine, shipments):
    label_file = services.make_label_file(people.carol, routine, [s.pk for s in shipments])
    services.download_label_file(label_file, people.carol, io.BytesIO())
    label_file.refresh_from_db()
    return label_file


@pytest.mark.parametrize("who", ["alice", "dave"])
def test_the_take_out_ledger_lists_label_files(client, people, downloaded, who):
    signed_in(client, getattr(people, who))
    page = client.get("/admin/exports/ledger/").content.decode()
    assert 'id="takeout-label-files"' in page
    assert str(downloaded.pk) in page and downloaded.file_sha256 in page
    assert "ヤマト運輸 B2クラウド" in page and "alice が承認" in page
    assert "山田" not in page


def test_who_looked_at_a_customer_shows_the_label_file(client, people, downloaded, shipments):
    customer = shipments[0].customer_id
    looked = AuditEntryCustomer.objects.filter(customer_id=customer, action="label.download")
    assert looked.count() == 1
    signed_in(client, people.alice)
    page = client.get(f"/admin/audit/auditentry/?customer={customer}").content.decode()
    assert "この顧客を見た人" in page and "ラベルファイルのダウンロード" in page


def test_the_home_page_shows_the_days_label_work(client, people, downloaded):
    signed_in(client, people.alice)
    page = client.get("/admin/").content.decode()
    assert 'id="dashboard-label-work"' in page and "今日のラベルファイル 1個（3件）" in page


def test_the_carrier_of_an_active_routine_is_listed_as_entrusted_in_the_policy(
    client, people, routine
):
    page = client.get("/privacy/").content.decode()
    assert 'id="entrusted-parties"' in page and "ヤマト運輸株式会社" in page
    english = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Yamato Transport Co., Ltd." in english
    services.end_routine(people.alice, routine)
    assert "ヤマト運輸株式会社" not in client.get("/privacy/").content.decode()
    # Entrustment: no third-party provision record is kept for it.
    from policy.models import ThirdPartyProvision

    assert not ThirdPartyProvision.objects.exists()
