from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from audit.ledger import record
from audit.models import AuditEntry
from tests.audit.conftest import delete_appearances, run_sql, without_triggers


def verify(capsys):
    """Run verify_audit without recording its verdict; return (exit code, stdout, stderr)."""
    try:
        call_command("verify_audit", "--no-record")
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


def test_it_records_an_intact_verdict_with_the_head_it_checked(ledger):
    head = AuditEntry.objects.order_by("-seq").first()
    call_command("verify_audit")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.outcome, entry.seq) == ("audit.verified", "ok", head.seq + 1)
    assert entry.detail["intact"] is True and entry.detail["head_seq"] == head.seq
    call_command("verify_audit")  # the verdict entry is chained like any other


def test_it_records_a_broken_verdict_naming_the_bad_entry(ledger, capsys):
    seq = ledger[2].seq
    with without_triggers():
        run_sql("UPDATE audit_auditentry SET outcome = 'refused' WHERE seq = %s", [seq])
    with pytest.raises(SystemExit):
        call_command("verify_audit")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.outcome) == ("audit.verified", "refused")
    assert entry.detail["intact"] is False and entry.detail["bad_seq"] == seq


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
    record("audit.read", detail={"reason": "改行\nと\x1fタブ\t", "n": 1.5, "ok": True})
    record("audit.read", target=("x", None), username="名前\x1f")
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
        record("audit.read", detail={"micro": micro})
    code, out, err = verify(capsys)
    assert (code, err) == (0, "")
    assert f"{AuditEntry.objects.count()} entries" in out


@pytest.mark.parametrize("count", [3])
def test_it_reads_the_ledger_in_one_streamed_query(db, count, django_assert_max_num_queries):
    from audit.management.commands.verify_audit import verify_ledger

    for n in range(count):
        record("audit.read", detail={"n": n})
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
    entries = [record("audit.read", detail={"n": n}) for n in range(9)]
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
        delete_appearances()
        run_sql("DELETE FROM audit_auditentry")
    code, out, err = verify(capsys)
    assert code == 1
    assert "intact" not in out
    assert f"entry {head} is missing" in err
    assert "empty" in err


# Signed checkpoints (audit_checkpoint): cutting the end of the ledger and rewinding
# the head leaves a valid chain, which only a checkpoint kept elsewhere shows.


@pytest.fixture
def long_ledger(db):
    return [record("audit.read", customers=[f"c-{n}"]) for n in range(15)]


def checkpoint(path):
    """Run audit_checkpoint into ``path``; return the checkpoint's line."""
    call_command("audit_checkpoint", "--file", str(path), "--no-mail")
    return path.read_text().splitlines()[-1]


def verify_against(capsys, *files, extra=()):
    args = [arg for path in files for arg in ("--checkpoint", str(path))]
    try:
        call_command("verify_audit", "--no-record", *args, *extra)
        code = 0
    except SystemExit as exit:
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


def cut_end(count):
    """Delete the last ``count`` entries and rewind the head to match, as someone who
    owns the database would."""
    last = AuditEntry.objects.order_by("-seq")[count]
    with without_triggers():
        delete_appearances("SELECT id FROM audit_auditentry WHERE seq > %s", [last.seq])
        run_sql("DELETE FROM audit_auditentry WHERE seq > %s", [last.seq])
        run_sql("UPDATE audit_audithead SET seq = %s, chain = %s", [last.seq, last.chain])
    return last


@pytest.mark.parametrize("count", [1, 10])
def test_a_checkpoint_finds_entries_cut_from_the_end(long_ledger, tmp_path, capsys, count):
    path = tmp_path / "checkpoints"
    checkpoint(path)
    signed_seq = AuditEntry.objects.order_by("-seq").first().seq
    capsys.readouterr()
    last = cut_end(count)

    assert verify(capsys)[0] == 0  # without a checkpoint the shorter ledger passes
    code, out, err = verify_against(capsys, path)
    assert code == 1
    assert f"checkpoint {path}:1 (entry {signed_seq}) fails" in err
    assert f"ends at entry {last.seq}" in err


