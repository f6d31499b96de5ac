import hashlib
import tracemalloc
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from customers.importing import ImportRefused, import_customers
from customers.models import Customer
from customers.validators import CARD_NUMBER_MESSAGE as CARD_MESSAGE
from tests.customers.import_samples import (
    OLD_HEADER,
    TWO_CUSTOMERS,
    current_csv,
    current_row,
)
from tests.customers.test_at_rest import as_text
from vault.blind_index import blind_index

# The tests check stored values themselves; requests still start outside any scope.
pytestmark = pytest.mark.usefixtures("test_reads")

CARD = "4242 4242 4242 4242"


def run_import(tmp_path, data):
    path = tmp_path / "customers_export.csv"
    path.write_bytes(data)
    out, err = StringIO(), StringIO()
    call_command("import_customers", str(path), "--format", "shopify", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused_lines(tmp_path, data):
    with pytest.raises(CommandError, match="nothing was imported"):
        path = tmp_path / "bad.csv"
        path.write_bytes(data)
        err = StringIO()
        try:
            call_command("import_customers", str(path), stderr=err)
        finally:
            refused_lines.output = err.getvalue()
    return refused_lines.output.splitlines()


def test_it_imports_a_shopify_export_in_japanese_name_order(db, tmp_path):
    output, _ = run_import(tmp_path, TWO_CUSTOMERS.encode())

    assert "2 created, 0 updated" in output
    hanako = Customer.objects.get(email_index=blind_index("email", "hanako@example.jp"))
    assert hanako.name == "山田 花子"
    assert hanako.phone == "+81 90-0000-1234"
    assert hanako.postal_code == "000-0001"
    assert hanako.address == "東京都架空市見本町1-2-3 見本ビル201"
    assert Customer.objects.count() == 2


def test_it_records_counts_and_the_file_hash_not_the_contents(db, tmp_path):
    data = TWO_CUSTOMERS.encode()
    run_import(tmp_path, data)

    entry = AuditEntry.objects.get(action="customer.import")
    assert entry.outcome == "ok"
    assert entry.detail["created"] == 2 and entry.detail["updated"] == 0
    assert entry.detail["sha256"] == hashlib.sha256(data).hexdigest()
    assert len(entry.customer_ids) == 2
    ledger_text = str(entry.detail) + str(entry.customer_ids)
    assert "hanako" not in ledger_text and "山田" not in ledger_text


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp932", b"")],
    ids=["utf-8", "utf-8-bom", "cp932"],
)
def test_it_detects_the_encoding(db, tmp_path, encoding, prefix):
    output, _ = run_import(tmp_path, prefix + TWO_CUSTOMERS.encode(encoding))

    assert "2 created" in output
    names = sorted(c.name for c in Customer.objects.all())
    assert names == ["佐藤 太郎", "山田 花子"]
    expected = "utf-8-sig" if prefix else encoding
    assert AuditEntry.objects.get(action="customer.import").detail["encoding"] == expected


def test_it_accepts_the_older_template_headers(db, tmp_path):
    row = (
        "一郎,鈴木,ichiro@example.net,,本町1-1,,見本市,Osaka,JP-27,Japan,JP,"
        "'000-0002,09000000001,no,0,0,,,no"
    )
    csv = f"{OLD_HEADER.lower()}\n{row}\n"

    run_import(tmp_path, csv.encode())

    customer = Customer.objects.get()
    assert customer.name == "鈴木 一郎"
    assert customer.address == "大阪府見本市本町1-1"
    assert customer.phone == "09000000001"


def test_reimporting_updates_by_email_instead_of_duplicating(db, tmp_path):
    run_import(tmp_path, TWO_CUSTOMERS.encode())
    original = Customer.objects.get(email_index=blind_index("email", "hanako@example.jp"))
    changed = current_csv(current_row(first="花", email=" Hanako@Example.JP ", phone=""))

    output, _ = run_import(tmp_path, changed.encode())

    assert "0 created, 1 updated" in output
    assert Customer.objects.count() == 2
    customer = Customer.objects.get(pk=original.pk)
    assert customer.name == "山田 花"
    assert customer.phone == "+81 90-0000-1234"  # blank in the file keeps the stored value
    entries = AuditEntry.objects.filter(action="customer.import").order_by("seq")
    assert [e.detail["updated"] for e in entries] == [0, 1]


def test_importing_the_same_file_twice_changes_nothing_more(db, tmp_path):
    run_import(tmp_path, TWO_CUSTOMERS.encode())
    before = sorted((c.pk, c.name, c.email) for c in Customer.objects.all())
    output, _ = run_import(tmp_path, TWO_CUSTOMERS.encode())
    assert "0 created, 0 updated, 2 unchanged" in output
    assert sorted((c.pk, c.name, c.email) for c in Customer.objects.all()) == before


