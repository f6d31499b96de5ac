"""Clearly fake Japanese customers and purchases, for the demo and the benchmark.

Everything here is invented and looks it: e-mail addresses on reserved example domains
(RFC 2606 / JPRS: example.com, example.jp, example.net, .test), phone numbers of the form
0X0-000N-NNNN that no carrier issues, postal codes 000-NNNN that do not exist, and towns
called 見本町 or 架空市 in real prefectures. Names are common surnames and given names.
"""

import random
import uuid
from datetime import date, timedelta

from django.db import transaction

from customers.models import Category, Customer, Gender, Purchase
from vault.japan import PREFECTURES

# (kanji, kana, romaji)
FAMILY_NAMES = [
    ("佐藤", "サトウ", "sato"),
    ("鈴木", "スズキ", "suzuki"),
    ("高橋", "タカハシ", "takahashi"),
    ("田中", "タナカ", "tanaka"),
    ("伊藤", "イトウ", "ito"),
    ("渡辺", "ワタナベ", "watanabe"),
    ("山本", "ヤマモト", "yamamoto"),
    ("中村", "ナカムラ", "nakamura"),
    ("小林", "コバヤシ", "kobayashi"),
    ("加藤", "カトウ", "kato"),
    ("吉田", "ヨシダ", "yoshida"),
    ("山田", "ヤマダ", "yamada"),
]
GIVEN_NAMES = [
    ("花子", "ハナコ", "hanako", Gender.FEMALE),
    ("陽菜", "ヒナ", "hina", Gender.FEMALE),
    ("結衣", "ユイ", "yui", Gender.FEMALE),
    ("美咲", "ミサキ", "misaki", Gender.FEMALE),
    ("太郎", "タロウ", "taro", Gender.MALE),
    ("翔太", "ショウタ", "shota", Gender.MALE),
    ("大輔", "ダイスケ", "daisuke", Gender.MALE),
    ("健", "ケン", "ken", Gender.MALE),
    ("薫", "カオル", "kaoru", Gender.OTHER),
    ("晶", "アキラ", "akira", Gender.UNANSWERED),
]
DOMAINS = ["example.com", "example.jp", "example.net", "shop.test"]
TOWNS = ["見本市見本町", "架空市サンプル台", "デモ市試験町", "見本郡架空村"]
CARD_BRANDS = ["VISA", "Mastercard", "JCB", "AMEX"]
PRODUCTS = {
    "food": ["国産りんごジュース 1L（見本）", "有機緑茶 100g（見本）", "玄米 5kg（見本）"],
    "daily": ["詰め替え用洗剤（見本）", "トイレットペーパー 12ロール（見本）"],
    "medicine": ["かぜ薬（見本）", "胃腸薬（見本）", "目薬（見本）"],
    "hair-growth": ["育毛ローション（見本）", "薬用スカルプシャンプー（見本）"],
    "diet": ["糖質カットサプリ（見本）", "酵素ドリンク（見本）"],
    "courses": ["英会話オンライン講座（見本）", "簿記3級講座（見本）"],
    "adult": ["アダルトグッズ（見本品）"],
}
CUSTOMER_FIELDS = (
    "name name_kana gender postal_code address phone email "
    "card_token card_brand card_last4 card_exp"
).split()
# Rows per INSERT: large enough to amortise the round trip, small enough for SQLite's
# parameter limit (17 columns x 2,000 rows stays under 32,766).
BATCH_SIZE = 1000


def fake_phone(number):
    """A mobile number that cannot be anyone's (0X0-0… is not handed out), unique for the
    first 30,000,000 customers: 090-0123-4567 for number 1,234,567."""
    block, last = divmod(number, 10_000)
    series, middle = divmod(block, 1_000)
    return f"0{'987'[series % 3]}0-0{middle:03d}-{last:04d}"


def fake_customer_values(number, rng):
    """Plaintext values of the fake customer with sequence ``number`` (unique e-mail/phone)."""
    family = FAMILY_NAMES[rng.randrange(len(FAMILY_NAMES))]
    given = GIVEN_NAMES[rng.randrange(len(GIVEN_NAMES))]
    has_card = rng.random() < 0.6
    return {
        "name": f"{family[0]} {given[0]}",
        "name_kana": f"{family[1]} {given[1]}",
        "gender": given[3].value,
        "postal_code": f"000-{number % 10000:04d}",
        "address": (
            f"{PREFECTURES[number % len(PREFECTURES)]}{TOWNS[rng.randrange(len(TOWNS))]}"
            f"{rng.randint(1, 5)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}"
        ),
        "phone": fake_phone(number),
        "email": f"{given[2]}.{family[2]}{number}@{DOMAINS[number % len(DOMAINS)]}",
        "card_token": f"tok_demo_{rng.getrandbits(48):012x}" if has_card else "",
        "card_brand": CARD_BRANDS[rng.randrange(len(CARD_BRANDS))] if has_card else "",
        "card_last4": f"{rng.randrange(10000):04d}" if has_card else "",
        "card_exp": f"{rng.randint(1, 12):02d}/{rng.randint(27, 31)}" if has_card else "",
    }


def sealed_customer(values):
    """An unsaved Customer holding ``values``, with its blind indexes set.

    bulk_create skips save(), so the blind indexes are computed here; the personal values
    are sealed into the ``sealed`` record by bulk_create itself (the record's pre_save),
    bound to the pk (a uuid4 default) that exists already.
    """
    customer = Customer(**values)
    customer.refresh_blind_indexes()
    return customer


def sealed_purchase(customer_id, category, product_name, amount, purchased_on):
    purchase = Purchase(
        id=uuid.uuid4(),
        customer_id=customer_id,
        category=category,
        amount=amount,
        purchased_on=purchased_on,
    )
    field = Purchase._meta.get_field("product_name")
    purchase.__dict__["product_name"] = field.seal(product_name, purchase)
    return purchase


def fake_purchases(number, rng, categories, today):
    """(category, product name, amount, date) for customer ``number``.

    The first customer buys once in every category, so every category has purchases
    however few customers are seeded; the others buy 0-3 things at random.
    """
    chosen = categories if number == 0 else rng.choices(categories, k=rng.randint(0, 3))
    for category in chosen:
        names = PRODUCTS.get(category.code, [f"{category.name_ja}（見本）"])
        yield (
            category,
            names[rng.randrange(len(names))],
            rng.randrange(300, 30000, 10),
            today - timedelta(days=rng.randrange(730)),
        )


def seed_customers(count, seed=2026, batch_size=BATCH_SIZE, start=0):
    """Create ``count`` fake customers with purchases; return (customers, purchases)."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    categories = list(Category.objects.order_by("code"))
    today = date.today()
    made_purchases = 0
    for offset in range(start, start + count, batch_size):
        numbers = range(offset, min(offset + batch_size, start + count))
        customers, purchases = [], []
        for number in numbers:
            customer = sealed_customer(fake_customer_values(number, rng))
            customers.append(customer)
            for bought in fake_purchases(number, rng, categories, today):
                purchases.append(sealed_purchase(customer.pk, *bought))
        with transaction.atomic():
            Customer.objects.bulk_create(customers)
            Purchase.objects.bulk_create(purchases)
        made_purchases += len(purchases)
    return count, made_purchases
