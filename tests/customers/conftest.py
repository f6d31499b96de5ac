import pytest

from tests.customers.vault import make_customer


@pytest.fixture
def hanako(db):
    """山田 花子, the customer of the vault tests, with every personal field filled in
    (tests.customers.vault.HANAKO)."""
    return make_customer()
