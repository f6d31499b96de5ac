import csv
import io
import uuid

import pytest
import pyzipper

from audit.models import AuditEntry
from customers.models import Customer
from exports import archive, services, views
from exports.models import ExportRequest
from tests.exports.helpers import download, new_request
from tests.factories import make_person
from tests.signing import signed_in
from vault.blind_index import blind_index
from vault.roles import OWNER

MARKER_EMAIL = "export.marker@example.com"


@pytest.fixture
def customers_(db):
    Customer.objects.create(name="山田 花子", email=MARKER_EMAIL, phone="090-0000-1111")
    Customer.objects.create(name="=HYPERLINK(1)", email="two@example.com")


def approved(client, people, **changes):
    """bob's request (through the form), approved by alice."""
    new_request(signed_in(client, people.bob, reauthenticated=True), **changes)
    return services.decide(ExportRequest.objects.get(), people.alice, approve=True)


def read_archive(content, password):
    with pyzipper.AESZipFile(io.BytesIO(content)) as archive:
        archive.setpassword(password.encode())
        return archive.read("customers.csv").decode("utf-8-sig")


@pytest.mark.django_db
def test_a_manager_request_waits_for_an_owner(client, people, customers_):
    response = new_request(signed_in(client, people.bob, reauthenticated=True))
    export = ExportRequest.objects.get()
    assert response.status_code == 302
    assert export.status == "pending" and export.requested_by == people.bob
    assert AuditEntry.objects.filter(action="export.request", target_id=str(export.pk)).exists()
    assert not AuditEntry.objects.filter(action="export.approve").exists()


@pytest.mark.django_db
def test_requesting_needs_recent_reauthentication(client, people, customers_):
    client.force_login(people.bob)
    response = new_request(client)
    assert response.status_code == 302 and response.url.startswith("/admin/reauth/")
    assert not ExportRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["carol", "dave", "erin"])
def test_staff_auditor_and_outsiders_cannot_request(client, people, customers_, who):
    response = new_request(signed_in(client, getattr(people, who), reauthenticated=True))
    assert response.status_code in (302, 403)
    assert not (response.status_code == 302 and "/admin/exports/" in response.url)
    assert not ExportRequest.objects.exists()


@pytest.mark.django_db
def test_anonymous_people_are_sent_to_sign_in(client, customers_):
    response = client.get("/admin/exports/")
    assert response.status_code == 302 and "/login/" in response.url


@pytest.mark.django_db
def test_an_owner_approves_and_the_requester_downloads_once(client, people, customers_):
    new_request(signed_in(client, people.bob, reauthenticated=True))
    export = ExportRequest.objects.get()
    owner = signed_in(client.__class__(), people.alice, reauthenticated=True)
    assert (
        owner.post(f"/admin/exports/{export.pk}/decide/", {"decision": "approve"}).status_code
        == 302
    )
    export.refresh_from_db()
    assert export.status == "approved" and export.decided_by == people.alice
    # Only the requester may download, not the approver.
    assert owner.post(f"/admin/exports/{export.pk}/prepare/").status_code == 409
    response, password = download(client, export)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    content = b"".join(response.streaming_content)
    text = read_archive(content, password)
    assert MARKER_EMAIL in text and "'=HYPERLINK(1)" in text
    assert MARKER_EMAIL.encode() not in content  # encrypted, not just zipped
    export.refresh_from_db()
    assert (
        export.status == "downloaded" and export.row_count == 2 and len(export.archive_sha256) == 64
    )
    entry = AuditEntry.objects.get(action="export.download", outcome="ok")
    assert entry.actor_id == people.bob.pk and MARKER_EMAIL not in str(entry.detail)
    # A second download is refused.
    assert client.post(f"/admin/exports/{export.pk}/prepare/").status_code == 409
    assert AuditEntry.objects.filter(action="export.download", outcome="ok").count() == 1


@pytest.mark.django_db
def test_the_archive_does_not_open_without_its_password(client, people, customers_):
    export = approved(client, people)
    response, password = download(client, export)
    content = b"".join(response.streaming_content)
    with pytest.raises(RuntimeError):
        read_archive(content, "wrong-" + password)


@pytest.mark.django_db
def test_an_owner_request_waits_while_a_manager_is_active(client, people, customers_):
    new_request(signed_in(client, people.alice, reauthenticated=True))
    export = ExportRequest.objects.get()
    assert export.status == "pending"
    assert not AuditEntry.objects.filter(action="export.approve").exists()


@pytest.mark.django_db
def test_a_manager_cannot_approve_and_nobody_approves_their_own(client, people, customers_):
    new_request(signed_in(client, people.bob, reauthenticated=True))
    export = ExportRequest.objects.get()
    # His own: refused by the rule (409, recorded), never approved.
    assert (
        client.post(f"/admin/exports/{export.pk}/decide/", {"decision": "approve"}).status_code
        == 409
    )
    export.refresh_from_db()
    assert export.status == "pending"
    with pytest.raises(services.ExportRefused):
        services.decide(export, people.bob, approve=True)
    assert export.status == "pending"


