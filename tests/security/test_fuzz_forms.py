"""Property-based fuzz of every form in ShopGuard (issue #11).

Each test sends at least ``FUZZ_EXAMPLES`` hostile submissions to one form, through its
URL as a browser would, by the person who may use it. Every submission must get an
answer below 500, never echo markup unescaped, never send anyone off-site, never store a
card number and never hand out a superuser flag. Each submission runs in a savepoint that
is rolled back, so every one meets the same small database and the suite stays fast.

The number of submissions comes from the fuzzers' Hypothesis profile (tests/security/
conftest.py): 50 per form in every run, 500 with ``SHOPGUARD_FUZZ_PROFILE=ci`` (CI's
PostgreSQL pass); ``SHOPGUARD_FUZZ_EXAMPLES=5000`` fuzzes deeper locally.
"""

import copy
import datetime
import json
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from audit.models import AuditEntry
from customers.models import PERSONAL_FIELDS, Category, Customer, Purchase
from customers.validators import contains_card_number
from datarequests.models import DataRequest
from exports.models import ExportRequest
from policy.models import ConsentInvitation, PolicyVersion, ShopProfile, ThirdPartyProvision
from tests.factories import PASSWORD
from tests.security.adversarial import (
    RAW_MARKERS,
    csv_files,
    form_posts,
    hostile_text,
    text_or,
    uuids,
)
from tests.signing import signed_in

# The checks read what each submission stored (decrypting it) as a test may; the requests
# themselves still start outside any read scope (vault.reads).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_reads"), pytest.mark.fuzz]

ROLES = ["owner", "manager", "staff", "auditor"]
DATES = ["2026-11-01", "2026/11/01", "2030-01-01", "1999-12-31"]
BOOLEANS = ["on", "off", "true", "1", ""]


# ---------------------------------------------------------------- the shop being fuzzed


@pytest.fixture
def shop(people):
    """The smallest shop every form can work on: a customer with an ordinary and a
    sensitive purchase, export requests in each state, a draft policy version, a data
    request, a third-party provision record and a valid consent link."""
    hanako = Customer.objects.create(
        name="山田 花子",
        name_kana="ヤマダ ハナコ",
        gender="female",
        phone="090-1234-5678",
        email="hanako@example.com",
        address="東京都新宿区西新宿2-8-1",
        card_token="tok_1a2b3c",
        card_last4="4242",
    )
    food = Category.objects.get(code="food")
    sensitive = Category.objects.filter(sensitive=True).first()
    purchase = Purchase.objects.create(
        customer=hanako,
        category=food,
        product_name="お米 5kg",
        amount=2400,
        purchased_on=datetime.date(2026, 11, 1),
    )
    hidden = Purchase.objects.create(
        customer=hanako,
        category=sensitive,
        product_name="育毛剤",
        amount=5800,
        purchased_on=datetime.date(2026, 11, 2),
    )
    pending = ExportRequest.objects.create(
        requested_by=people.bob, purpose="お礼状", recipient="internal", fields=["name"]
    )
    approved = ExportRequest.objects.create(
        requested_by=people.alice,
        purpose="発送",
        recipient="internal",
        fields=["name", "address"],
        status=ExportRequest.Status.APPROVED,
        decided_by=people.alice,
        decided_at=timezone.now(),
    )
    version1 = PolicyVersion.objects.get(number=1)
    draft = PolicyVersion.objects.create(
        articles=version1.articles,
        change_summary_ja="第3条を変更",
        change_summary_en="Article 3",
        based_on=version1,
    )
    data_request = DataRequest.objects.create(
        kind="disclose",
        name="見本 花子",
        email="request@example.com",
        details="見本",
        step="identity_confirmed",  # verified: in the shop's queue
    )
    provision = ThirdPartyProvision.objects.create(
        recipient_name="株式会社見本",
        recipient_address="東京都千代田区見本1-1",
        recipient_representative="見本 一郎",
        provided_on=datetime.date(2026, 11, 1),
        data_items=["name"],
        basis="consent",
        consent_evidence="2026-10-01 書面",
    )
    _invitation, token = ConsentInvitation.issue(hanako, version1)
    return SimpleNamespace(
        people=people,
        hanako=hanako,
        purchase=purchase,
        hidden=hidden,
        food=food,
        sensitive=sensitive,
        pending=pending,
        approved=approved,
        version1=version1,
        draft=draft,
        data_request=data_request,
        provision=provision,
        consent_token=token,
        profile=ShopProfile.load(),
    )


