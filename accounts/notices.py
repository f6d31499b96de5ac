"""Telling people about changes to an account (the IPA EC-site guideline asks that a
password or account change be notified).

Each account-security action (``audit.actions.ACCOUNT_SECURITY_ACTIONS``) is told, once
its transaction commits, to the person whose account it is (at the address before the
change and, when the address itself changed, at the new one too) and to every other
active owner. The mail names the account, what changed, who changed it and when, and
never a customer or a password.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.alerts import RECEIVE_ALERTS
from audit.display import format_when
from vault.access import holders
from vault.mail import send_mail


def tell_about_account_change(user, action, actor=None, old_email="", detail=""):
    """After the commit, mail ``user`` (at ``old_email`` too when the address changed)
    and every other owner that ``action`` happened to ``user``'s account."""
    person = {user.email, old_email} - {""}
    others = holders(RECEIVE_ALERTS).exclude(pk=user.pk).exclude(email="")
    owners = set(others.values_list("email", flat=True))
    facts = {
        "username": user.get_username(),
        "what": str(Action(action).label),
        "detail": detail,
        "by": actor.get_username() if actor is not None else user.get_username(),
        "at": timezone.now(),
    }
    transaction.on_commit(lambda: _send(sorted(person), sorted(owners - person), facts))


def _send(person, owners, facts):
    with translation.override(settings.LANGUAGE_CODE):
        facts = {**facts, "when": format_when(facts["at"])}
        subject = _("[ShopGuard] アカウントの変更: %(what)s") % facts
        change = (
            _(
                "利用者: %(username)s\n変更: %(what)s %(detail)s\n"
                "変更した人: %(by)s\n日時: %(when)s\n"
            )
            % facts
        )
        own = _(
            "あなたの ShopGuard のアカウントが変更されました。\n\n%(change)s\n"
            "心当たりがない場合は、すぐにオーナーに連絡し、パスワードを変更してください。"
        ) % {"change": change}
        others = _(
            "ShopGuard の利用者のアカウントが変更されました。\n\n%(change)s\n"
            "心当たりがない場合は、管理画面のホームの警告と監査記録を確認してください。"
        ) % {"change": change}
    if person:
        send_mail(subject, own, None, person, fail_silently=True)
    if owners:
        send_mail(subject, others, None, owners, fail_silently=True)
