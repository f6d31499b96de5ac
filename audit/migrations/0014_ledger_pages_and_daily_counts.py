# Issue #26: the ledger's pages stay as fast at a million entries as at ten thousand.
# - audit_actor_seq and audit_action_seq serve one person's and one action's entries,
#   newest first, by reading only the page's rows;
# - audit.AuditDay counts entries per Japan-time day, action, outcome and person for the
#   home page's charts; it is filled here from the existing entries (one grouped query),
#   then kept by audit.ledger.record in each entry's transaction.
# Entries are only read: no entry, link or chain value changes.
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import TruncDate


def count_existing_days(apps, schema_editor):
    alias = schema_editor.connection.alias
    entries = apps.get_model("audit", "AuditEntry").objects.using(alias)
    days = apps.get_model("audit", "AuditDay")
    zone = ZoneInfo(settings.TIME_ZONE)
    rows = (
        entries.annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day", "action", "outcome", "actor_username")
        .annotate(n=Count("id"))
        .order_by()
    )
    days.objects.using(alias).bulk_create(
        (
            days(
                day=row["day"],
                action=row["action"],
                outcome=row["outcome"],
                actor_username=row["actor_username"],
                entries=row["n"],
            )
            for row in rows.iterator()
        ),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0013_actions_backups_jobs_retention"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("action", models.CharField(max_length=40)),
                ("outcome", models.CharField(max_length=10)),
                ("actor_username", models.CharField(blank=True, max_length=150)),
                ("entries", models.PositiveBigIntegerField(default=0)),
            ],
            options={
                "default_permissions": (),
            },
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["actor_id", "seq"], name="audit_actor_seq"),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["action", "seq"], name="audit_action_seq"),
        ),
        migrations.AddConstraint(
            model_name="auditday",
            constraint=models.UniqueConstraint(
                fields=("day", "action", "outcome", "actor_username"), name="audit_day_key"
            ),
        ),
        migrations.RunPython(count_existing_days, migrations.RunPython.noop, elidable=False),
    ]