def test_one_bad_row_imports_nothing_and_every_bad_row_is_reported(db, tmp_path):
    csv = current_csv(
        current_row(),
        current_row(email="secret-not-an-email", first="次郎"),
        current_row(email="ok@example.com", phone="12", spent="-5"),
        current_row(email="third@example.com", first="", last=""),
    )

    lines = refused_lines(tmp_path, csv.encode())

    assert Customer.objects.count() == 0
    assert any(line.startswith("3行目, Email:") for line in lines)
    assert any(line.startswith("4行目, Phone:") for line in lines)
    assert any(line.startswith("4行目, Total Spent:") for line in lines)
    assert any(line.startswith("5行目, Last Name:") for line in lines)
    assert not any(line.startswith("2行目") for line in lines)
    assert "secret-not-an-email" not in "\n".join(lines)
    entry = AuditEntry.objects.get(action="customer.import")
    assert entry.outcome == "refused" and entry.detail["problems"] == len(lines)
    assert entry.customer_ids == []


@pytest.mark.parametrize(
    "row",
    [
        current_row(note=f"カード {CARD} で支払い"),
        current_row(note="４２４２－４２４２－４２４２－４２４２"),
        current_row(phone="4242424242424242"),
        current_row(email="card@example.jp") + f",{CARD}",
    ],
    ids=["note", "full-width-note", "phone", "unknown-column"],
)
def test_it_refuses_card_numbers_anywhere_in_a_row(db, tmp_path, row):
    lines = refused_lines(tmp_path, current_csv(current_row(email="a@example.jp"), row).encode())

    assert Customer.objects.count() == 0
    assert any(line.startswith("3行目") and "カード番号" in line for line in lines)
    assert "4242" not in "\n".join(lines)


def test_duplicate_emails_in_one_file_are_refused(db, tmp_path):
    csv = current_csv(current_row(), current_row(email="HANAKO@example.jp"))
    lines = refused_lines(tmp_path, csv.encode())
    assert lines == ["3行目, Email: 2行目と同じメールアドレスです。"]


def test_a_repeated_email_is_found_among_thousands_of_rows(db, tmp_path):
    rows = [f"user{i}@example.com,山田" for i in range(3000)]
    rows[2500] = "USER7@example.com,山田"  # line 2502 repeats line 9

    lines = refused_lines(tmp_path, ("Email,Last Name\n" + "\n".join(rows)).encode())

    assert lines == ["2502行目, Email: 9行目と同じメールアドレスです。"]
    assert Customer.objects.count() == 0


def test_a_file_without_an_email_column_is_refused(db, tmp_path):
    lines = refused_lines(tmp_path, "First Name,Last Name\n花子,山田\n".encode())
    assert lines[0].startswith("1行目, Email:")


def test_an_undecodable_file_is_refused(db, tmp_path):
    lines = refused_lines(tmp_path, b"Email\n\x82\xff\xfe\n")
    assert "UTF-8" in lines[0] and "CP932" in lines[0]
    assert Customer.objects.count() == 0
    assert refusal().detail["reason"] == "encoding"


def refusal():
    entry = AuditEntry.objects.get(action="customer.import")
    assert entry.outcome == "refused" and entry.customer_ids == []
    return entry


def test_a_bom_followed_by_bytes_that_are_not_utf8_is_refused(db, tmp_path):
    data = b"\xef\xbb\xbf" + TWO_CUSTOMERS.encode("cp932")

    lines = refused_lines(tmp_path, data)

    assert lines == [
        "ファイル: 文字コードを読み取れません。UTF-8 または Shift_JIS (CP932) で保存してください。"
    ]
    assert Customer.objects.count() == 0
    entry = refusal()
    assert entry.detail["reason"] == "encoding" and entry.detail["problems"] == 1
    assert entry.detail["sha256"] == hashlib.sha256(data).hexdigest()
    assert entry.detail["bytes"] == len(data)


def test_it_refuses_more_rows_than_the_limit_and_imports_nothing(db, tmp_path, settings):
    settings.SHOPGUARD_IMPORT_MAX_ROWS = 2
    rows = [current_row(email=f"user{i}@example.com") for i in range(3)]
    data = current_csv(*rows).encode()

    lines = refused_lines(tmp_path, data)

    assert len(lines) == 1 and "上限 2 行" in lines[0]
    assert Customer.objects.count() == 0
    entry = refusal()
    assert entry.detail == {
        "format": "shopify",
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "encoding": "utf-8",
        "reason": "too_many_rows",
        "problems": 1,
    }


def test_a_file_of_exactly_the_row_limit_is_imported(db, tmp_path, settings):
    settings.SHOPGUARD_IMPORT_MAX_ROWS = 2
    output, _ = run_import(tmp_path, (TWO_CUSTOMERS + "\r\n,,,\r\n").encode())  # blank rows
    assert "2 created" in output and Customer.objects.count() == 2


def test_a_file_over_the_size_limit_is_refused_unread(db, tmp_path, monkeypatch):
    monkeypatch.setattr("customers.importing.MAX_FILE_BYTES", 1000)
    monkeypatch.setattr("customers.importing.READ_CHUNK", 100)
    data = current_csv(*[current_row(email=f"u{i}@example.com") for i in range(20)]).encode()

    lines = refused_lines(tmp_path, data)

    assert len(lines) == 1 and "ファイルが大きすぎます" in lines[0]
    assert Customer.objects.count() == 0
    entry = refusal()
    assert entry.detail["reason"] == "too_large" and entry.detail["bytes"] == 1100