# ------------------------------------------------------------------ what must hold


def sent_strings(data):
    for value in data.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                yield item


def assert_nothing_reflected_raw(response, data):
    if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
        return
    body = response.content.decode("utf-8", "replace")
    for marker in RAW_MARKERS:
        assert marker not in body, f"{marker!r} came back unescaped"
    for value in sent_strings(data):
        for candidate in {value, value.strip()}:
            if len(candidate) >= 8 and any(
                f"<{c}" in candidate for c in "abcdefghijklmnopqrstuvwxyz/!"
            ):
                assert candidate not in body, f"{candidate[:60]!r} came back unescaped"


def assert_stays_on_site(response):
    if response.status_code in (301, 302, 303, 307, 308):
        location = response["Location"]
        assert url_has_allowed_host_and_scheme(location, {"testserver"}), location


def customer_texts():
    for customer in Customer.objects.all():
        for name in PERSONAL_FIELDS:
            yield f"customer.{name}", getattr(customer, name)


def purchase_texts():
    for purchase in Purchase.objects.all():
        yield "purchase.product_name", purchase.product_name


def data_request_texts():
    for request in DataRequest.objects.all():
        for name in ("name", "email", "phone", "details", "note", "refusal_reason"):
            yield f"datarequest.{name}", getattr(request, name)


def policy_texts():
    for version in PolicyVersion.objects.all():
        yield "policyversion.summary", version.change_summary_ja + " " + version.change_summary_en
        yield "policyversion.articles", json.dumps(version.articles, ensure_ascii=False)


def export_texts():
    for export in ExportRequest.objects.all():
        yield "exportrequest.purpose", export.purpose


def assert_no_card_number_stored(mark, stores, ledger=True):
    for where, text in (found for store in stores for found in store()):
        assert not contains_card_number(text), f"a card number was stored in {where}"
    for entry in AuditEntry.objects.filter(seq__gt=mark) if ledger else ():
        # What the app wrote; the typed username of a failed sign-in is kept as typed.
        recorded = json.dumps(entry.detail, ensure_ascii=False, default=str)
        assert not contains_card_number(recorded), f"a card number reached ledger {entry.action}"


def assert_no_superuser():
    assert not get_user_model().objects.filter(is_superuser=True).exists()


def ledger_mark():
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@contextmanager
def rolled_back(client):
    """Run one submission in a savepoint that is undone, with the client's cookies kept
    (a submission may sign the client in or out)."""
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
    client.cookies = cookies


def fuzz(client, posts, url, *, method="post", follow=False, cards=(), ledger=True, people=False):
    """Send every example of ``posts`` to ``url`` (a string, or a function of the example
    returning (url, data)) and check what must hold; return how many were sent.

    ``cards`` names the stores (``customer_texts``...) the form writes, which must never
    hold a card number; ``people`` checks that no submission made anyone a superuser."""
    sent = []

    @given(posts)
    def submit(example):
        target, data = url(example) if callable(url) else (url, example)
        with rolled_back(client):
            mark = ledger_mark()
            response = getattr(client, method)(target, data, follow=follow)
            assert response.status_code < 500, response.status_code
            assert_nothing_reflected_raw(response, data)
            assert_stays_on_site(response)
            assert_no_card_number_stored(mark, cards, ledger)
            if people:
                assert_no_superuser()
        sent.append(target)

    submit()
    assert len(sent) >= hypothesis_settings.default.max_examples
    return len(sent)


# ------------------------------------------------------------------- sign-in steps


def test_sign_in_password_step(shop):
    posts = form_posts(
        {
            "username": text_or("alice", "carol", "erin", "frank", "ALICE", "alice "),
            "password": text_or(PASSWORD, PASSWORD + " ", ""),
            "next": text_or(
                "/admin/", "//evil.example/", "https://evil.example/", "/\\evil.example"
            ),
        }
    )
    fuzz(Client(), posts, reverse("admin:login"))


@pytest.fixture
def pending_second_factor(shop, settings):
    """A client whose password step is done, waiting for bob's authenticator code."""
    settings.SHOPGUARD_REQUIRE_2FA = True
    TOTPDevice.objects.create(user=shop.people.bob, name="authenticator", confirmed=True)
    client = Client()
    response = client.post(reverse("admin:login"), {"username": "bob", "password": PASSWORD})
    assert response["Location"] == reverse("accounts:two_factor")
    return client


