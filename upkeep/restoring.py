"""Restoring a backup into an empty database, then proving what came back.

The checks after loading are the reason to restore with this command rather than by
hand: the ledger must verify and end exactly where the backup's manifest says, reach the
last signed checkpoint kept with it, and a sample of sealed values must open with the
configured field keys (a backup restored without its keys is a pile of ciphertext).
"""

from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection

from audit import checkpoint as checkpoints
from audit.actions import Action, Outcome
from audit.ledger import record
from audit.management.commands.verify_audit import verify_ledger
from audit.models import AuditEntry
from customers.models import Customer, Purchase
from upkeep.backups import PG_MEMBER, SQLITE_MEMBER, BackupError, run_pg_tool, sqlite_backup
from vault.reads import bulk_read

# Sealed values opened after a restore: enough to catch a wrong or missing key (every
# row is sealed under one of the configured keys), few enough to take a moment.
SAMPLE = 50


@dataclass
class Findings:
    """What the checks after a restore found; ``problems`` empty means all is well."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def found(self, text):
        self.lines.append(text)

    def problem(self, text):
        self.problems.append(text)
        self.lines.append("PROBLEM: " + text)


def refuse_unless_empty():
    """Restore writes only into an empty database: one that holds tables (the shop's
    real customers, a demo, anything) is never overwritten."""
    tables = connection.introspection.table_names()
    if not tables:
        return
    holding = ""
    if Customer._meta.db_table in tables:
        holding = f" and holds {Customer.objects.count()} customers"
    raise BackupError(
        f"The database {connection.settings_dict['NAME']} is not empty ({len(tables)} "
        f"tables{holding}): restore only into a new, empty database."
    )


def load(opened):
    """Load the archive's database dump into the (empty) configured database."""
    member = opened.database.name
    if member == SQLITE_MEMBER and connection.vendor == "sqlite":
        target = connection.settings_dict["NAME"]
        connection.close()
        sqlite_backup(str(opened.database), target)
    elif member == PG_MEMBER and connection.vendor == "postgresql":
        connection.close()
        run_pg_tool(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                str(opened.database),
            ]
        )
    else:
        raise BackupError(
            f"The archive holds a {opened.manifest.get('engine')} database; the configured "
            f"one is {connection.vendor}. Restore it into the same kind of database."
        )
    connection.close()


def check(opened, public_key=None):
    """Verify what was loaded against the manifest; return ``Findings``."""
    findings = Findings()
    manifest = opened.manifest
    verdict = check_ledger(manifest, findings)
    check_checkpoint(opened.checkpoints, public_key, verdict, findings)
    check_counts(manifest, findings)
    check_sealed_values(findings)
    return findings


def check_ledger(manifest, findings):
    verdict = verify_ledger()
    expected = manifest["ledger"]
    if not verdict.intact:
        findings.problem(f"the ledger is NOT intact: {verdict.message}")
    elif (verdict.head_seq, verdict.head) != (expected["head_seq"], expected["head"]):
        findings.problem(
            f"the ledger ends at entry {verdict.head_seq}, the backup's manifest at "
            f"{expected['head_seq']}"
        )
    else:
        findings.found(f"ledger intact: {verdict.count} entries, head {verdict.head_seq}")
    return verdict


def check_checkpoint(path, public_key, verdict, findings):
    """The last signed checkpoint kept with the backup must be reached by the ledger."""
    try:
        found = checkpoints.read([path])
    except checkpoints.CheckpointError:
        findings.found("no signed checkpoint in the backup: the ledger was checked by its chain")
        return
    if public_key is None:
        findings.problem(
            "the backup has signed checkpoints but no key to check them: set "
            "AUDIT_SIGNING_KEY or give --public-key"
        )
        return
    _place, last = max(found, key=lambda item: item[1].seq)
    stored = AuditEntry.objects.filter(seq=last.seq).values_list("chain", flat=True).first()
    problem = checkpoints.problem_with(last, public_key, verdict, stored)
    if problem:
        findings.problem(f"the last signed checkpoint (entry {last.seq}) fails: {problem}")
    else:
        findings.found(f"last signed checkpoint (entry {last.seq}, {last.time}) reached")


def check_counts(manifest, findings):
    expected = manifest.get("counts", {})
    actual = {"customers": Customer.objects.count(), "purchases": Purchase.objects.count()}
    for name, count in actual.items():
        if expected.get(name) is not None and count < expected[name]:
            findings.problem(f"{count} {name} restored, the manifest counted {expected[name]}")
    findings.found(f"{actual['customers']} customers, {actual['purchases']} purchases")


def check_sealed_values(findings):
    """Open a random sample of customers' and purchases' sealed values."""
    opened = failed = 0
    with bulk_read("restore_check"):
        for customer in Customer.objects.order_by("?")[:SAMPLE]:
            try:
                customer.name  # noqa: B018 (decrypts the customer's sealed record)
                opened += 1
            except Exception:  # noqa: BLE001 (any failure to open is the finding)
                failed += 1
        for purchase in Purchase.objects.order_by("?")[:SAMPLE]:
            try:
                purchase.product_name  # noqa: B018
                opened += 1
            except Exception:  # noqa: BLE001
                failed += 1
    if failed:
        findings.problem(
            f"{failed} of {opened + failed} sampled sealed values do NOT open with the "
            "configured FIELD_ENCRYPTION_KEYS"
        )
    else:
        findings.found(f"{opened} sampled sealed values open with the configured keys")


def record_restore(archive, manifest, findings):
    """The restore's own ledger entry, in the restored ledger (after what it checked)."""
    record(
        Action.BACKUP_RESTORED,
        outcome=Outcome.FAILED if findings.problems else Outcome.OK,
        target=("upkeep.backup", manifest.get("time", "")),
        detail={
            "file": Path(archive).name,
            "head_seq": manifest["ledger"]["head_seq"],
            "problems": len(findings.problems),
        },
    )