@pytest.mark.django_db
def test_a_manager_cannot_see_someone_elses_request(client, people, customers_):
    # With a second owner in the shop, alice's request is not the manager's to check.
    make_person("olivia", OWNER)
    other = signed_in(client.__class__(), people.alice, reauthenticated=True)
    new_request(other)
    export = ExportRequest.objects.get()
    assert (
        signed_in(client, people.bob, reauthenticated=True)
        .get(f"/admin/exports/{export.pk}/")
        .status_code
        == 404
    )


@pytest.mark.django_db
def test_the_download_window_closes_after_24_hours(client, people, customers_, clock):
    export = approved(client, people)
    clock.advance(25 * 3600)
    signed_in(client, people.bob, reauthenticated=True)
    response = client.post(f"/admin/exports/{export.pk}/prepare/")
    assert response.status_code == 409 and "期限切れ" in response.content.decode()
    export.refresh_from_db()
    assert export.status == "expired" and export.expired_at is not None
    assert AuditEntry.objects.filter(action="export.expire").count() == 1
    assert not AuditEntry.objects.filter(action="export.download", outcome="ok").exists()


@pytest.mark.django_db
def test_a_purpose_holding_personal_data_is_refused(client, people, customers_):
    response = new_request(
        signed_in(client, people.bob, reauthenticated=True), purpose=f"send to {MARKER_EMAIL}"
    )
    assert response.status_code == 400 and response.context["form"].errors["purpose"]
    assert not ExportRequest.objects.exists()
    entry = AuditEntry.objects.get(action="export.request")
    assert entry.outcome == "refused" and MARKER_EMAIL not in str(entry.detail)


@pytest.mark.django_db
def test_a_third_party_export_needs_a_recipient_name(client, people, customers_):
    response = new_request(
        signed_in(client, people.bob, reauthenticated=True), recipient="third_party"
    )
    assert response.status_code == 400 and "recipient_name" in response.context["form"].errors
    assert not ExportRequest.objects.exists()


@pytest.mark.django_db
def test_a_failed_archive_records_no_download(people, customers_, monkeypatch):
    export = services.request_export(
        people.bob, purpose="test", recipient="internal", fields=["name"]
    )
    export = services.decide(export, people.alice, approve=True)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(services, "write_archive", broken)
    with pytest.raises(OSError):
        services.claim_download(export, people.bob, "pw", io.BytesIO())
    export.refresh_from_db()
    assert export.status == "approved"
    assert not AuditEntry.objects.filter(action="export.download").exists()


@pytest.mark.django_db
def test_a_third_party_export_needs_the_provision_facts(client, people, customers_):
    response = new_request(
        signed_in(client, people.bob, reauthenticated=True),
        recipient="third_party",
        recipient_name="株式会社例",
    )
    errors = response.context["form"].errors
    assert {"recipient_address", "recipient_representative", "provision_basis"} <= set(errors)
    assert not ExportRequest.objects.exists()


@pytest.mark.django_db
def test_a_downloaded_third_party_export_leaves_a_provision_record(client, people, customers_):
    from policy.models import ThirdPartyProvision

    approved(
        client,
        people,
        recipient="third_party",
        recipient_name="株式会社サンプル物産",
        recipient_address="東京都千代田区サンプル1-1",
        recipient_representative="代表取締役 見本 一郎",
        provision_basis="consent",
        consent_evidence="2026年11月のキャンペーン応募時の同意",
        fields=["name", "postal_code", "email"],
    )
    export = ExportRequest.objects.get()
    assert not ThirdPartyProvision.objects.exists()  # nothing is provided until downloaded
    response, _ = download(client, export)
    assert response.status_code == 200
    provision = ThirdPartyProvision.objects.get()
    assert provision.recipient_name == "株式会社サンプル物産" and provision.basis == "consent"
    assert provision.data_items == ["address", "email", "name"]
    assert provision.customers.count() == Customer.objects.count() == 2
    assert AuditEntry.objects.filter(action="policy.provision").exists()


@pytest.mark.django_db
def test_an_internal_export_leaves_no_provision_record(client, people, customers_):
    from policy.models import ThirdPartyProvision

    download(client, approved(client, people))
    assert not ThirdPartyProvision.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "shown"), [("alice", True), ("bob", True), ("carol", False)])
def test_the_admin_home_links_exports_for_those_who_may_ask(client, people, who, shown):
    client.force_login(getattr(people, who))
    page = client.get("/admin/").content.decode()
    assert ('href="/admin/exports/"' in page) is shown
    assert ('href="/admin/customers/import/"' in page) is shown