CODES = text_or(
    "123456", "000000", "１２３４５６", "abcd-efgh", " 123456 ", "12345678901234567890123456789012"
)


def test_second_factor_code_step(pending_second_factor):
    fuzz(pending_second_factor, form_posts({"code": CODES}), reverse("accounts:two_factor"))


def test_second_factor_enrolment_step(shop, settings):
    settings.SHOPGUARD_REQUIRE_2FA = True
    client = Client()
    response = client.post(reverse("admin:login"), {"username": "carol", "password": PASSWORD})
    assert response["Location"] == reverse("accounts:two_factor_setup")
    fuzz(client, form_posts({"code": CODES}), reverse("accounts:two_factor_setup"))


def test_reauthentication(shop):
    TOTPDevice.objects.create(user=shop.people.alice, name="authenticator", confirmed=True)
    posts = form_posts(
        {
            "password": text_or(PASSWORD, ""),
            "code": CODES,
            "next": text_or("/admin/exports/new/", "//evil.example/", "https://evil.example/x"),
        }
    )
    fuzz(signed_in(Client(), shop.people.alice), posts, reverse("accounts:reauth"))


# -------------------------------------------------------------- customers and purchases

GENDERS = ["female", "male", "other", "unanswered"]


def customer_fields():
    return {
        "name": text_or("山田 花子"),
        "name_kana": text_or("ヤマダ ハナコ"),
        "gender": text_or(*GENDERS),
        "postal_code": text_or("160-0023", "１６０－００２３"),
        "address": text_or("東京都新宿区西新宿2-8-1"),
        "phone": text_or("090-1234-5678", "+81 90 1234 5678"),
        "email": text_or("taro@example.com", "a@b", "taro@例え.jp"),
        "card_token": text_or("tok_abc123"),
        "card_brand": text_or("VISA", "JCB"),
        "card_last4": text_or("4242", "42424"),
        "card_exp": text_or("12/28", "13/28", "00/00"),
        "_save": st.just("保存"),
    }


def add_or_change(add_url, change_url, fields):
    """Half the examples add, half change: one form, both of its pages."""
    urls = st.sampled_from([add_url, change_url])
    return st.tuples(urls, form_posts(fields)), lambda example: example


def test_customer_add_and_change_form(shop):
    posts, target = add_or_change(
        reverse("admin:customers_customer_add"),
        reverse("admin:customers_customer_change", args=[shop.hanako.pk]),
        customer_fields(),
    )
    fuzz(signed_in(Client(), shop.people.bob), posts, target, cards=[customer_texts])


def purchase_fields(shop):
    return {
        "customer": text_or(str(shop.hanako.pk), "1", "00000000-0000-0000-0000-000000000000"),
        "category": text_or(str(shop.food.pk), str(shop.sensitive.pk), "999999"),
        "product_name": text_or("お米 5kg"),
        "amount": text_or("2400", "-1", "0", "１２００", "1.5", "9" * 30),
        "purchased_on": text_or(*DATES),
        "_save": st.just("保存"),
    }


def test_purchase_add_and_change_form(shop):
    posts, target = add_or_change(
        reverse("admin:customers_purchase_add"),
        reverse("admin:customers_purchase_change", args=[shop.purchase.pk]),
        purchase_fields(shop),
    )
    fuzz(signed_in(Client(), shop.people.bob), posts, target, cards=[purchase_texts])


def test_purchase_change_form_by_staff(shop):
    # Staff change purchases but may not choose sensitive categories: the hostile case.
    url = reverse("admin:customers_purchase_change", args=[shop.purchase.pk])
    fuzz(
        signed_in(Client(), shop.people.carol),
        form_posts(purchase_fields(shop)),
        url,
        cards=[purchase_texts],
    )


def test_customer_search(shop):
    posts = form_posts({"q": text_or("hanako@example.com", "090-1234-5678", "山田 花子")})
    url = reverse("customers:search")
    fuzz(signed_in(Client(), shop.people.carol), posts, url, follow=True)


REASON_FIELDS = {
    "reason_code": text_or("inquiry", "shipping", "refund", "correction", "other"),
    "note": text_or("お問い合わせ", "山田", "hanako@example.com"),
}


