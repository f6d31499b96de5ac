"""Write a copy of this database for testing, with no real person's data in it.

``make_test_copy --database-url URL --env-file FILE`` copies the configured database
into a new, empty one (SQLite's backup API, or pg_dump and pg_restore), writes FILE
(mode 0600) with fresh keys for it, then, in a process that runs on the copy with those
keys only, replaces every personal value by clearly fake data of the same shape
(devtools/demo.py): the same customers, purchases, categories, amounts and dates, so
counts and pages look as in the shop. Product names become fake ones of their category;
shipments keep their state and purchases, a gift's recipient becomes a fake one and a
tracking number fake digits of the same shape (an anonymised customer's keep none);
data requests and incident records (free text about real people) are removed; the
shop's people keep their roles under neutral names, with no password or second factor;
the ledger is cut and starts again under the copy's own chain key. The copy is marked a
test copy, so seed_demo may fill it further.

The original is only read. Start the copy with ``SHOPGUARD_ENV_FILE=FILE``.
"""

import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import environ
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accounts.models import TrackedSession
from audit import appearances, changes, triggers
from audit.actions import Action
from audit.ledger import record
from audit.models import Alert, AuditEntry, AuditHead
from customers.fields import PERSONAL_FIELDS
from customers.models import (
    ANONYMISED_NAME,
    ANONYMISED_PRODUCT,
    Customer,
    Gender,
    PreviousContact,
    Purchase,
)
from datarequests.models import DataRequest
from devtools.demo import PRODUCTS, fake_customer_values
from incidents.models import Incident
from shipping.models import Shipment
from upkeep import identity
from upkeep.backups import BackupError, run_pg_tool, sqlite_backup
from vault.keys import new_field_key, new_raw_key
from vault.models import LimitCounter

# Rows rewritten per transaction.
BATCH = 1_000
# Settings the copy must never take from the original's environment.
KEY_SETTINGS = (
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "BLIND_INDEX_KEY",
    "AUDIT_CHAIN_KEY",
    "AUDIT_SIGNING_KEY",
    "DATABASE_URL",
    "BACKUP_RECIPIENT",
    "AUDIT_CHECKPOINT_FILE",
    "EMAIL_URL",
)


class Command(BaseCommand):
    help = "Copy the database into an empty one with every personal value replaced by fake data."

    def add_arguments(self, parser):
        parser.add_argument("--database-url", help="the new, empty database to write")
        parser.add_argument("--env-file", help="where to write the copy's settings (0600)")
        parser.add_argument("--rewrite-copy", metavar="NAME", help=Path(__file__).name)

    def handle(self, **options):
        if options["rewrite_copy"]:
            return self.rewrite(options["rewrite_copy"])
        if not (options["database_url"] and options["env_file"]):
            raise CommandError("Give --database-url (a new, empty database) and --env-file.")
        target = environ.Env.db_url_config(options["database_url"])
        env_file = Path(options["env_file"])
        if env_file.exists():
            raise CommandError(f"{env_file} exists already: the copy's keys go in a new file.")
        try:
            self.copy_into(target)
        except BackupError as error:
            raise CommandError(str(error)) from None
        write_env(env_file, options["database_url"])
        done = subprocess.run(  # noqa: S603 (this very command, on the copy)
            [sys.executable, "manage.py", "make_test_copy", "--rewrite-copy", target["NAME"]],
            cwd=settings.BASE_DIR,
            env=copy_environment(env_file),
            capture_output=True,
            text=True,
            check=False,
        )
        self.stdout.write(done.stdout)
        if done.returncode != 0:
            raise CommandError(f"The copy could not be rewritten: {done.stderr.strip()[-800:]}")
        self.stdout.write(f"test copy written; start it with SHOPGUARD_ENV_FILE={env_file}")

    def copy_into(self, target):
        if connection.vendor == "sqlite" and "sqlite" in target["ENGINE"]:
            if Path(target["NAME"]).exists():
                raise BackupError(f"{target['NAME']} exists: the copy goes into a new file.")
            sqlite_backup(connection.settings_dict["NAME"], target["NAME"])
        elif connection.vendor == "postgresql" and "postgresql" in target["ENGINE"]:
            with tempfile.TemporaryDirectory(prefix="shopguard-copy-") as work:
                dump = Path(work) / "copy.pgdump"
                run_pg_tool(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}"])
                run_pg_tool(
                    [
                        "pg_restore",
                        "--no-owner",
                        "--exit-on-error",
                        "--single-transaction",
                        str(dump),
                    ],
                    settings_dict=target,
                )
        else:
            raise BackupError("The copy goes into a database of the same kind as this one.")

    def rewrite(self, name):
        """Run on the copy, with the copy's keys: replace every personal value."""
        if identity.database_name() != name:
            raise CommandError("--rewrite-copy runs only on the copy it names.")
        rng = random.Random()  # noqa: S311 - fake data, not secrets
        customers = rewrite_customers(rng)
        purchases = rewrite_purchases(rng)
        shipments = rewrite_shipments(rng)
        with transaction.atomic(), changes.recorded_by_caller(naming=False):
            DataRequest.objects.all().delete()
            Incident.objects.all().delete()
            # Previous e-mails and phones kept after a contact change are real values.
            PreviousContact.objects.all().delete()
            neutral_people()
        cut_ledger()
        identity.mark("test_copy")
        with transaction.atomic():
            record(
                Action.CUSTOMER_SEED_DEMO,
                detail={
                    "test_copy": True,
                    "customers": customers,
                    "purchases": purchases,
                    "shipments": shipments,
                },
            )
        self.stdout.write(
            f"{customers} customers and {purchases} purchases rewritten with fake data"
        )
        self.stdout.write(f"{shipments} shipments rewritten with fake recipients")


