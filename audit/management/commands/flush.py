"""Django's ``flush``, able to empty the append-only ledger tables too.

``flush`` wipes every table (the test runner uses it between transactional tests); the
ledger's delete triggers would stop it on SQLite, so they are dropped for the flush and
put back right after. It also cascades: auditlog's own ``auditlog_logentry`` table still
exists (its migration creates it although ``AUDITLOG_LOGENTRY_MODEL`` points to
``audit.ChangeLogEntry``) and its foreign key to users would stop PostgreSQL's TRUNCATE.
"""

from django.core.management.commands import flush
from django.db import connections

from audit import triggers


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        triggers.remove(connection)
        try:
            return super().handle(**{**options, "allow_cascade": True})
        finally:
            triggers.install(connection)
