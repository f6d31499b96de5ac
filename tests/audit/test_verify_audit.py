from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from audit.ledger import record
from audit.models import AuditEntry
from tests.audit.conftest import run_sql, without_triggers


def verify(capsys):
    """Run verify_audit; return (exit code, stdout, stderr)."""
    try:
        call_command("verify_audit")
        code = 0
    except SystemExit as exit:
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


def test_it_passes_an_intact_ledger_with_count_and_head(ledger, capsys):
    code, out, _ = verify(capsys)
    head = AuditEntry.objects.order_by("-seq").first()
    assert code == 0
    assert f"{AuditEntry.objects.count()} entries" in out
    assert head.chain in out


def test_it_passes_an_empty_ledger(db, capsys):
    AuditEntry.objects.all()  # nothing recorded yet in this test
    code, out, _ = verify(capsys)
    assert code == 0
    assert f"{AuditEntry.objects.count()} entries" in out


def test_it_finds_an_edited_entry(ledger, capsys):
    seq = ledger[2].seq
    with without_triggers():
        run_sql("UPDATE audit_auditentry SET outcome = 'refused' WHERE seq = %s", [seq])
    code, _, err = verify(capsys)
    assert code == 1
    assert f"entry {seq} " in err


def test_it_finds_an_edited_detail(ledger, capsys):
    seq = ledger[1].seq
    with without_triggers():
        run_sql("UPDATE audit_auditentry SET detail = %s WHERE seq = %s", ['{"n":9}', seq])
    code, _, err = verify(capsys)
    assert code == 1
    assert f"entry {seq} " in err


def test_it_finds_a_deleted_entry(ledger, capsys):
    seq = ledger[2].seq
    with without_triggers():
        run_sql("DELETE FROM audit_auditentry WHERE seq = %s", [seq])
    code, _, err = verify(capsys)
    assert code == 1
    assert f"entry {seq + 1} " in err


def test_it_finds_a_deleted_last_entry(ledger, capsys):
    seq = ledger[-1].seq
    with without_triggers():
        run_sql("DELETE FROM audit_auditentry WHERE seq = %s", [seq])
    code, _, err = verify(capsys)
    assert code == 1
    assert f"entry {seq} " in err


def test_it_finds_deleted_oldest_entries(ledger, capsys):
    with without_triggers():
        run_sql("DELETE FROM audit_auditentry WHERE seq <= %s", [ledger[1].seq])
    code, _, err = verify(capsys)
    assert code == 1
    assert f"entry {ledger[2].seq} " in err


def test_it_finds_an_inserted_entry(ledger, capsys):
    # A copy of entry 3 slipped in as entry 4, the rest moved up by one.
    victim = ledger[2]
    with without_triggers():
        for entry in reversed(ledger[3:]):
            run_sql("UPDATE audit_auditentry SET seq = seq + 1 WHERE seq = %s", [entry.seq])
        forged = AuditEntry.objects.get(seq=victim.seq)
        forged.pk = None
        forged.seq = victim.seq + 1
        forged.prev_chain = victim.chain
        forged.save(force_insert=True)
    code, _, err = verify(capsys)
    assert code == 1
    assert f"entry {victim.seq + 1} " in err


def test_it_finds_an_entry_appended_without_the_key(ledger, capsys):
    last = ledger[-1]
    with without_triggers():
        forged = AuditEntry.objects.get(seq=last.seq)
        forged.pk = None
        forged.seq = last.seq + 1
        forged.prev_chain = last.chain
        forged.chain = "0" * 64
        forged.save(force_insert=True)
    code, _, err = verify(capsys)
    assert code == 1
    assert f"entry {last.seq + 1} " in err


def test_it_finds_reordered_entries(ledger, capsys):
    a, b = ledger[1].seq, ledger[3].seq
    with without_triggers():
        run_sql("UPDATE audit_auditentry SET seq = 999999 WHERE seq = %s", [a])
        run_sql("UPDATE audit_auditentry SET seq = %s WHERE seq = %s", [a, b])
        run_sql("UPDATE audit_auditentry SET seq = %s WHERE seq = 999999", [b])
    code, _, err = verify(capsys)
    assert code == 1
    assert f"entry {a} " in err


