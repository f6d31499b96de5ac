"""The ledger reads as words for a shop owner: labels, who looked at a customer, an
entry's labelled rows, and a CSV a spreadsheet opens in Japan time."""

import csv
import datetime
import io
import uuid

import pytest
from django.utils import timezone

from audit.ledger import record
from audit.models import AuditEntry
from tests.customers.vault import make_customer

LIST = "/admin/audit/auditentry/"
CSV = f"{LIST}export.csv"
# 05:05 UTC is 14:05 in Japan, on the same day.
AT = datetime.datetime(2026, 12, 2, 5, 5, tzinfo=datetime.UTC)
EXPORT_ID = "1a2b3c4d-0000-4000-8000-000000000000"


@pytest.fixture
def at_a_fixed_time(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: AT)


@pytest.fixture
def customer_a(people, at_a_fixed_time):
    """carol revealed A's phone, bob's list page showed A twice, alice took A out in an
    export; another customer's reveal is not A's."""
    a, other = str(uuid.uuid4()), str(uuid.uuid4())
    target = ("customers.customer", a)
    record(
        "customer.reveal",
        actor=people.carol,
        target=target,
        customers=[a],
        detail={"field": "phone", "reason": "配送先の確認のため"},
    )
    for _page in range(2):
        record("customer.list", actor=people.bob, customers=[a, other], detail={"shown": 2})
    record(
        "export.download",
        actor=people.alice,
        target=("exports.exportrequest", EXPORT_ID),
        customers=[a, other],
        detail={"fields": ["name", "email"], "recipient": "internal", "rows": 2},
    )
    record("customer.reveal", actor=people.carol, customers=[other], detail={"field": "email"})
    return a