def test_a_checkpoint_finds_a_cut_end_written_anew(long_ledger, tmp_path, capsys):
    # The end cut off, then as many new entries appended (with the key): the ledger
    # reaches the checkpoint's number again, but not its chain value.
    path = tmp_path / "checkpoints"
    checkpoint(path)
    signed_seq = AuditEntry.objects.order_by("-seq").first().seq
    cut_end(3)
    while AuditEntry.objects.order_by("-seq").first().seq <= signed_seq:
        record("audit.read")
    code, _, err = verify_against(capsys, path)
    assert code == 1
    assert f"entry {signed_seq} no longer has the signed chain value" in err


def test_a_ledger_that_grew_past_its_checkpoints_passes(long_ledger, tmp_path, capsys):
    first, second = tmp_path / "a", tmp_path / "b"
    checkpoint(first)
    record("audit.read")
    checkpoint(first)
    record("audit.read")
    checkpoint(second)
    record("audit.read")
    code, out, err = verify_against(capsys, first, second)
    assert (code, err) == (0, "")
    assert "checkpoints: 3 reached and extended" in out
    assert "intact" in out


@pytest.mark.parametrize("field", [2, 3, 4])
def test_an_altered_checkpoint_fails_its_signature(long_ledger, tmp_path, capsys, field):
    path = tmp_path / "checkpoints"
    fields = checkpoint(path).split()
    if field == 2:
        fields[2] = str(int(fields[2]) - 1)  # an earlier entry
    elif field == 3:
        fields[3] = AuditEntry.objects.get(seq=int(fields[2]) - 1).chain
    else:
        fields[4] = "2030-01-01T00:00:00Z"
    path.write_text(" ".join(fields) + "\n")
    code, _, err = verify_against(capsys, path)
    assert code == 1
    assert "signature is not valid" in err


def test_a_checkpoint_signed_with_another_key_fails(long_ledger, tmp_path, capsys):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from audit import checkpoint as checkpoints

    last = AuditEntry.objects.order_by("-seq").first()
    forged = checkpoints.sign(last.seq, last.chain, Ed25519PrivateKey.generate())
    path = tmp_path / "forged"
    path.write_text(forged.line() + "\n")
    code, _, err = verify_against(capsys, path)
    assert code == 1
    assert "signature is not valid" in err


def test_it_checks_with_a_given_public_key_alone(long_ledger, tmp_path, capsys, settings):
    from audit import checkpoint as checkpoints

    path = tmp_path / "checkpoints"
    checkpoint(path)
    public_key = checkpoints.public_key_text(checkpoints.signing_key().public_key())
    settings.AUDIT_SIGNING_KEY = None
    code, out, _ = verify_against(capsys, path, extra=["--public-key", public_key])
    assert code == 0 and "checkpoints: 1" in out
    with pytest.raises(CommandError, match="--public-key"):
        call_command("verify_audit", "--checkpoint", str(path))


def test_it_names_a_line_that_is_not_a_checkpoint(long_ledger, tmp_path, capsys):
    path = tmp_path / "checkpoints"
    checkpoint(path)
    with path.open("a") as handle:
        handle.write("# kept by the owner\n\nnot a checkpoint\n")
    with pytest.raises(CommandError, match=f"{path}:4 is not a checkpoint line"):
        call_command("verify_audit", "--checkpoint", str(path))


def test_a_checkpoint_before_a_purge_still_passes(db, clock, tmp_path, capsys):
    for _ in range(3):
        record("audit.read")
    path = tmp_path / "checkpoints"
    checkpoint(path)
    clock.advance(40 * 24 * 60 * 60)
    record("audit.read")
    call_command("purge_audit", "--older-than-days", "30")
    checkpoint(path)
    code, out, err = verify_against(capsys, path)
    assert (code, err) == (0, "")
