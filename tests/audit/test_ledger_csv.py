"""The ledger's CSV download keeps every cell a spreadsheet would run as a formula as text."""

import csv
import io

import pytest

from audit.actions import Action
from audit.ledger import record

URL = "/admin/audit/auditentry/export.csv"
# ASCII and full-width formula starts: some spreadsheets fold ＝＋－＠ to =+-@ first.
FORMULA_STARTS = ["=", "+", "-", "@", "＝", "＋", "－", "＠"]


def read_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_a_typed_username_cannot_run_as_a_formula(client, people, start):
    typed = f"{start}HYPERLINK(1)"
    record(Action.SIGN_IN_FAILED, username=typed)
    client.force_login(people.dave)

    response = client.get(URL, {"action__exact": Action.SIGN_IN_FAILED})

    assert response.status_code == 200
    rows = read_rows(response)
    assert [row["利用者"] for row in rows] == ["'" + typed]


def test_a_user_agent_cannot_run_as_a_formula(client, people):
    client.force_login(people.dave)
    client.get("/admin/audit/auditentry/", HTTP_USER_AGENT="＝cmd|' /C calc'!A0")

    response = client.get(URL, {"action__exact": Action.AUDIT_READ})

    rows = read_rows(response)
    assert rows and all(row["ユーザーエージェント"] == "'＝cmd|' /C calc'!A0" for row in rows)
