"""The suite-wide mail check (tests/conftest.py) catches what it must (issue #14)."""

import pytest
from django.core import mail

from customers.models import Customer
from exports import archive

pytestmark = pytest.mark.django_db


def test_a_mail_quoting_a_customer_is_caught():
    Customer.objects.create(name="山田 花子", email="hanako@example.com")
    with pytest.raises(AssertionError, match="personal data"):
        mail.send_mail("お知らせ", "hanako@example.com さんの件", None, ["owner@example.com"])


def test_a_mail_holding_an_archive_password_is_caught():
    password = archive.new_archive_password()
    with pytest.raises(AssertionError, match="password"):
        mail.send_mail("パスワード", password, None, ["owner@example.com"])


def test_a_mail_holding_an_archive_is_caught():
    message = mail.EmailMessage("ファイル", "添付します", None, ["owner@example.com"])
    message.attach("export.zip", b"PK\x03\x04rest", "application/zip")
    with pytest.raises(AssertionError, match="archive"):
        message.send()


def test_an_ordinary_alert_mail_passes():
    Customer.objects.create(name="山田 花子", email="hanako@example.com")
    mail.send_mail("警告", "短時間に多くの顧客が閲覧されました。", None, ["owner@example.com"])
    assert len(mail.outbox) == 1


def test_a_customer_changed_since_an_earlier_mail_is_caught():
    """The check opens a customer again when the stored record changed (tests/conftest.py
    decrypts each stored version once, not every customer for every mail)."""
    customer = Customer.objects.create(name="山田 花子", email="hanako@example.com")
    mail.send_mail("警告", "短時間に多くの顧客が閲覧されました。", None, ["owner@example.com"])
    customer.email = "hanako.new@example.com"
    customer.save()
    with pytest.raises(AssertionError, match="personal data"):
        mail.send_mail("お知らせ", "hanako.new@example.com さんの件", None, ["owner@example.com"])


def test_a_customer_added_since_an_earlier_mail_is_caught():
    mail.send_mail("警告", "短時間に多くの顧客が閲覧されました。", None, ["owner@example.com"])
    Customer.objects.create(name="佐藤 次郎", phone="090-2222-3333")
    with pytest.raises(AssertionError, match="personal data"):
        mail.send_mail("お知らせ", "090-2222-3333 の方から", None, ["owner@example.com"])