def page(client, user, url, params=None, language="ja"):
    client.force_login(user)
    response = client.get(url, params or {}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def csv_body(client, user, params=None, language="ja"):
    client.force_login(user)
    response = client.get(CSV, params or {}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


# Labels ------------------------------------------------------------------------------


def test_every_action_and_outcome_has_a_japanese_label_not_its_code():
    from audit.actions import Action, Outcome

    for choice in [*Action, *Outcome]:
        label = str(choice.label)
        assert label != choice.value and "." not in label and "_" not in label, choice
        assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in label)


def test_the_list_shows_actions_outcomes_and_roles_in_japanese(client, people, customer_a):
    text = page(client, people.dave, LIST)
    for label in ("個人情報の表示", "一覧の表示", "エクスポートのダウンロード", "成功"):
        assert label in text
    assert "スタッフ" in text and "マネージャー" in text and "オーナー" in text
    assert ">customer.reveal<" not in text and ">staff<" not in text
    assert "2026年12月2日 14:05" in text


def test_the_list_speaks_english_when_english_is_chosen(client, people, customer_a):
    text = page(client, people.dave, LIST, language="en")
    for label in ("Reveal personal data", "Succeeded", "Staff", "Manager", "2 Dec 2026, 14:05"):
        assert label in text, label
    assert "個人情報の表示" not in text


def test_the_role_filter_speaks_japanese_and_filters(client, people, customer_a):
    text = page(client, people.dave, LIST)
    assert "?actor_role=staff" in text and "監査担当" in text
    client.force_login(people.dave)
    response = client.get(LIST, {"actor_role": "staff"})
    assert {e.actor_username for e in response.context["cl"].result_list} == {"carol"}


# Who looked at this customer ---------------------------------------------------------


def test_who_looked_shows_who_when_which_field_why_and_the_export(client, people, customer_a):
    text = page(client, people.alice, LIST, {"customer": customer_a})
    assert "この顧客を見た人" in text
    assert "carol" in text and "スタッフ" in text
    assert "2026年12月2日 14:05" in text
    assert "電話番号" in text and "配送先の確認のため" in text
    assert "エクスポートで持ち出し（エクスポート 1a2b3c4d）" in text
    assert "メールアドレス" in text  # the export's fields


def test_who_looked_folds_list_pages_away_and_shows_them_on_request(client, people, customer_a):
    client.force_login(people.alice)
    folded = client.get(LIST, {"customer": customer_a})
    actions = [e.action for e in folded.context["cl"].result_list]
    assert actions == ["export.download", "customer.reveal"]
    text = folded.content.decode()
    assert "一覧ページへの表示 2 件はたたんでいます" in text
    assert "list_pages=1" in text

    shown = client.get(LIST, {"customer": customer_a, "list_pages": "1"})
    actions = [e.action for e in shown.context["cl"].result_list]
    assert actions.count("customer.list") == 2 and len(actions) == 4
    assert "一覧ページへの表示をたたむ" in shown.content.decode()


def test_the_full_ledger_keeps_list_pages(client, people, customer_a):
    client.force_login(people.dave)
    response = client.get(LIST)
    assert [e.action for e in response.context["cl"].result_list].count("customer.list") == 2


# One entry ---------------------------------------------------------------------------


def test_an_entry_reads_as_labelled_rows_not_a_dict(client, people, customer_a):
    entry = AuditEntry.objects.get(action="export.download")
    text = page(client, people.alice, f"{LIST}{entry.pk}/change/")
    assert '<th scope="row">項目</th><td>氏名、メールアドレス</td>' in text
    assert '<th scope="row">提供先</th><td>社内</td>' in text
    assert '<th scope="row">件数</th><td>2</td>' in text
    assert '<th scope="row">日時（日本時間）</th><td>2026年12月2日 14:05</td>' in text
    for code in ("{&quot;", '{"', "&#x27;fields&#x27;", "[&#x27;", "'fields'"):
        assert code not in text
    # The chain value stays for verification, folded under technical details.
    technical = text[text.index("<details") : text.index("</details>")]
    assert entry.chain in technical and entry.chain not in text.replace(technical, "")


def test_an_unknown_detail_key_is_shown_with_its_key(client, people, at_a_fixed_time):
    entry = record("audit.read", actor=people.alice, detail={"brand_new_fact": 3})
    text = page(client, people.dave, f"{LIST}{entry.pk}/change/")
    assert '<th scope="row">brand_new_fact</th><td>3</td>' in text


def test_an_entry_speaks_english_when_english_is_chosen(client, people, customer_a):
    entry = AuditEntry.objects.filter(action="customer.reveal").first()
    text = page(client, people.dave, f"{LIST}{entry.pk}/change/", language="en")
    assert '<th scope="row">Field</th><td>Phone number</td>' in text
    assert '<th scope="row">Time (Japan)</th><td>2 Dec 2026, 14:05</td>' in text
    export = AuditEntry.objects.get(action="export.download")
    text = page(client, people.dave, f"{LIST}{export.pk}/change/", language="en")
    assert '<th scope="row">Field</th><td>Name, E-mail address</td>' in text
    assert "<h2>#" in text and "Export downloaded" in text


# CSV ---------------------------------------------------------------------------------


def test_the_csv_opens_in_excel_with_japanese_headers_and_japan_time(client, people, customer_a):
    body = csv_body(client, people.dave, {"customer": customer_a})
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(rows[0])[:6] == ["番号", "日時（日本時間）", "利用者", "役割", "操作", "結果"]
    reveal = rows[0]
    assert reveal["日時（日本時間）"] == "2026-12-02 14:05:00"
    assert reveal["操作"] == "個人情報の表示" and reveal["役割"] == "スタッフ"
    assert "項目: 電話番号" in reveal["詳細"] and "理由: 配送先の確認のため" in reveal["詳細"]
    assert [row["操作"] for row in rows] == ["個人情報の表示", "エクスポートのダウンロード"]
    assert AuditEntry.objects.filter(action="audit.export_csv", actor_id=people.dave.pk).exists()


def test_the_csv_speaks_english_when_english_is_chosen(client, people, customer_a):
    body = csv_body(client, people.dave, {"customer": customer_a}, language="en")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert "Time (Japan)" in rows[0]
    assert rows[0]["Action"] == "Reveal personal data" and rows[0]["Role"] == "Staff"


# Who may read ------------------------------------------------------------------------


def test_the_auditor_reads_who_looked_but_cannot_open_the_customer(client, people, db):
    hanako = make_customer()
    record("customer.view", actor=people.carol, customers=[hanako.pk], target=hanako)
    client.force_login(people.dave)
    who = client.get(f"{LIST}customer/{hanako.pk}/", follow=True)
    assert who.status_code == 200
    assert "carol" in {e.actor_username for e in who.context["cl"].result_list}
    assert "山田" not in who.content.decode()
    opened = client.get(f"/admin/customers/customer/{hanako.pk}/change/")
    assert opened.status_code in (403, 404)
    assert not AuditEntry.objects.filter(action="customer.view", actor_id=people.dave.pk).exists()


@pytest.mark.parametrize("name", ["bob", "carol"])
def test_manager_and_staff_cannot_read_who_looked(client, people, customer_a, name):
    client.force_login(getattr(people, name))
    assert client.get(LIST, {"customer": customer_a}).status_code == 403
    assert client.get(CSV, {"customer": customer_a}).status_code == 403


def test_alerts_show_the_ledger_date_format(client, people, db):
    from audit.models import Alert

    Alert.objects.create(kind=Alert.NEW_IP, raised_at=AT, entry_seq=1)
    assert "2026年12月2日 14:05" in page(client, people.alice, "/admin/audit/alert/")
    assert "2026年12月2日 14:05" in page(client, people.alice, "/admin/")


def test_an_export_of_thousands_keeps_its_csv_row_within_a_spreadsheet_cell(client, people):
    ids = [str(uuid.uuid4()) for _ in range(2000)]
    record("export.download", actor=people.alice, customers=ids)
    body = csv_body(client, people.dave, {"action": "export.download"})
    (row,) = csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
    assert row["顧客数"] == "2000" and len(row["顧客ID"]) < 32_767
    assert "この顧客を見た人" in row["顧客ID"]


def test_a_reveal_reason_is_shown_in_words_with_its_note(client, people):
    from audit.display import reason_words

    assert str(reason_words("shipping")) == "配送・発送の対応"
    assert reason_words("other: 電話で確認") == "その他（補足に記入）: 電話で確認"
    assert reason_words("not-a-code") == "not-a-code"


def test_an_import_entry_in_parts_reads_in_words(client, people):
    """An import is recorded per 1,000 customers: its part, parts and counts read as
    words, not as the keys it is recorded with."""
    entry = record(
        "customer.import",
        actor=people.alice,
        detail={"import": "a1b2c3", "part": 2, "parts": 3, "unchanged": 4, "kept_lost": 1},
    )
    text = page(client, people.alice, f"{LIST}{entry.pk}/change/")
    assert '<th scope="row">分けた記録の何番目</th><td>2</td>' in text
    assert '<th scope="row">分けた記録の数</th><td>3</td>' in text
    assert '<th scope="row">変更のなかった件数</th><td>4</td>' in text
    assert '<th scope="row">取り込みの番号</th><td>a1b2c3</td>' in text
    assert ">kept_lost<" not in text and ">part<" not in text