def test_reveal_reason_form(shop):
    hanako = shop.hanako
    fields = st.one_of(
        st.sampled_from(PERSONAL_FIELDS), st.from_regex(r"[a-z_]{1,20}", fullmatch=True)
    )

    def target(example):
        field, object_id, data = example
        if field is None:
            return reverse("customers:reveal_purchase", args=[object_id]), data
        return reverse("customers:reveal", args=[object_id, field]), data

    customers = st.one_of(st.just(hanako.pk), uuids)
    purchases = st.one_of(st.sampled_from([shop.purchase.pk, shop.hidden.pk]), uuids)
    posts = st.one_of(
        st.tuples(fields, customers, form_posts(REASON_FIELDS)),
        st.tuples(st.none(), purchases, form_posts(REASON_FIELDS)),
    )
    # Staff: the hourly quota and the hidden sensitive purchase are in play.
    fuzz(signed_in(Client(), shop.people.carol), posts, target)


def test_import_upload(shop):
    posts = form_posts({"file": csv_files(), "format": text_or("shopify", "SHOPIFY", "csv")})

    def target(data):
        data = dict(data)
        for name, value in data.items():
            if isinstance(value, bytes):
                data[name] = SimpleUploadedFile("customers_export.csv", value, "text/csv")
            elif isinstance(value, list) and value and isinstance(value[0], bytes):
                data[name] = [
                    SimpleUploadedFile(f"{i}.csv", v, "text/csv") for i, v in enumerate(value)
                ]
        return reverse("customers:import"), data

    fuzz(signed_in(Client(), shop.people.bob), posts, target, cards=[customer_texts])


# ----------------------------------------------------------------------------- exports

EXPORT_FIELDS = ["name", "gender", "address", "phone", "email", "postal_code", "name_kana"]


def test_export_request_form(shop):
    posts = form_posts(
        {
            "purpose": text_or("お礼状の発送", "hanako@example.com"),
            "recipient": text_or("internal", "contractor", "third_party"),
            "recipient_name": text_or("ヤマト運輸"),
            "recipient_address": text_or("東京都中央区"),
            "recipient_representative": text_or("代表 太郎"),
            "provision_basis": text_or("consent", "law", "vital", "opt_out"),
            "consent_evidence": text_or("書面"),
            "fields": st.one_of(
                st.lists(st.sampled_from(EXPORT_FIELDS), max_size=4),
                text_or("card_token", "sealed"),
            ),
            "scope": text_or("all", "purchases", "selected", "search"),
            "encoding": text_or("utf-8-sig", "cp932"),
            "purchases_from": text_or("2026-11-01", "2026-13-45"),
            "purchases_to": text_or("2026-11-30"),
            "categories": st.one_of(
                st.lists(st.sampled_from(["food", "medicine", "daily"]), max_size=2),
                text_or("no-such-category"),
            ),
            "include_purchases": text_or("on"),
            "include_sensitive": text_or("on"),
        }
    )
    fuzz(
        signed_in(Client(), shop.people.bob, reauthenticated=True),
        posts,
        reverse("exports:new"),
        cards=[export_texts],
    )


@pytest.mark.parametrize("step", ["decide", "prepare", "download"])
def test_export_decide_prepare_download(shop, step):
    client = signed_in(Client(), shop.people.alice, reauthenticated=True)
    # The password page puts the archive password in the session; the download uses it.
    response = client.post(reverse("exports:prepare", args=[shop.approved.pk]))
    assert response.status_code == 200
    steps = st.just(step)  # each of the three buttons' forms gets the full count
    exports = st.one_of(st.sampled_from([shop.pending.pk, shop.approved.pk]), uuids)
    data = form_posts({"decision": text_or("approve", "reject", "APPROVE")})

    def target(example):
        step, pk, data = example
        return reverse(f"exports:{step}", args=[pk]), data

    fuzz(client, st.tuples(steps, exports, data), target, cards=[export_texts])


# ----------------------------------------------------------------------- people admin


def test_people_add_form(shop):
    posts = form_posts(
        {
            "username": text_or("grace", "alice", "grace@shop", "a" * 151, "佐藤花子"),
            "email": text_or("grace@example.com", "not an address"),
            "role": text_or(*ROLES, "superuser"),
        }
    )
    client = signed_in(Client(), shop.people.alice, reauthenticated=True)
    fuzz(client, posts, reverse("admin:auth_user_add"), people=True)