@pytest.mark.django_db
def test_a_refused_approval_leaves_a_refusal_entry(client, people, customers_):
    new_request(signed_in(client, people.bob, reauthenticated=True))
    export = ExportRequest.objects.get()
    staff = signed_in(client.__class__(), people.carol, reauthenticated=True)
    assert (
        staff.post(f"/admin/exports/{export.pk}/decide/", {"decision": "approve"}).status_code
        == 403
    )
    entry = AuditEntry.objects.get(action="access.refused")
    assert (entry.actor_id, entry.outcome) == (people.carol.pk, "refused")
    assert entry.detail == {"method": "POST", "path": f"/admin/exports/{export.pk}/decide/"}
    export.refresh_from_db()
    assert export.status == "pending"


def test_the_archive_is_written_without_a_query_per_customer(
    customers_, django_assert_max_num_queries
):
    for number in range(20):
        Customer.objects.create(name=f"見本 {number}", email=f"mihon{number}@example.jp")
    buffer = io.BytesIO()
    with django_assert_max_num_queries(2):
        rows = archive.write_archive(buffer, ["name", "email", "phone"], "pass-phrase-1234")
    assert rows == Customer.objects.count()
    content = read_archive(buffer.getvalue(), "pass-phrase-1234")
    assert "mihon19@example.jp" in content


def session_rows_text():
    """Every stored session as written in the database, and as decoded."""
    from django.contrib.sessions.models import Session

    return [(s.session_data, str(s.get_decoded())) for s in Session.objects.all()]


@pytest.mark.django_db
def test_the_session_row_holds_no_readable_archive_password(client, people, customers_):
    export = approved(client, people)

    response = client.post(f"/admin/exports/{export.pk}/prepare/")

    password = response.context["password"]
    rows = session_rows_text()
    assert rows and not [row for row in rows if password in row[0] or password in row[1]]
    assert views.PASSWORD_SESSION_KEY.format(export.pk) in rows[0][1]  # kept, but sealed
    response = client.post(f"/admin/exports/{export.pk}/download/")
    assert response.status_code == 200
    assert MARKER_EMAIL in read_archive(b"".join(response.streaming_content), password)
    assert AuditEntry.objects.filter(action="export.download").count() == 1


@pytest.mark.django_db
def test_a_kept_password_opens_only_in_its_own_session_and_export(client, people, customers_):
    export = approved(client, people)
    client.post(f"/admin/exports/{export.pk}/prepare/")
    key = views.PASSWORD_SESSION_KEY.format(export.pk)
    sealed = client.session[key]
    other = signed_in(client.__class__(), people.bob, reauthenticated=True)  # a second session
    session = other.session
    session[key] = sealed
    session.save()

    response = other.post(f"/admin/exports/{export.pk}/download/")

    assert response.status_code == 400  # asked to show the password again
    export.refresh_from_db()
    assert export.status != "downloaded"
    assert not AuditEntry.objects.filter(action="export.download").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("start", ["=", "+", "-", "@", "＝", "＋", "－", "＠"])
def test_an_archive_cell_cannot_run_as_a_formula(start):
    name = f"{start}HYPERLINK(1)"
    Customer.objects.create(name=name, email="plain@example.com", address=f"{start}SUM(A1)")
    sink = io.BytesIO()

    archive.write_archive(sink, ["name", "address"], "pw-0123456789")

    rows = list(csv.reader(io.StringIO(read_archive(sink.getvalue(), "pw-0123456789"))))
    assert rows[1][1:] == ["'" + name, f"'{start}SUM(A1)"]


@pytest.mark.django_db
def test_the_download_names_every_customer_the_archive_carried(client, people, customers_):
    export = services.request_export(
        people.bob, purpose="年末のお礼状の発送", recipient="internal", fields=["name", "email"]
    )
    services.decide(export, people.alice, approve=True)
    signed_in(client, people.bob, reauthenticated=True)
    response, _password = download(client, export)
    assert response.status_code == 200
    b"".join(response.streaming_content)
    entry = AuditEntry.objects.get(action="export.download")
    carried = {str(pk) for pk in Customer.objects.values_list("pk", flat=True)}
    assert set(entry.customer_ids) == carried and len(carried) == 2
    # "Who looked at this customer" lists the copy that left with the customer's data.
    hanako = Customer.objects.get(email_index=blind_index("email", MARKER_EMAIL))
    client.force_login(people.alice)
    who = client.get(f"/admin/audit/auditentry/customer/{hanako.pk}/", follow=True)
    assert who.status_code == 200
    shown = [e.pk for e in who.context["cl"].result_list]
    assert entry.pk in shown


@pytest.mark.django_db
def test_a_large_download_entry_writes_its_customer_index_in_one_statement(
    people, django_assert_max_num_queries
):
    from django.db import connection

    from audit.ledger import record
    from tests.audit.conftest import appearance_rows, named_entries

    ids = [str(uuid.uuid4()) for _ in range(5000)]
    with django_assert_max_num_queries(12):  # the entry, its alert: never one per customer
        entry = record("export.download", actor=people.alice, customers=ids)
    assert named_entries(ids[0]) == named_entries(ids[-1]) == [entry.pk]
    if connection.vendor == "sqlite":  # PostgreSQL's index is over the entry itself
        assert len(appearance_rows()) == 5000