def test_it_lists_the_first_100_problems_and_counts_the_rest(db, tmp_path):
    rows = [current_row(email=f"not-an-email-{i}") for i in range(150)]

    lines = refused_lines(tmp_path, current_csv(*rows).encode())

    assert len(lines) == 101
    assert lines[0].startswith("2行目, Email:") and lines[99].startswith("101行目, Email:")
    assert lines[100] == "... and 50 more."
    assert refused_lines.output.count("not-an-email") == 0
    entry = refusal()
    assert entry.detail["reason"] == "rows" and entry.detail["problems"] == 150
    assert "not-an-email" not in str(entry.detail)


def test_import_writes_in_few_queries_per_row(db, django_assert_max_num_queries):
    rows = [current_row(email=f"user{i}@example.com", phone="") for i in range(30)]
    with django_assert_max_num_queries(30 * 2 + 10):
        import_customers(current_csv(*rows).encode())
    assert Customer.objects.count() == 30


def test_card_numbers_are_refused_even_in_a_column_read_twice(db, tmp_path):
    csv = f"Email,Last Name,Company,Default Address Company\na@example.jp,山田,見本社,{CARD}\n"
    lines = refused_lines(tmp_path, csv.encode())
    assert lines == [f"2行目, Default Address Company: {CARD_MESSAGE}"]
    assert Customer.objects.count() == 0


def database_text_and_bytes():
    """Every table's rows as text, and the SQLite file's raw pages (b'' on PostgreSQL)."""
    from django.db import connection

    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks += [" ".join(map(as_text, row)) for row in cursor.fetchall()]
    raw = connection.connection.serialize() if connection.vendor == "sqlite" else b""
    return "\n".join(chunks), raw


def test_no_imported_value_is_stored_in_plaintext(db, tmp_path):
    markers = ["ZZ姓マーカー", "ZZ名マーカー", "zz.import.marker@example.org", "ZZ住所マーカー"]
    markers += ["ZZメモマーカー", "ZZタグマーカー", "0709876", "ZZ会社マーカー"]
    row = current_row(first=markers[1], last=markers[0], email=markers[2], phone="070-9876-5432")
    row = row.replace("見本町1-2-3", markers[3]).replace(',"",no,', f',"{markers[4]}",no,')
    row = row.replace("vip, 常連", markers[5]).replace("yes,,", f"yes,{markers[7]},")
    run_import(tmp_path, current_csv(row).encode())
    assert Customer.objects.get().address.endswith(markers[7])  # the row was imported whole

    text, raw = database_text_and_bytes()
    for marker in markers:
        assert marker not in text, f"{marker!r} stored in plaintext"
        assert marker.encode() not in raw, f"{marker!r} in the database file"


def small_export(path, rows, *, last_note=""):
    """A Shopify-style file of ``rows`` small rows, written line by line."""
    with open(path, "w", encoding="utf-8", newline="") as file:
        file.write("Email,First Name,Last Name,Note\r\n")
        for i in range(rows):
            note = last_note if i == rows - 1 else ""
            file.write(f"user{i}@example.com,花子,山田,{note}\r\n")
    return path


def peak_bytes_of_import(path):
    tracemalloc.start()
    try:
        with open(path, "rb") as source, pytest.raises(ImportRefused) as refused:
            import_customers(source)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        assert refused.value.reason == "rows"  # every row was read, and the last refused


@pytest.mark.slow
def test_checking_a_file_keeps_memory_flat(db, tmp_path, settings):
    """Peak memory of a whole check at N and 4N rows: it must not grow with the file.

    The file's last row holds a card number, so every row is read, parsed, validated
    and looked up before the file is refused. Repeated e-mails are found through a
    fixed-size filter (customers.importing.Repeats), so nothing is kept per row; the
    8-byte digest per e-mail kept before cost about 120 bytes a row, and the first
    import held the whole file several times over (several KB a row).
    """
    settings.SHOPGUARD_IMPORT_MAX_ROWS = 100_000
    rows = 2_000
    card = "4242 4242 4242 4242"
    peak_bytes_of_import(small_export(tmp_path / "warm.csv", 10, last_note=card))  # warm-up
    peak_n = peak_bytes_of_import(small_export(tmp_path / "n.csv", rows, last_note=card))
    peak_4n = peak_bytes_of_import(small_export(tmp_path / "4n.csv", 4 * rows, last_note=card))

    print(f"import check peak: {peak_n / 1e6:.2f} MB at {rows} rows, ", end="")
    print(f"{peak_4n / 1e6:.2f} MB at {4 * rows} rows")
    assert peak_4n < 2 * peak_n
    assert (peak_4n - peak_n) / (3 * rows) < 60  # bytes per extra row
    assert Customer.objects.count() == 0
