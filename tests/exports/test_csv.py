"""The CSV inside the archive is ready for its use (issue #23): Japanese headers (the
glossary's words) with English as a choice, no internal id column, phones in one
domestic form, the formula guard only on real formulas; and the archive opens with
7-Zip. On the main before issue #23 the headers were ``id,name,...`` with the internal
id, phones were written as typed and ``+81...`` got a visible apostrophe (these tests
fail there)."""

import csv
import io
import os
import shutil
import subprocess

import pytest

from customers.models import Customer
from exports import archive
from tests.exports.helpers import archive_members, decide, download, latest, new_request
from tests.signing import signed_in

pytestmark = pytest.mark.django_db
PHONES = ["+81 90-1234-5678", "０３１２３４５６７８", "09011112222", "=HYPERLINK(1)"]


@pytest.fixture
def shop(db):
    return [
        Customer.objects.create(name=f"顧客 {n}", email=f"c{n}@example.com", phone=phone)
        for n, phone in enumerate(PHONES)
    ]


def approved_members(client, people, **changes):
    new_request(signed_in(client, people.bob, reauthenticated=True), **changes)
    export = latest()
    decide(signed_in(client.__class__(), people.alice, reauthenticated=True), export)
    response, password = download(client, export)
    assert response.status_code == 200
    return archive_members(b"".join(response.streaming_content), password)


def rows_of(text):
    return list(csv.reader(io.StringIO(text)))


def test_headers_are_the_glossarys_japanese_words_without_an_internal_id(client, people, shop):
    members = approved_members(client, people, fields=["name", "phone", "email"])
    rows = rows_of(members["customers.csv"])
    assert rows[0] == ["番号", "氏名", "電話番号", "メールアドレス"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "4"]
    text = members["customers.csv"]
    assert not any(str(c.pk) in text for c in shop)


def test_english_headers_are_a_choice(client, people, shop):
    members = approved_members(client, people, fields=["name", "phone"], header_language="en")
    assert rows_of(members["customers.csv"])[0] == ["Number", "Name", "Phone number"]


def test_phones_are_written_in_one_domestic_form_and_only_formulas_are_marked(client, people, shop):
    members = approved_members(client, people, fields=["phone"])
    phones = [r[1] for r in rows_of(members["customers.csv"])[1:]]
    # No apostrophe before a phone; the real formula keeps its guard.
    assert phones == ["090-1234-5678", "03-1234-5678", "090-1111-2222", "'=HYPERLINK(1)"]


def seven_zip():
    return shutil.which("7z") or shutil.which("7zz") or shutil.which("7za")


def test_the_archive_opens_with_7_zip(shop, tmp_path):
    tool = seven_zip()
    if tool is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI opens the archive with 7-Zip: install p7zip-full (.ci/run)")
        pytest.skip("7-Zip is not installed here (apt-get install p7zip-full)")
    path = tmp_path / "export.zip"
    with path.open("wb") as fileobj:
        archive.write_archive(fileobj, ["name", "phone"], "pass-phrase-1234")

    listed = subprocess.run(
        [tool, "l", "-slt", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "Method = AES-256 Deflate" in listed
    refused = subprocess.run(
        [tool, "x", "-y", "-p" + "wrong-password", f"-o{tmp_path / 'no'}", str(path)],
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0
    subprocess.run(
        [tool, "x", "-y", "-ppass-phrase-1234", f"-o{tmp_path / 'out'}", str(path)],
        capture_output=True,
        check=True,
    )
    text = (tmp_path / "out" / "customers.csv").read_text(encoding="utf-8-sig")
    assert rows_of(text)[0] == ["番号", "氏名", "電話番号"]
    assert "090-1234-5678" in text and "顧客 0" in text
