"""Whether this database holds the shop's real customers.

Test and production data are kept apart (Shopify's protected-data rules): a database
that ``seed_demo`` filled is marked a demo, one ``make_test_copy`` wrote is marked a test
copy, and one that holds customers without either mark is taken to be real. Commands
that would mix fake data into it refuse unless told, by name, which database it is.
"""

from django.db import connection

from customers.models import Customer
from upkeep.models import DatabaseRole


class RealCustomers(Exception):
    """The database holds real customers and the command was not told so by name."""


def database_name():
    """The configured database's name as an operator types it (a file's or a database's)."""
    return str(connection.settings_dict["NAME"])


def holds_real_customers():
    return Customer.objects.exists() and not DatabaseRole.objects.exists()


def mark(kind):
    DatabaseRole.objects.all().delete()
    DatabaseRole.objects.create(kind=kind)


def refuse_real_customers(told_name, doing):
    """Refuse ``doing`` on a database of real customers unless ``told_name`` is its name."""
    if not holds_real_customers() or told_name == database_name():
        return
    raise RealCustomers(
        f"The database {database_name()} holds {Customer.objects.count()} real customers "
        f"(it is not marked as a demo or a test copy): {doing} refused. If this really "
        f"is the database you mean, say so with --real-database {database_name()}."
    )
