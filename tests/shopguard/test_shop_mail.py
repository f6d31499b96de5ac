"""Every mail comes from the configured sender and names the shop from 事業者情報
(issue #24). On main before this change mails came from a bare shopguard@localhost and
said nothing of the shop."""

from email.header import decode_header, make_header
from email.utils import parseaddr

import pytest
from django.core import mail

from policy.models import ShopProfile
from vault.mail import ShopEmailMessage, forget_shop_identity, send_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(settings):
    yield named_shop(settings)
    forget_shop_identity()  # a rolled-back profile sends no signal


def named_shop(settings):
    settings.DEFAULT_FROM_EMAIL = "info@shop.example.jp"
    profile = ShopProfile.load()
    profile.business_name_ja = "例の商店"
    profile.contact_desk_ja = "お客様窓口"
    profile.contact_email = "support@shop.example.jp"
    profile.save()
    return profile


def test_a_mail_comes_from_the_configured_sender_with_the_shops_name(shop):
    send_mail("件名", "本文です。", None, ["customer@example.jp"])

    [message] = mail.outbox
    assert parseaddr(message.from_email) == ("例の商店", "info@shop.example.jp")
    assert message.body.endswith("-- \n例の商店\nお客様窓口 support@shop.example.jp\n")
    sent_from = str(make_header(decode_header(message.message()["From"])))
    assert sent_from == "例の商店 <info@shop.example.jp>"


def test_a_mail_message_is_signed_the_same_way(shop):
    ShopEmailMessage("件名", "お知らせ", to=["customer@example.jp"]).send()

    [message] = mail.outbox
    assert parseaddr(message.from_email) == ("例の商店", "info@shop.example.jp")
    assert "例の商店" in message.body


def test_a_changed_shop_name_is_used_by_the_next_mail(shop):
    send_mail("件名", "本文", None, ["customer@example.jp"])
    shop.business_name_ja = "新しい例の商店"
    shop.save()

    send_mail("件名", "本文", None, ["customer@example.jp"])

    assert parseaddr(mail.outbox[1].from_email)[0] == "新しい例の商店"


def test_no_app_sends_mail_around_the_shop_named_sender():
    # Every mail goes through vault/mail.py, which names the shop and the sender.
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    direct = re.compile(
        r"^\s*from django\.core\.mail import|^\s*from django\.core import mail", re.M
    )
    offenders = [
        str(path.relative_to(root))
        for path in root.glob("*/**/*.py")
        if path.parts[len(root.parts)] not in {"tests", ".venv", "node_modules", "vault"}
        and "migrations" not in path.parts
        and direct.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
