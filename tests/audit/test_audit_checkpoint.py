import pytest
from django.core.management import CommandError, call_command

from audit import checkpoint as checkpoints
from audit.models import AuditEntry
from tests.audit.conftest import run_sql, without_triggers


def make_checkpoint(path, *args):
    call_command("audit_checkpoint", "--file", str(path), *args)
    return checkpoints.parse(path.read_text().splitlines()[-1])


def test_it_appends_a_signed_checkpoint_of_the_last_entry(ledger, tmp_path, capsys):
    path = tmp_path / "checkpoints"
    signed = make_checkpoint(path, "--no-mail")
    last = AuditEntry.objects.order_by("-seq").first()
    assert (signed.seq, signed.chain) == (last.seq, last.chain)
    public_key = checkpoints.signing_key().public_key()
    assert checkpoints.is_signed_by(signed, public_key)
    assert signed.fingerprint == checkpoints.fingerprint(public_key)
    assert signed.line() in capsys.readouterr().out


def test_it_appends_and_never_overwrites(ledger, tmp_path):
    from audit.ledger import record

    path = tmp_path / "checkpoints"
    first = make_checkpoint(path, "--no-mail")
    record("audit.read")
    second = make_checkpoint(path, "--no-mail")
    lines = path.read_text().splitlines()
    assert [checkpoints.parse(line).seq for line in lines] == [first.seq, second.seq]


def test_it_writes_to_the_configured_file(ledger, tmp_path, settings):
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "configured")
    call_command("audit_checkpoint", "--no-mail")
    assert checkpoints.parse((tmp_path / "configured").read_text().strip()).seq > 0


def test_it_mails_the_active_owners_only_the_checkpoint(people, ledger, tmp_path, mailoutbox):
    people.alice.email = "owner@example.jp"
    people.alice.save()
    people.bob.email = "manager@example.jp"  # not an owner: gets nothing
    people.bob.save()
    signed = make_checkpoint(tmp_path / "checkpoints")
    assert [mail.to for mail in mailoutbox] == [["owner@example.jp"]]
    body = mailoutbox[0].body
    for value in (str(signed.seq), signed.chain, signed.time, signed.signature):
        assert value in body
    assert signed.fingerprint in body
    assert "alice" not in body and "example.jp" not in body


def test_it_does_not_mail_when_told_not_to(people, ledger, tmp_path, mailoutbox, settings):
    people.alice.email = "owner@example.jp"
    people.alice.save()
    make_checkpoint(tmp_path / "a", "--no-mail")
    settings.AUDIT_CHECKPOINT_MAIL = False
    make_checkpoint(tmp_path / "b")
    assert mailoutbox == []


def test_it_stops_naming_the_variable_without_a_signing_key(ledger, tmp_path, settings):
    settings.AUDIT_SIGNING_KEY = None
    with pytest.raises(CommandError, match="AUDIT_SIGNING_KEY"):
        call_command("audit_checkpoint", "--file", str(tmp_path / "x"), "--no-mail")
    with pytest.raises(CommandError, match="AUDIT_SIGNING_KEY"):
        call_command("audit_checkpoint", "--public-key")
    assert not (tmp_path / "x").exists()


def test_it_prints_the_public_key(db, capsys):
    call_command("audit_checkpoint", "--public-key")
    out = capsys.readouterr().out.split()
    public_key = checkpoints.signing_key().public_key()
    assert out[0] == checkpoints.public_key_text(public_key)
    assert checkpoints.fingerprint(checkpoints.parse_public_key(out[0])) == out[2]


def test_it_refuses_to_sign_a_ledger_that_does_not_verify(ledger, tmp_path):
    with without_triggers():
        run_sql("UPDATE audit_auditentry SET action = 'x' WHERE seq = %s", [ledger[1].seq])
    with pytest.raises(CommandError, match=f"entry {ledger[1].seq} "):
        call_command("audit_checkpoint", "--file", str(tmp_path / "x"), "--no-mail")
    assert not (tmp_path / "x").exists()


def test_the_signing_key_must_differ_from_the_other_keys():
    import os
    import subprocess
    import sys

    env = {**os.environ, "AUDIT_SIGNING_KEY": os.environ["AUDIT_CHAIN_KEY"]}
    result = subprocess.run(
        [sys.executable, "-c", "import shopguard.settings"], env=env, capture_output=True
    )
    assert result.returncode != 0
    assert b"AUDIT_SIGNING_KEY must differ" in result.stderr


def test_the_local_env_file_has_its_own_signing_key(tmp_path):
    from shopguard.envfile import write_env

    path = tmp_path / ".env"
    write_env(path)
    values = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    assert values["AUDIT_SIGNING_KEY"] not in {values["AUDIT_CHAIN_KEY"], values["BLIND_INDEX_KEY"]}