def test_people_change_form(shop):
    posts = form_posts(
        {
            "username": text_or("carol", "alice"),
            "first_name": text_or("Carol"),
            "last_name": text_or("Staff"),
            "email": text_or("carol@example.com"),
            "is_active": text_or(*BOOLEANS),
        }
    )
    url = reverse("admin:auth_user_change", args=[shop.people.carol.pk])
    fuzz(signed_in(Client(), shop.people.alice), posts, url, people=True)


def test_people_role_form(shop):
    people = [shop.people.alice.pk, shop.people.carol.pk, shop.people.frank.pk]
    targets = st.one_of(st.sampled_from(people), st.integers(-5, 10**6))
    client = signed_in(Client(), shop.people.alice, reauthenticated=True)
    fuzz(
        client,
        st.tuples(targets, form_posts({"role": text_or(*ROLES)})),
        lambda example: (reverse("admin:auth_user_role", args=[example[0]]), example[1]),
        people=True,
    )


def test_people_password_set_form(shop):
    posts = form_posts(
        {
            "password1": text_or("a long enough password 1", "short"),
            "password2": text_or("a long enough password 1"),
            "usable_password": text_or("true", "false"),
        }
    )
    url = reverse("admin:auth_user_password_change", args=[shop.people.carol.pk])
    fuzz(signed_in(Client(), shop.people.alice), posts, url, people=True)


def test_own_password_change_form(shop):
    posts = form_posts(
        {
            "old_password": text_or(PASSWORD),
            "new_password1": text_or("a long enough password 1"),
            "new_password2": text_or("a long enough password 1"),
        }
    )
    fuzz(signed_in(Client(), shop.people.carol), posts, reverse("admin:password_change"))


# ------------------------------------------------------------------------------ policy


def draft_fields(draft):
    fields = {
        "material_change": text_or(*BOOLEANS),
        "change_summary_ja": text_or("第3条を変更しました。"),
        "change_summary_en": text_or("Changed article 3."),
    }
    for article in draft.articles:
        for key in ("title_ja", "title_en", "body_ja", "body_en"):
            fields[f"article_{article['number']}_{key}"] = text_or(article[key])
    return fields


def test_policy_draft_edit_form(shop):
    url = reverse("admin:policy_policyversion_change", args=[shop.draft.pk])
    fuzz(
        signed_in(Client(), shop.people.alice),
        form_posts(draft_fields(shop.draft)),
        url,
        cards=[policy_texts],
    )


def test_policy_publish_form(shop):
    posts = form_posts(
        {
            "effective_date": text_or(*DATES, timezone.localdate().isoformat()),
            "confirm": text_or(*BOOLEANS),
        }
    )
    versions = st.one_of(st.sampled_from([shop.draft.pk, shop.version1.pk]), st.integers(0, 10**6))
    client = signed_in(Client(), shop.people.alice, reauthenticated=True)
    fuzz(
        client,
        st.tuples(versions, posts),
        lambda example: (
            reverse("admin:policy_policyversion_publish", args=[example[0]]),
            example[1],
        ),
        cards=[policy_texts],
    )


SHOP_PROFILE_FIELDS = [
    "business_name_ja",
    "business_name_en",
    "address_ja",
    "address_en",
    "representative_ja",
    "representative_en",
    "contact_desk_ja",
    "contact_desk_en",
    "contact_email",
    "contact_phone",
    "contact_hours_ja",
    "contact_hours_en",
    "request_procedure_ja",
    "request_procedure_en",
    "request_fee_ja",
    "request_fee_en",
    "safety_measures_ja",
    "safety_measures_en",
]


def test_shop_profile_form(shop):
    fields = {name: text_or(str(getattr(shop.profile, name))) for name in SHOP_PROFILE_FIELDS}
    url = reverse("admin:policy_shopprofile_change", args=[shop.profile.pk])
    fuzz(signed_in(Client(), shop.people.alice), form_posts(fields), url)


def test_consent_record_add_form(shop):
    posts = form_posts(
        {
            "customer": text_or(str(shop.hanako.pk), "1", "' OR 1=1"),
            "version": text_or(str(shop.version1.pk), str(shop.draft.pk), "0"),
            "channel": text_or("shop", "web", "import"),
        }
    )
    url = reverse("admin:policy_consentrecord_add")
    fuzz(signed_in(Client(), shop.people.alice), posts, url)


