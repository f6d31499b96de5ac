"""A re-import shows what it will change, and never applies a lost character silently
(issue #24).

On main before this change, re-importing customers from a CP932 file turned 𠮷野 into
「?野」 and said only 「1 件を更新しました」.
"""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from audit.models import AuditEntry
from customers.importing import looks_lost
from customers.models import Customer
from tests.customers.import_samples import current_csv, current_row
from tests.signing import signed_in

pytestmark = pytest.mark.usefixtures("test_reads")

URL = "/admin/customers/import/"
# 𠮷 (U+20BB7) is not in CP932: Python's and Excel's "replace" leave "?".
ORIGINAL = current_csv(current_row(last="𠮷野", first="花子"))
AS_CP932 = ORIGINAL.encode("cp932", errors="replace")
AS_CP932_NEW_PHONE = current_csv(
    current_row(last="𠮷野", first="花子", phone="090-0000-9999")
).encode("cp932", errors="replace")


def command(tmp_path, data, *options):
    path = tmp_path / "customers_export.csv"
    path.write_bytes(data)
    out = StringIO()
    call_command("import_customers", str(path), *options, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("stored", "new", "lost"),
    [
        ("𠮷野 花子", "?野 花子", True),
        ("髙橋 一郎", "？橋 一郎", True),
        ("𠮷野 花子", "\ufffd野 花子", True),
        ("山田 花子", "山本 花子", False),
        ("", "?", False),
        ("What? 商店", "What? 商店", False),
        ("見本 太郎", "見本 太郎?", False),  # something added, not lost
    ],
)
def test_it_knows_a_lost_character_from_a_correction(stored, new, lost):
    assert looks_lost(stored, new) is lost


def test_a_reimport_from_cp932_keeps_a_character_it_would_lose(db, tmp_path):
    command(tmp_path, ORIGINAL.encode())

    output = command(tmp_path, AS_CP932)

    assert AS_CP932.decode("cp932").count("?野") == 1  # the file really lost it
    assert Customer.objects.get().name == "𠮷野 花子"
    assert "Kept 1 stored values" in output
    entry = AuditEntry.objects.filter(action="customer.import").order_by("seq").last()
    assert entry.detail["kept_lost"] == 1 and entry.detail["accept_lost"] is False


def test_the_other_changes_of_the_row_are_still_applied(db, tmp_path):
    command(tmp_path, ORIGINAL.encode())

    command(tmp_path, AS_CP932_NEW_PHONE)

    customer = Customer.objects.get()
    assert customer.name == "𠮷野 花子" and customer.phone == "090-0000-9999"


def test_an_explicit_choice_applies_the_lost_character(db, tmp_path):
    command(tmp_path, ORIGINAL.encode())

    command(tmp_path, AS_CP932, "--accept-lost-characters")

    assert Customer.objects.get().name == "?野 花子"


# Through the browser ------------------------------------------------------------------


def post(client, data, **extra):
    upload = SimpleUploadedFile("customers_export.csv", data, "text/csv")
    return client.post(URL, {"file": upload, "format": "shopify", **extra})


def test_a_reimport_is_shown_first_with_counts_per_field_and_changes_nothing(client, people):
    signed_in(client, people.alice)
    post(client, ORIGINAL.encode())
    before = AuditEntry.objects.count()

    response = post(client, AS_CP932_NEW_PHONE)

    assert response.status_code == 200
    page = response.content.decode()
    assert "登録する前に変更内容を確認してください" in page
    fields = {f.field: (f.customers, f.lost) for f in response.context["preview"].fields.values()}
    assert fields == {"name": (1, 1), "phone": (1, 0)}
    # The owner may see the values: side by side, and the preview's entry names whom.
    assert "𠮷野 花子" in page and "?野 花子" in page
    customer = Customer.objects.get()
    assert customer.name == "𠮷野 花子" and customer.phone != "090-0000-9999"
    [entry] = AuditEntry.objects.order_by("seq")[before:]
    assert entry.action == "customer.import" and entry.detail["step"] == "preview"
    assert entry.customer_ids == [str(customer.pk)]
    assert "𠮷" not in str(entry.detail)


def test_confirming_without_the_choice_keeps_the_stored_name(client, people):
    signed_in(client, people.alice)
    post(client, ORIGINAL.encode())
    digest = post(client, AS_CP932_NEW_PHONE).context["preview"].digest

    response = post(client, AS_CP932_NEW_PHONE, digest=digest)

    assert response.status_code == 302
    customer = Customer.objects.get()
    assert customer.name == "𠮷野 花子" and customer.phone == "090-0000-9999"
    page = client.get(URL).content.decode()
    assert "文字化けのように見えた 1 件の値は登録せず" in page


def test_confirming_with_the_choice_applies_it(client, people):
    signed_in(client, people.alice)
    post(client, ORIGINAL.encode())
    digest = post(client, AS_CP932).context["preview"].digest

    post(client, AS_CP932, digest=digest, accept_lost="on")

    assert Customer.objects.get().name == "?野 花子"


def test_confirming_with_another_file_than_the_one_shown_imports_nothing(client, people):
    signed_in(client, people.alice)
    post(client, ORIGINAL.encode())
    digest = post(client, AS_CP932).context["preview"].digest

    response = post(client, AS_CP932_NEW_PHONE, digest=digest)

    assert response.status_code == 200
    assert "確認したファイルと違うファイルです" in response.content.decode()
    assert Customer.objects.get().phone != "090-0000-9999"


def test_an_email_changed_by_a_reimport_is_kept_and_told_like_a_typed_one(
    db, tmp_path, django_capture_on_commit_callbacks, mailoutbox
):
    # Issue #22, finding 1: an import is one more way to put another address on file.
    from customers.models import PreviousContact
    from customers.reading import address_on_file

    same_id = 7001
    command(tmp_path, current_csv(current_row(customer_id=same_id)).encode())
    changed = current_csv(current_row(customer_id=same_id, email="someone.else@example.jp"))

    with django_capture_on_commit_callbacks(execute=True):
        command(tmp_path, changed.encode())

    customer = Customer.objects.get()
    assert customer.email == "someone.else@example.jp"
    kept = PreviousContact.objects.get(customer=customer)
    assert (kept.field, kept.value) == ("email", "hanako@example.jp")
    change = AuditEntry.objects.get(action="customer.contact_change")
    assert change.detail == {"fields": ["email"]} and change.customer_ids == [str(customer.pk)]
    assert [m.to for m in mailoutbox] == [["hanako@example.jp"]]
    assert "someone.else" not in mailoutbox[0].body
    latest = AuditEntry.objects.order_by("-seq").first()
    assert address_on_file(customer, latest) == "hanako@example.jp"
