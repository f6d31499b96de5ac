import uuid

import pytest

from audit.ledger import record
from audit.models import Alert, AuditEntry

LIST = "/admin/audit/auditentry/"


def entry_url(entry, suffix=""):
    return f"{LIST}{entry.pk}/{suffix}"


@pytest.fixture
def looked_at(people):
    """carol viewed customer A; bob viewed customers A and B."""
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    record("customer.view", actor=people.carol, target=("customers.customer", a), customers=[a])
    record("customer.list", actor=people.bob, customers=[a, b], detail={"search": "phone"})
    record("customer.view", actor=people.bob, target=("customers.customer", b), customers=[b])
    return a, b


def reads():
    return AuditEntry.objects.filter(action="audit.read")


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert not reads().exists()


@pytest.mark.parametrize("name", ["erin", "frank"])
def test_people_without_an_active_role_are_sent_to_sign_in(client, people, name):
    client.force_login(getattr(people, name))
    response = client.get(LIST)
    assert response.status_code == 302
    assert not reads().exists()


@pytest.mark.parametrize("name", ["bob", "carol"])
def test_manager_and_staff_may_not_read_the_ledger(client, people, looked_at, name):
    client.force_login(getattr(people, name))
    for url in (
        LIST,
        f"{LIST}export.csv",
        f"{LIST}customer/{looked_at[0]}/",
        "/admin/audit/alert/",
    ):
        assert client.get(url).status_code == 403, url
    assert not reads().exists()


@pytest.mark.parametrize("name", ["alice", "dave"])
def test_owner_and_auditor_read_the_ledger_and_the_reading_is_recorded(
    client, people, looked_at, name
):
    person = getattr(people, name)
    client.force_login(person)
    response = client.get(LIST)
    assert response.status_code == 200
    assert b"customer.view" in response.content
    read = reads().get()
    assert read.actor_id == person.pk
    assert read.detail == {"view": "list", "filters": {}}


@pytest.mark.parametrize("name", ["alice", "dave"])
def test_nobody_adds_changes_or_deletes_entries(client, people, looked_at, name):
    client.force_login(getattr(people, name))
    entry = AuditEntry.objects.filter(action="customer.view").first()
    count = AuditEntry.objects.filter(action__startswith="customer.").count()

    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}add/", {"action": "forged"}).status_code == 403
    assert client.post(entry_url(entry, "change/"), {"action": "edited"}).status_code == 403
    assert client.get(entry_url(entry, "delete/")).status_code == 403
    assert client.post(entry_url(entry, "delete/"), {"post": "yes"}).status_code == 403
    response = client.post(
        LIST, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )
    assert response.status_code in (200, 302)

    entry.refresh_from_db()
    assert entry.action == "customer.view"
    assert AuditEntry.objects.filter(action__startswith="customer.").count() == count
    assert not AuditEntry.objects.filter(action="forged").exists()
    detail = client.get(entry_url(entry, "change/"))
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert b"deletelink" not in detail.content


def test_who_looked_at_this_customer(client, people, looked_at):
    a, b = looked_at
    client.force_login(people.dave)
    response = client.get(f"{LIST}customer/{a}/")
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?customer={a}"

    response = client.get(response["Location"])
    assert response.status_code == 200
    # bob's list page is folded away; carol opened the customer's page.
    assert [e.actor_username for e in response.context["cl"].result_list] == ["carol"]
    assert reads().last().detail == {"view": "list", "filters": {"customer": a}}

    response = client.get(LIST, {"customer": a, "list_pages": "1"})
    shown = {entry.actor_username for entry in response.context["cl"].result_list}
    assert shown == {"carol", "bob"}


def test_each_persons_activity(client, people, looked_at):
    client.force_login(people.alice)
    response = client.get(f"{LIST}person/{people.bob.pk}/")
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 200
    actions = [entry.action for entry in response.context["cl"].result_list]
    assert actions == ["customer.view", "customer.list"]


@pytest.mark.parametrize("typed", ["²", "9" * 40, "１２"])
def test_a_person_filter_that_is_no_id_shows_nobody(client, people, looked_at, typed):
    # Found by the form fuzz (tests/security): "²" and a 40-digit number were server errors.
    client.force_login(people.dave)
    response = client.get(LIST, {"actor": typed})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_filters_by_action_and_date(client, people, looked_at):
    client.force_login(people.dave)
    response = client.get(LIST, {"action": "customer.list"})
    assert response.status_code == 200
    assert [e.action for e in response.context["cl"].result_list] == ["customer.list"]
    from django.utils import timezone

    day = timezone.localtime(AuditEntry.objects.last().created_at).date()
    params = {"created_at__year": day.year, "created_at__month": day.month}
    response = client.get(LIST, {**params, "created_at__day": day.day, "action": "customer.view"})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 2


