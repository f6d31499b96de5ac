"""Django's ``flush``, able to empty the append-only ledger tables too.

``flush`` wipes every table (the test runner uses it after each transactional test).
The ledger's triggers refuse exactly that: DELETE without a purge permit on SQLite,
TRUNCATE on PostgreSQL. So they are dropped for the flush and put back right after.
SQLite's customer appearances (audit.appearances) are tables Django does not know:
emptied with the ledger.
"""

from django.core.management.commands import flush
from django.db import connections

from audit import appearances, triggers


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        triggers.remove(connection)
        wipe = connection.ops.execute_sql_flush

        def wipe_with_appearances(sql_list):
            # Only when the flush really runs (not when it is cancelled), before the
            # migrations' post_migrate handlers write new entries.
            wipe(sql_list)
            with connection.cursor() as cursor:
                appearances.clear(cursor)

        connection.ops.execute_sql_flush = wipe_with_appearances
        try:
            return super().handle(**options)
        finally:
            del connection.ops.execute_sql_flush
            triggers.install(connection)
