"""Every label file appears in the take-out ledger with its hash, count, carrier and
routine, on the home page, and names its customers in "who looked" (issue #23)."""

import csv
import io

import pytest

from audit.appearances import naming
from audit.models import AuditEntry
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


@pytest.mark.parametrize("who", ["alice", "dave"])
def test_the_take_out_ledgers_csv_lists_label_files_like_the_page(client, people, downloaded, who):
    signed_in(client, getattr(people, who))
    response = client.get("/admin/exports/ledger/", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    title = rows.index(["配送業者のラベルファイル（委託）"])
    assert rows[title - 1] == [] and rows[title + 1][:6] == [
        "ラベルファイル",
        "状態",
        "作った人",
        "配送業者",
        "定型業務",
        "件数",
    ]
    (row,) = rows[title + 2 :]
    assert row[:6] == [
        str(downloaded.pk),
        "ダウンロード済み",
        "carol",
        "ヤマト運輸 B2クラウド",
        "ヤマト運輸 B2クラウド（1日200件まで）、alice が承認",
        "3",
    ]
    assert row[6] == downloaded.file_sha256 and len(row[6]) == 64
    assert "年" in row[7] and "年" in row[8] and row[9] == ""
    assert "山田" not in response.content.decode("utf-8")


def test_the_take_out_ledgers_csv_filters_label_files_like_the_page(client, people, downloaded):
    signed_in(client, people.alice)
    ledger = "/admin/exports/ledger/"
    made_by_carol = client.get(ledger, {"format": "csv", "person": "carol"}).content.decode()
    assert str(downloaded.pk) in made_by_carol
    approved_by_alice = client.get(ledger, {"format": "csv", "person": "alice"}).content.decode()
    assert str(downloaded.pk) in approved_by_alice
    by_bob = client.get(ledger, {"format": "csv", "person": "bob"}).content.decode()
    long_ago = {"format": "csv", "since": "2001-01-01", "until": "2001-01-31"}
    assert str(downloaded.pk) not in by_bob
    assert str(downloaded.pk) not in client.get(ledger, long_ago).content.decode()


def test_who_looked_at_a_customer_shows_the_label_file(client, people, downloaded, shipments):
    customer = shipments[0].customer_id
    looked = AuditEntry.objects.filter(naming(str(customer)), action="label.download")
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