def test_an_entry_shows_its_chain(client, people, looked_at):
    client.force_login(people.dave)
    entry = AuditEntry.objects.filter(action="customer.view").first()
    response = client.get(entry_url(entry, "change/"))
    assert response.status_code == 200
    assert entry.chain.encode() in response.content
    read = reads().last()
    assert read.target_id == str(entry.seq)
    assert client.get(f"{LIST}seq/{entry.seq}/")["Location"].endswith(f"{entry.pk}/change/")


def test_the_ledger_list_shows_japanese_action_and_outcome_labels(client, people, looked_at):
    client.force_login(people.dave)
    page = client.get(LIST).content.decode()
    assert "顧客の閲覧" in page and "一覧の表示" in page and "成功" in page


def test_the_ledger_downloads_as_csv_and_the_download_is_recorded(client, people, looked_at):
    a, _ = looked_at
    client.force_login(people.dave)
    response = client.get(f"{LIST}export.csv", {"customer": a, "list_pages": "1"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("番号,日時（日本時間）,利用者,役割,操作,結果")
    assert len(lines) == 3  # header and the two entries about customer a
    assert all(",成功," in line for line in lines[1:])
    assert "顧客の閲覧" in lines[1] and "一覧の表示" in lines[2]
    download = AuditEntry.objects.get(action="audit.export_csv")
    assert download.actor_id == people.dave.pk
    assert download.detail["filters"] == {"customer": a, "list_pages": "1"}


def test_alerts_are_listed_read_only(client, people):
    alert = Alert.objects.create(kind=Alert.NEW_IP, raised_at="2026-01-01T00:00Z", entry_seq=1)
    client.force_login(people.dave)
    assert client.get("/admin/audit/alert/").status_code == 200
    assert client.get(f"/admin/audit/alert/{alert.pk}/change/").status_code == 200
    assert client.post(f"/admin/audit/alert/{alert.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/alert/add/").status_code == 403
    assert Alert.objects.filter(pk=alert.pk).exists()


def test_a_filter_value_that_is_not_an_id_is_not_copied_into_the_ledger(client, people):
    client.force_login(people.dave)
    for typed in ("hanako@example.jp", "山田花子", "090-1234-5678"):
        assert client.get(LIST, {"customer": typed}).status_code == 200
    values = [entry.detail["filters"]["customer"] for entry in reads()]
    assert values == ["(not recorded)"] * 3


def test_filter_values_that_are_ids_are_kept():
    from audit.admin import safe_filter_value

    customer = str(uuid.uuid4())
    assert safe_filter_value(customer) == customer
    assert safe_filter_value("customer.view") == "customer.view"
    assert safe_filter_value("2026-11-27 00:00:00+09:00") == "2026-11-27 00:00:00+09:00"


def test_a_card_number_typed_as_a_filter_is_not_copied_into_the_ledger(client, people):
    client.force_login(people.dave)
    assert client.get(LIST, {"action": "4242 4242 4242 4242"}).status_code == 200
    assert reads().last().detail["filters"] == {"action": "(not recorded)"}
    assert client.get(LIST, {"customer": "4242" * 8}).status_code == 200  # UUID-shaped
    assert reads().last().detail["filters"] == {"customer": "(not recorded)"}


@pytest.mark.parametrize("typed", ["\x00", "a\x00b", "x" * 65])
def test_a_customer_filter_no_customer_could_have_finds_nothing(client, people, looked_at, typed):
    # PostgreSQL refuses a NUL in text with an error: the filter must never ask it.
    client.force_login(people.dave)
    response = client.get("/admin/audit/auditentry/", {"customer": typed})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize("who_looked", [False, True])
def test_each_row_links_to_its_entry_and_its_person(client, people, looked_at, who_looked):
    """The rows' links are made from one reversed URL each (LedgerChangeList,
    person_url): every row still leads to its own entry and its own person."""
    from django.urls import reverse

    client.force_login(people.dave)
    params = {"customer": looked_at[0], "list_pages": "1"} if who_looked else {}
    page = client.get(LIST, params).content.decode()
    shown = AuditEntry.objects.filter(action__in=["customer.view", "customer.list"])
    if who_looked:
        shown = shown.filter(customer_ids__contains=looked_at[0])
    assert shown.count() >= 2
    for entry in shown:
        assert f'href="{entry_url(entry, "change/")}' in page, entry
        person = reverse("admin:audit_auditentry_person", args=[entry.actor_id])
        assert f'href="{person}"' in page, entry