def provision_fields(shop):
    return {
        "recipient_name": text_or("株式会社見本"),
        "recipient_address": text_or("東京都千代田区"),
        "recipient_representative": text_or("見本 一郎"),
        "provided_on": text_or(*DATES),
        "customers": st.one_of(
            text_or(str(shop.hanako.pk)), st.just(f"{shop.hanako.pk},{shop.hanako.pk}")
        ),
        "data_items": st.one_of(
            st.lists(st.sampled_from(["name", "email", "purchases"]), max_size=3), text_or("card")
        ),
        "basis": text_or("consent", "law", "vital", "opt_out"),
        "consent_evidence": text_or("2026-10-01 書面"),
    }


def test_third_party_provision_add_and_change_form(shop):
    posts, target = add_or_change(
        reverse("admin:policy_thirdpartyprovision_add"),
        reverse("admin:policy_thirdpartyprovision_change", args=[shop.provision.pk]),
        provision_fields(shop),
    )
    fuzz(signed_in(Client(), shop.people.alice), posts, target)


def test_data_request_admin_form(shop):
    posts = form_posts(
        {"customer": text_or(str(shop.hanako.pk), "x"), "note": text_or("本人確認済み")}
    )
    url = reverse("admin:datarequests_datarequest_change", args=[shop.data_request.pk])
    fuzz(signed_in(Client(), shop.people.alice), posts, url, cards=[data_request_texts])


def test_data_request_refusal_form(shop):
    posts = form_posts({"reason": text_or("ご登録の内容は正しいため訂正しません。")})
    url = reverse("admin:datarequests_datarequest_refuse", args=[shop.data_request.pk])
    fuzz(signed_in(Client(), shop.people.alice), posts, url, cards=[data_request_texts])


def test_data_request_erasure_form(shop):
    deletion = DataRequest.objects.create(
        kind="delete",
        name="山田 花子",
        email="hanako@example.com",
        customer=shop.hanako,
        step="in_progress",
    )
    posts = form_posts({"confirm": text_or(deletion.reference, deletion.reference.lower())})
    url = reverse("admin:datarequests_datarequest_erase", args=[deletion.pk])
    client = signed_in(Client(), shop.people.alice, reauthenticated=True)
    fuzz(client, posts, url, cards=[data_request_texts, customer_texts])


def test_pending_consent_form(shop):
    customers = st.lists(st.one_of(st.just(str(shop.hanako.pk)), uuids, hostile_text), max_size=3)
    url = reverse("admin:policy_policyversion_pending_consent")
    fuzz(signed_in(Client(), shop.people.alice), form_posts({"customer": customers}), url)


def test_public_data_request_form(shop):
    posts = form_posts(
        {
            "kind": text_or("disclose", "correct", "delete"),
            "name": text_or("山田 花子"),
            "email": text_or("hanako@example.com"),
            "phone": text_or("090-1234-5678"),
            "details": text_or("登録内容を教えてください。"),
        }
    )
    fuzz(Client(), posts, reverse("datarequests:form"), cards=[data_request_texts])


def test_consent_link_pages(shop):
    """The one-time link (any token in the URL), then the agreement posted from it."""
    typed = hostile_text.map(lambda text: text.replace("/", "")[:200] or "x")
    tokens = st.one_of(st.just(shop.consent_token), typed)
    client = Client()

    def target(example):
        token, data = example
        with rolled_back(client):
            response = client.get(reverse("privacy:consent_link", args=[token]))
            assert response.status_code < 500
        return reverse("privacy:consent"), data

    # Follow the link for real once, so the consent page has its token in the session.
    assert client.get(reverse("privacy:consent_link", args=[shop.consent_token])).status_code == 302
    fuzz(client, st.tuples(tokens, form_posts({"agree": text_or(*BOOLEANS)})), target)


def test_audit_ledger_filters(shop):
    """The ledger's list is filtered by query parameters typed into links."""
    posts = form_posts(
        {
            "customer": text_or(str(shop.hanako.pk)),
            "actor": text_or(str(shop.people.carol.pk), "１２", "²", "9" * 40),
            "action": text_or("customer.view", "customer.list"),
            "o": text_or("1", "-2", "99"),
            "p": text_or("1", "2", "-1"),
        }
    )
    url = reverse("admin:audit_auditentry_changelist")
    fuzz(signed_in(Client(), shop.people.dave), posts, url, method="get")
