import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from customers.models import Category, Customer, Purchase
from devtools.demo import fake_phone
from vault.blind_index import blind_index
from vault.encryption import current_key_id, key_id_of
from vault.roles import role_of

# The tests check stored values themselves; requests still start outside any scope.
pytestmark = pytest.mark.usefixtures("test_reads")

RESERVED_DOMAIN = re.compile(r"@(example\.(com|jp|net)|[a-z.]+\.test)$")
FAKE_PHONE = re.compile(r"^0[789]0-0\d{3}-\d{4}$")


def seed(**options):
    out, err = StringIO(), StringIO()
    call_command("seed_demo", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def demo_password(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-long-enough")


def test_it_creates_n_fake_customers_with_every_category(db, demo_password):
    output, _ = seed(customers=25)

    assert Customer.objects.count() == 25
    assert "Seeded 25 fake customers" in output
    customers = list(Customer.objects.all())
    assert all(RESERVED_DOMAIN.search(c.email) for c in customers)
    assert all(FAKE_PHONE.match(c.phone) for c in customers)
    assert all(c.postal_code.startswith("000-") for c in customers)
    assert len({c.email for c in customers}) == 25
    used = set(Purchase.objects.values_list("category__code", flat=True))
    assert used == set(Category.objects.values_list("code", flat=True))
    entry = AuditEntry.objects.get(action="customer.seed_demo")
    assert entry.detail == {"customers": 25, "purchases": Purchase.objects.count()}


def test_fake_phones_stay_unique_past_a_million_customers():
    count = 1_200_000
    phones = {fake_phone(n) for n in range(count)}
    assert len(phones) == count and all(
        FAKE_PHONE.match(fake_phone(n)) for n in (0, 299_999, 300_000, 1_199_999)
    )


def test_seeded_customers_are_encrypted_and_searchable(db, demo_password):
    seed(customers=3)
    customer = Customer.objects.order_by("email_index").first()
    raw = bytes(Customer.objects.filter(pk=customer.pk).values_list("sealed", flat=True).get())
    assert key_id_of(raw) == current_key_id() and customer.email.encode() not in raw
    assert Customer.objects.get(email_index=blind_index("email", customer.email)) == customer
    assert Customer.objects.get(phone_index=blind_index("phone", customer.phone)) == customer
    assert customer.name_index == blind_index("name", customer.name)
    first, second = Purchase.objects.all()[:2]
    assert first.product_name.endswith("）") and second.product_name


def test_it_creates_one_demo_sign_in_per_role(db, demo_password):
    seed(customers=0)
    users = get_user_model().objects.filter(username__startswith="demo-")
    assert {role_of(u) for u in users} == {"owner", "manager", "staff", "auditor"}
    assert not Customer.objects.exists()


def test_if_empty_leaves_a_database_with_people_alone(people, demo_password):
    output, _ = seed(customers=5, if_empty=True)
    assert "not seeded" in output
    assert not Customer.objects.exists()
    assert not AuditEntry.objects.filter(action="customer.seed_demo").exists()


def test_seeding_again_keeps_e_mails_unique(db, demo_password):
    seed(customers=4)
    seed(customers=4)
    emails = [c.email for c in Customer.objects.all()]
    assert len(emails) == len(set(emails)) == 8


def test_it_seeds_in_batches(db, django_assert_max_num_queries):
    # 300 customers, their purchases and 12 shipments in a fixed number of queries
    # (one per row would be over 600).
    with django_assert_max_num_queries(36):
        seed(customers=300)
    assert Customer.objects.count() == 300


def test_demo_logins_prints_each_demo_sign_in(db, demo_password):
    seed(customers=0)
    out = StringIO()
    call_command("demo_logins", stdout=out)
    printed = out.getvalue()
    assert all(f"demo-{role}" in printed for role in ("owner", "manager", "staff", "auditor"))


def test_it_refuses_a_database_with_real_customers_unless_named(hanako, demo_password):
    from upkeep.identity import database_name

    with pytest.raises(CommandError, match="holds 1 real customers .* --real-database"):
        call_command("seed_demo", "--customers", "3", stdout=StringIO())
    assert Customer.objects.count() == 1
    call_command(
        "seed_demo", "--customers", "3", "--real-database", database_name(), stdout=StringIO()
    )
    assert Customer.objects.count() == 4


def test_a_seeded_database_is_marked_a_demo_and_may_be_seeded_again(db, demo_password):
    from upkeep.models import DatabaseRole

    call_command("seed_demo", "--customers", "2", stdout=StringIO())
    assert DatabaseRole.objects.get().kind == "demo"
    call_command("seed_demo", "--customers", "2", stdout=StringIO())
    assert Customer.objects.count() == 4
