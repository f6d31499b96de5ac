"""Inviting new people: the owner adds someone without choosing a password, and the
person gets a one-time link to choose their own.

The link carries a token from Django's password-reset generator under a salt of its own:
it is signed with ``SECRET_KEY`` over the person's stored password, last sign-in and
e-mail address, so it stops working once a password is set (used), when the address
changes, and after ``ACCOUNT_INVITE_HOURS`` (expired). Each invite sent replaces the
person's unusable password with a fresh one, so a re-sent invite makes every earlier link
for that person invalid at once. Sending and using it are both in the ledger. The
person enrols their second factor at their first sign-in, as everyone does
(``accounts.signin``).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts.people import require_manage_people
from audit.actions import Action
from audit.changes import recorded_by_caller
from audit.ledger import record
from vault.mail import send_mail, shop_identity

VALID, USED, EXPIRED, INVALID = "valid", "used", "expired", "invalid"


class InviteLinks(PasswordResetTokenGenerator):
    key_salt = "shopguard.accounts.invites"

    def state(self, user, token):
        """VALID, USED (a password was set since), EXPIRED or INVALID."""
        if user is None or not user.is_active or not token:
            return INVALID
        try:
            timestamp = base36_to_int(token.split("-")[0])
        except ValueError:
            return INVALID
        secrets = [self.secret, *self.secret_fallbacks]
        made = (self._make_token_with_timestamp(user, timestamp, s) for s in secrets)
        if not any(constant_time_compare(m, token) for m in made):
            return USED if user.has_usable_password() else INVALID
        age = self._num_seconds(self._now()) - timestamp
        if age > settings.ACCOUNT_INVITE_HOURS * 3600:
            return EXPIRED
        return VALID


links = InviteLinks()


def invite_path(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("accounts:invite", args=[uid, links.make_token(user)])


def invited_person(uidb64):
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        return get_user_model().objects.get(pk=pk)
    except (ValueError, TypeError, OverflowError, get_user_model().DoesNotExist):
        return None


def send_invite(actor, user, request):
    """Mail ``user`` their one-time link (after the commit) and record that it was sent.
    Every earlier link of theirs stops working. The entry names the person and the link's
    lifetime, never the link."""
    require_manage_people(actor)
    hours = settings.ACCOUNT_INVITE_HOURS
    with recorded_by_caller():
        # The links are signed over the stored password: a fresh unusable one (random,
        # as Django makes them) voids every link sent before this one.
        user.set_unusable_password()
        user.save(update_fields=["password"])
        link = request.build_absolute_uri(invite_path(user))
        record(
            Action.ACCOUNT_INVITE_SEND,
            request=request,
            actor=actor,
            target=user,
            detail={"hours": hours},
        )
    facts = {"username": user.get_username(), "link": link, "hours": hours}
    address = user.email
    transaction.on_commit(lambda: _mail(address, facts))


def _mail(address, facts):
    with translation.override(settings.LANGUAGE_CODE):
        facts = {**facts, "shop": shop_identity().name or "ShopGuard"}
        subject = _("[ShopGuard] %(shop)s の管理画面へのご招待") % facts
        body = (
            _(
                "%(shop)s の管理画面 ShopGuard に、利用者名 %(username)s で追加されました。\n\n"
                "次のリンクを開いて、ご自分でパスワードを決めてください。リンクは一度だけ、"
                "%(hours)s 時間以内に使えます。\n%(link)s\n\n"
                "パスワードを決めたらサインインし、スマートフォンの認証アプリで二要素認証を"
                "設定してください。\n"
                "心当たりがない場合は、このメールを破棄してください。"
            )
            % facts
        )
        if settings.SHOPGUARD_BACKOFFICE_NETWORKS:
            # Read at home, the link would meet the network refusal without this warning.
            body += "\n\n" + _(
                "このリンクは、店舗の事務所など、店舗が管理画面を許可した場所のネットワークから"
                "だけ開けます。"
            )
    send_mail(subject, body, None, [address])


class InviteUsed(Exception):
    """The link was used (or replaced) while this request was on its way: nothing saved."""


def set_own_password(request, user, form, token):
    """Save the password ``form`` (Django's ``SetPasswordForm``) holds and record that the
    invitation was used; the link stops working with the new password. The person's row
    is locked and the link checked again inside the transaction, so of many requests
    sent with one link at once exactly one sets a password (``InviteUsed`` for the rest)."""
    with transaction.atomic(), recorded_by_caller() as saves:
        locked = get_user_model().objects.select_for_update().get(pk=user.pk)
        if links.state(locked, token) != VALID:
            raise InviteUsed
        form.user = locked
        form.save()
        record(
            Action.ACCOUNT_INVITE_USE,
            request=request,
            actor=user,
            target=user,
            detail={"fields": saves.fields()},
        )