def test_it_finds_entries_whose_chain_was_rebuilt_without_the_key(ledger, capsys, settings):
    # Someone rewrote entry 3 and recomputed the chain from there with a key of their own.
    from audit.chain import chain_value

    fake_key = b"x" * 32
    with without_triggers():
        prev = ledger[1].chain
        for entry in ledger[2:]:
            entry = AuditEntry.objects.get(seq=entry.seq)
            entry.prev_chain = prev
            entry.detail = {"n": 0}
            entry.chain = prev = chain_value(fake_key, entry)
            AuditEntry.objects.filter(pk=entry.pk).update(
                prev_chain=entry.prev_chain, detail=entry.detail, chain=entry.chain
            )
    code, _, err = verify(capsys)
    assert code == 1
    assert f"entry {ledger[2].seq} " in err


def test_it_keeps_unusual_text_verifiable(db, capsys):
    record("test.text", detail={"reason": "改行\nと\x1fタブ\t", "n": 1.5, "ok": True})
    record("test.text", target=("x", None), username="名前\x1f")
    code, _, _ = verify(capsys)
    assert code == 0


@pytest.mark.parametrize("old_sqlite", [False, True])
@pytest.mark.parametrize("micro", [0, 1, 499_999, 999_499, 999_500, 999_999])
def test_it_passes_entries_at_any_microsecond(db, capsys, monkeypatch, micro, old_sqlite):
    # SQLite's date functions round a time to whole milliseconds, so an entry written
    # in the last half millisecond of a second (1 in 2,000) once verified as a second
    # later and failed its chain value; 23:59:59 also moves to the next day.
    from django.db import connection
    from django.utils import timezone

    from audit import chain

    if old_sqlite:
        if connection.vendor != "sqlite":
            pytest.skip("the strftime() form is for SQLite before 3.38")
        monkeypatch.setattr(chain.sqlite3, "sqlite_version_info", (3, 37, 2))
    for second in ((11, 32, 15), (23, 59, 59)):
        moment = datetime(2026, 11, 27, *second, micro, tzinfo=UTC)
        monkeypatch.setattr(timezone, "now", lambda moment=moment: moment)
        record("test.step", detail={"micro": micro})
    code, out, err = verify(capsys)
    assert (code, err) == (0, "")
    assert f"{AuditEntry.objects.count()} entries" in out


@pytest.mark.parametrize("count", [3])
def test_it_reads_the_ledger_in_one_streamed_query(db, count, django_assert_max_num_queries):
    from audit.management.commands.verify_audit import verify_ledger

    for n in range(count):
        record("test.step", detail={"n": n})
    with django_assert_max_num_queries(3):
        verdict = verify_ledger()
    assert verdict.intact


def test_checking_in_parts_gives_the_same_verdict(ledger, settings):
    from audit.chain import combine, scan
    from audit.management.commands.verify_audit import ledger_rows

    key = settings.AUDIT_CHAIN_KEY
    rows = list(ledger_rows())
    whole = combine([scan(key, rows)])
    for k in range(1, len(rows)):
        parts = combine([scan(key, rows[:k]), scan(key, rows[k:])])
        assert (parts.intact, parts.count, parts.head) == (True, whole.count, whole.head)


def test_checking_in_parts_finds_a_removal_at_the_seam(ledger, settings):
    from audit.chain import combine, scan
    from audit.management.commands.verify_audit import ledger_rows

    key = settings.AUDIT_CHAIN_KEY
    rows = list(ledger_rows())
    k = len(rows) - 3
    verdict = combine([scan(key, rows[:k]), scan(key, rows[k + 1 :])])
    assert verdict.bad_seq == ledger[-2].seq


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_check_a_committed_ledger(monkeypatch):
    from django.db import connection

    from audit.management.commands import verify_audit as command

    if connection.vendor != "postgresql":
        pytest.skip("the test database of SQLite lives in this process's memory")
    monkeypatch.setattr(command, "PARALLEL_FROM", 0)
    entries = [record("test.step", detail={"n": n}) for n in range(9)]
    verdict = command.verify_ledger(workers=3)
    assert (verdict.intact, verdict.count) == (True, AuditEntry.objects.count())

    with without_triggers():
        run_sql("UPDATE audit_auditentry SET action = 'x' WHERE seq = %s", [entries[5].seq])
    verdict = command.verify_ledger(workers=3)
    assert verdict.bad_seq == entries[5].seq


def test_it_finds_an_emptied_ledger_whose_head_is_further(ledger, capsys):
    # TRUNCATE, or a DELETE past the triggers: no entry is left to fail its chain, but
    # the head still counts them.
    head = AuditEntry.objects.order_by("-seq").first().seq
    with without_triggers():
        run_sql("DELETE FROM audit_auditentrycustomer")
        run_sql("DELETE FROM audit_auditentry")
    code, out, err = verify(capsys)
    assert code == 1
    assert "intact" not in out
    assert f"entry {head} is missing" in err
    assert "empty" in err