def write_env(path, database_url):
    """The copy's settings: fresh keys, this database, the demo's local switches."""
    lines = [
        "# A test copy made by make_test_copy: fake data, keys of its own.",
        f"DATABASE_URL={database_url}",
        f"SECRET_KEY={new_raw_key()}{new_raw_key()}",
        f"FIELD_ENCRYPTION_KEYS={new_field_key()}",
        f"BLIND_INDEX_KEY={new_raw_key()}",
        f"AUDIT_CHAIN_KEY={new_raw_key()}",
        f"AUDIT_SIGNING_KEY={new_raw_key()}",
        f"AUDIT_CHECKPOINT_FILE={path.with_suffix('.checkpoints.txt')}",
        "AUDIT_CHECKPOINT_MAIL=0",
        "DEBUG=0",
        "SHOPGUARD_HTTPS=0",
        "SHOPGUARD_REQUIRE_2FA=0",
        "ALLOWED_HOSTS=127.0.0.1,localhost",
        "",
    ]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))


def copy_environment(env_file):
    """This process's environment without any key or database of the original (the
    environment wins over the file), naming the copy's file instead."""
    env = {k: v for k, v in os.environ.items() if k not in KEY_SETTINGS}
    env["SHOPGUARD_ENV_FILE"] = str(env_file)
    return env


def rewrite_customers(rng):
    ids = list(Customer.objects.order_by("pk").values_list("pk", "anonymised_at"))
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        with transaction.atomic(), changes.recorded_by_caller(naming=False):
            for number, (pk, anonymised_at) in enumerate(batch, start=start):
                values = fake_customer_values(number, rng)
                if anonymised_at is not None:
                    values = dict.fromkeys(values, "")
                    values.update(name=ANONYMISED_NAME, gender=Gender.UNANSWERED)
                # A new instance with the row's pk: nothing of the row is loaded (its
                # values are sealed under keys the copy does not have), only replaced.
                customer = Customer(pk=pk, **{f: values.get(f, "") for f in PERSONAL_FIELDS})
                customer._state.adding = False
                customer.save(update_fields=list(PERSONAL_FIELDS))
            record(Action.CUSTOMER_SEED_DEMO, detail={"test_copy_batch": len(batch)})
    return len(ids)


def rewrite_purchases(rng):
    rows = list(
        Purchase.objects.order_by("pk").values_list(
            "pk", "category__code", "category__name_ja", "customer__anonymised_at"
        )
    )
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        with transaction.atomic(), changes.recorded_by_caller(naming=False):
            for pk, code, name_ja, anonymised_at in batch:
                names = PRODUCTS.get(code, [f"{name_ja}（見本）"])
                fake = ANONYMISED_PRODUCT if anonymised_at else names[rng.randrange(len(names))]
                purchase = Purchase(pk=pk, product_name=fake)
                purchase._state.adding = False
                purchase.save(update_fields=["product_name"])
            record(Action.CUSTOMER_SEED_DEMO, detail={"test_copy_batch": len(batch)})
    return len(rows)


# A shipment's sealed recipient (blank: the box goes to the customer's address on file).
RECIPIENT_FIELDS = {
    "recipient_name": "name",
    "recipient_postal_code": "postal_code",
    "recipient_address": "address",
    "recipient_phone": "phone",
}


def fake_tracking_number(real, rng):
    """Random digits in place of the real ones, the rest (hyphens) kept: the same shape."""
    return "".join(str(rng.randrange(10)) if c.isdigit() else c for c in real)


def rewrite_shipments(rng):
    rows = list(
        Shipment.objects.order_by("pk").values_list(
            "pk", "to_address_on_file", "tracking_number", "customer__anonymised_at"
        )
    )
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        with transaction.atomic(), changes.recorded_by_caller(naming=False):
            for number, (pk, on_file, tracking, anonymised_at) in enumerate(batch, start=start):
                gift = not on_file and anonymised_at is None
                values = fake_customer_values(number, rng) if gift else {}
                # As for customers: only replaced, nothing of the row is loaded.
                shipment = Shipment(
                    pk=pk,
                    tracking_number="" if anonymised_at else fake_tracking_number(tracking, rng),
                    **{field: values.get(key, "") for field, key in RECIPIENT_FIELDS.items()},
                )
                shipment._state.adding = False
                shipment.save(update_fields=[*RECIPIENT_FIELDS, "tracking_number"])
            record(Action.CUSTOMER_SEED_DEMO, detail={"test_copy_batch": len(batch)})
    return len(rows)


def neutral_people():
    """The shop's people keep their roles under neutral names, with no way in: whoever
    uses the copy makes their own owner (createowner)."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for person in get_user_model().objects.all():
        person.username = f"person-{person.pk}"
        person.email = person.first_name = person.last_name = ""
        person.set_unusable_password()
        person.save()
    TOTPDevice.objects.all().delete()
    StaticDevice.objects.all().delete()
    Session.objects.all().delete()
    TrackedSession.objects.all().delete()
    LimitCounter.objects.all().delete()
    record(Action.CUSTOMER_SEED_DEMO, detail={"test_copy_people": True})


def cut_ledger():
    """Remove every ledger entry: the copy's chain starts again under its own key."""
    triggers.remove(connection)
    try:
        with transaction.atomic():
            Alert.objects.all().delete()
            with connection.cursor() as cursor:
                appearances.clear(cursor)
            AuditEntry.objects.all().delete()
            AuditHead.objects.all().delete()
    finally:
        triggers.install(connection)
