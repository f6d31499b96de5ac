"""The identity-check mail comes from the shop's sender and names the shop (issue #24)."""

from email.utils import parseaddr

import pytest
from django.core import mail

from customers.models import Customer
from tests.shopguard.test_shop_mail import named_shop
from vault.mail import forget_shop_identity

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_reads")]


def test_the_identity_check_mail_names_the_shop(client, settings, version1, request):
    named_shop(settings)
    request.addfinalizer(forget_shop_identity)  # a rolled-back profile sends no signal
    Customer.objects.create(name="確認 花子", email="kakunin@example.com")
    request = {"kind": "disclose", "name": "確認 花子", "email": "kakunin@example.com"}

    client.post("/privacy/requests/", {**request, "phone": "", "details": ""})

    [message] = mail.outbox
    assert parseaddr(message.from_email) == ("例の商店", "info@shop.example.jp")
    assert "例の商店" in message.body
