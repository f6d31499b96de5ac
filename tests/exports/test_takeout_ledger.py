"""The take-out ledger (持ち出し記録), purge_exports, and nothing left on disk."""

import os
import tempfile
from io import StringIO

import pytest
from django.core.management import call_command

from audit.models import AuditEntry
from customers.models import Customer
from exports import services
from exports.models import ExportRequest
from tests.exports.helpers import download
from tests.signing import signed_in

pytestmark = pytest.mark.django_db
LEDGER = "/admin/exports/ledger/"


@pytest.fixture
def exports_(people):
    Customer.objects.create(name="山田 花子", email="hanako@example.com")
    made = []
    for purpose in ("年末のお礼状の発送", "配送業者への引き渡し", "キャンペーンの集計"):
        export = services.request_export(
            people.bob, purpose=purpose, recipient="internal", fields=["name"]
        )
        made.append(export)
    services.decide(made[0], people.alice, approve=True)
    services.decide(made[1], people.alice, approve=False)
    return made


@pytest.mark.parametrize(("who", "status"), [("alice", 200), ("dave", 200), ("bob", 403)])
def test_the_ledger_is_for_owner_and_auditor(client, people, exports_, who, status):
    client.force_login(getattr(people, who))
    assert client.get(LEDGER).status_code == status


def test_anonymous_people_are_sent_to_sign_in(client, exports_):
    response = client.get(LEDGER)
    assert response.status_code == 302 and "/login/" in response.url


def test_the_ledger_lists_every_export_with_its_facts(client, people, exports_):
    client.force_login(people.dave)
    page = client.get(LEDGER).content.decode()
    for export in exports_:
        assert str(export.pk) in page and export.purpose in page
    assert "承認済み" in page and "却下" in page and "承認待ち" in page
    assert "hanako@example.com" not in page and "山田" not in page


def test_the_ledger_filters_by_period_and_person(client, people, exports_):
    client.force_login(people.alice)
    page = client.get(LEDGER, {"person": "alice"}).content.decode()
    assert str(exports_[0].pk) in page and str(exports_[2].pk) not in page  # 2 is undecided
    page = client.get(LEDGER, {"since": "2001-01-01", "until": "2001-01-31"}).content.decode()
    assert not any(str(e.pk) in page for e in exports_)


def test_the_ledger_csv_has_japanese_headers_japan_time_and_a_bom(client, people, exports_):
    client.force_login(people.dave)
    response = client.get(LEDGER, {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff申請,状態,申請者,承認者,自己承認,利用目的")
    # The exports' header and rows, then the label files' section (none made here).
    assert text.count("\n") == 1 + len(exports_) + 3
    assert text.splitlines()[1 + len(exports_) :] == [
        "",
        "配送業者のラベルファイル（委託）",
        "ラベルファイル,状態,作った人,配送業者,定型業務,件数,SHA-256,作成日時,ダウンロード日時,期限切れ日時",
    ]
    assert "年" in text.splitlines()[1] and "+09" not in text
    assert AuditEntry.objects.filter(action="export.ledger_csv", actor_id=people.dave.pk).exists()


def test_purge_exports_expires_what_was_not_downloaded_in_time(client, people, exports_, clock):
    clock.advance(25 * 3600)
    out = StringIO()
    call_command("purge_exports", stdout=out)
    assert "Expired 1" in out.getvalue()
    statuses = {e.purpose: e.status for e in ExportRequest.objects.all()}
    assert statuses["年末のお礼状の発送"] == "expired"
    assert statuses["配送業者への引き渡し"] == "rejected"
    entry = AuditEntry.objects.get(action="export.expire")
    assert entry.target_id == str(exports_[0].pk)
    call_command("purge_exports", stdout=StringIO())  # again: nothing more, no new entry
    assert AuditEntry.objects.filter(action="export.expire").count() == 1
    client.force_login(people.alice)
    assert "期限切れ" in client.get(LEDGER).content.decode()


def test_nothing_of_the_archive_is_left_on_disk_after_a_download(
    client, people, exports_, tmp_path, monkeypatch
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    signed_in(client, people.bob, reauthenticated=True)
    response, _password = download(client, exports_[0])
    assert response.status_code == 200
    # The archive is written to an unnamed temporary file: no name on disk at any time.
    assert os.listdir(tmp_path) == []
    b"".join(response.streaming_content)
    assert os.listdir(tmp_path) == []
    assert ExportRequest.objects.get(pk=exports_[0].pk).status == "downloaded"


def test_the_download_entry_names_the_customers_and_the_customer_page_lists_it(
    client, people, exports_
):
    signed_in(client, people.bob, reauthenticated=True)
    response, _password = download(client, exports_[0])
    b"".join(response.streaming_content)
    hanako = Customer.objects.get()
    entry = AuditEntry.objects.get(action="export.download", outcome="ok")
    assert entry.customer_ids == [str(hanako.pk)]
    client.force_login(people.alice)
    who = client.get(f"/admin/audit/auditentry/customer/{hanako.pk}/", follow=True)
    assert entry.pk in [e.pk for e in who.context["cl"].result_list]
