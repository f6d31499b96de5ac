"""Django's ``flush``, able to empty the append-only ledger tables too.

``flush`` wipes every table (the test runner uses it after each transactional test).
The ledger's triggers refuse exactly that: DELETE without a purge permit on SQLite,
TRUNCATE on PostgreSQL. So they are dropped for the flush and put back right after.
"""

from django.core.management.commands import flush
from django.db import connections

from audit import triggers


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        triggers.remove(connection)
        try:
            return super().handle(**options)
        finally:
            triggers.install(connection)
