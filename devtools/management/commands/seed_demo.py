"""Seed demo sign-ins (one per role) and clearly fake customers with purchases.

``make run`` calls it with ``--if-empty``, so a database that already has people is left
alone. Customers are written with bulk_create in batches (ciphertext and blind indexes
computed here), so 100,000 take a few minutes at most; see devtools/demo.py for why the
data is unmistakably fake.
"""

import os
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.roles import set_role
from audit import ledger
from audit.actions import Action
from customers.models import Customer, Purchase
from devtools.demo import seed_customers
from policy.models import HouseRulesVersion, Outsourcee
from policy.rules import acceptance_due
from policy.services import accept_rules
from shipping.models import Shipment
from upkeep import identity
from vault.roles import ROLES

DEMO_USERS = {role: f"demo-{role}" for role in ROLES}
# Made-up services, one per kind a small shop uses (docs/owner-guide.md, 19).
DEMO_REGISTER = [
    {
        "name_ja": "見本ホスティング株式会社",
        "name_en": "Mihon Hosting K.K.",
        "service": "hosting",
        "work_ja": "ShopGuard のサーバーとバックアップの保管",
        "work_en": "running ShopGuard's server and keeping its backups",
        "data_items": ["name", "gender", "address", "phone", "email", "purchases"],
        "basis": "entrustment",
        "country": "JP",
    },
    {
        "name_ja": "見本ペイメント株式会社",
        "name_en": "Mihon Payment K.K.",
        "service": "payment",
        "work_ja": "クレジットカード決済",
        "work_en": "card payments",
        "data_items": ["name", "email", "card_token"],
        "basis": "entrustment",
        "country": "JP",
    },
    {
        "name_ja": "ヤマト運輸株式会社",
        "name_en": "Yamato Transport Co., Ltd.",
        "service": "carrier",
        "work_ja": "商品の配送",
        "work_en": "delivering orders",
        "data_items": ["name", "address", "phone"],
        "basis": "entrustment",
        "country": "JP",
        "carrier_code": "yamato_b2",
    },
    {
        "name_ja": "サンプルメール社",
        "name_en": "Sample Mail Inc.",
        "service": "mail",
        "work_ja": "お知らせメールの配信",
        "work_en": "sending our mail",
        "data_items": ["name", "email"],
        "basis": "entrustment",
        "country": "US",
    },
    {
        "name_ja": "サンプルショップ・プラットフォーム社",
        "name_en": "Sample Shop Platform Inc.",
        "service": "platform",
        "work_ja": "ネットショップの運営（注文の受付）",
        "work_en": "running our online shop (taking orders)",
        "data_items": ["name", "address", "phone", "email", "purchases"],
        "basis": "entrustment",
        "country": "CA",
    },
]
# Boxes waiting for today's label file: enough to show the label work, under any cap.
DEMO_SHIPMENTS = 12


class Command(BaseCommand):
    help = "Create demo sign-ins and fake customers. With --if-empty, only into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=200)
        parser.add_argument(
            "--if-empty", action="store_true", help="only seed a database with no users yet"
        )
        parser.add_argument(
            "--real-database",
            metavar="NAME",
            help="seed into this database although it holds real customers (its name)",
        )

    def handle(self, *args, customers, if_empty, **options):
        if customers < 0:
            raise CommandError("--customers cannot be negative.")
        if if_empty and get_user_model().objects.exists():
            self.stdout.write("Database already has people; demo data not seeded.")
            return
        try:
            identity.refuse_real_customers(options["real_database"], "seed_demo")
        except identity.RealCustomers as error:
            raise CommandError(str(error)) from None
        real = identity.holds_real_customers()
        self.seed_sign_ins()
        self.seed_register()
        self.seed_customers(customers)
        self.seed_shipments(min(customers, DEMO_SHIPMENTS))
        if not real:
            identity.mark("demo")

    def seed_sign_ins(self):
        password = os.environ.get("DEMO_PASSWORD", "")
        if len(password) < 12:
            self.stderr.write("DEMO_PASSWORD (12+ characters) is needed for demo sign-ins.")
            return
        User = get_user_model()
        for role, username in DEMO_USERS.items():
            user, _ = User.objects.get_or_create(username=username)
            user.set_password(password)
            user.save()
            set_role(user, role)
            self.accept_house_rules(user)
        self.stdout.write(f"Demo sign-ins created for: {', '.join(DEMO_USERS.values())}")

    def accept_house_rules(self, user):
        """The demo people have read the house rules in force (a real person accepts them
        on the rules page before their first customer page: policy.rules)."""
        version = HouseRulesVersion.objects.in_force()
        if version is not None and acceptance_due(user):
            accept_rules(user, version)

    def seed_register(self):
        """The demo shop's outsourcee register: made-up companies of each kind, one of
        them abroad, so the policy's statement of foreign countries has something to say."""
        if Outsourcee.objects.exists():
            return
        today = timezone.localdate()
        # In one query, like the demo customers (demo data, not the owner's own work).
        Outsourcee.objects.bulk_create(
            Outsourcee(terms_checked_on=today, **entry) for entry in DEMO_REGISTER
        )

    def seed_customers(self, count):
        if not count:
            return
        started = time.perf_counter()
        # Numbering continues after existing customers, so e-mails and phones stay unique.
        start = Customer.objects.count()
        made, purchases = seed_customers(count, start=start)
        with transaction.atomic():
            ledger.record(
                Action.CUSTOMER_SEED_DEMO, detail={"customers": made, "purchases": purchases}
            )
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Seeded {made} fake customers with {purchases} purchases in {seconds:.1f} s."
        )

    def seed_shipments(self, count):
        """The newest customers' latest purchases, each waiting to be shipped to the
        address on file (a few queries in all, like the customers)."""
        newest = list(Customer.objects.order_by("-created_at", "-id")[:count])
        if not newest:
            return
        latest = {}
        purchases = Purchase.objects.filter(customer__in=newest).order_by("-purchased_on", "pk")
        for purchase in purchases.only("pk", "customer_id"):
            latest.setdefault(purchase.customer_id, purchase.pk)
        shipments = [Shipment(customer=customer) for customer in newest]
        through = Shipment.purchases.through
        with transaction.atomic():
            Shipment.objects.bulk_create(shipments)
            through.objects.bulk_create(
                through(shipment_id=s.pk, purchase_id=latest[s.customer_id])
                for s in shipments
                if s.customer_id in latest
            )
            ledger.record(
                Action.SHIPMENT_ADD,
                customers=[c.pk for c in newest],
                detail={"shipments": len(shipments), "demo": True},
            )
        self.stdout.write(f"Seeded {len(shipments)} shipments waiting for a label file.")
