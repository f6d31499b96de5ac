"""Every mail ShopGuard sends comes from the configured sender and names the shop.

``send_mail`` and ``ShopEmailMessage`` take the place of Django's own: the sender is
``DEFAULT_FROM_EMAIL`` with the shop's name (事業者情報) as its display name, and the body
ends with the shop's name and contact desk. The library imports no app: the policy app,
which keeps the shop's profile, registers the provider with ``set_shop_identity``.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import mail


@dataclass(frozen=True)
class ShopIdentity:
    name: str  # the business name, as 事業者情報 gives it
    signature: str  # the lines that close every mail (name, contact desk)


_provider: Callable[[], ShopIdentity] | None = None
# The identity is read once and kept: a mail then costs no query, so a request that mails
# does the same database work as one that does not (the data request's timing class).
# Saving the profile forgets it in this process; other processes read it again within
# IDENTITY_KEPT_SECONDS.
IDENTITY_KEPT_SECONDS = 60
_kept: tuple[float, ShopIdentity] | None = None


def set_shop_identity(provider: Callable[[], ShopIdentity]) -> None:
    """Register where the shop's name comes from (the policy app, at start-up)."""
    global _provider
    _provider = provider
    forget_shop_identity()


def forget_shop_identity() -> None:
    """Read the identity again at the next mail (the profile changed)."""
    global _kept
    _kept = None


def shop_identity() -> ShopIdentity:
    global _kept
    if _provider is None:
        return ShopIdentity("", "")
    now = time.monotonic()
    if _kept is None or now - _kept[0] > IDENTITY_KEPT_SECONDS:
        _kept = (now, _provider())
    return _kept[1]


def sender(identity: ShopIdentity | None = None) -> str:
    """``店名 <DEFAULT_FROM_EMAIL>``, or the bare address when no name is set."""
    identity = identity or shop_identity()
    address: str = settings.DEFAULT_FROM_EMAIL
    if not identity.name:
        return address
    # Quoted as it is written (Django encodes a non-ASCII name when it sends the mail).
    quoted = identity.name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{address}>'


def signed(body: str, identity: ShopIdentity | None = None) -> str:
    identity = identity or shop_identity()
    if not identity.signature:
        return body
    return f"{body.rstrip()}\n\n-- \n{identity.signature}\n"


def send_mail(
    subject: str,
    message: str,
    from_email: str | None = None,
    recipient_list: Sequence[str] = (),
    fail_silently: bool = False,
    **options: Any,
) -> int:
    """Django's ``send_mail``, from the shop's sender and signed with the shop's name.

    ``from_email`` is accepted for the same call shape and ignored: every mail comes
    from the one configured sender.
    """
    identity = shop_identity()
    return mail.send_mail(
        subject,
        signed(message, identity),
        sender(identity),
        list(recipient_list),
        fail_silently=fail_silently,
        **options,
    )


class ShopEmailMessage(mail.EmailMessage):
    """Django's ``EmailMessage``, from the shop's sender and signed with its name.

    ``sign=False`` sends a body that names the shop itself (the incident notice, whose
    owner previewed its exact text) as it is.
    """

    def __init__(
        self, subject: str = "", body: str = "", *args: Any, sign: bool = True, **kwargs: Any
    ) -> None:
        identity = shop_identity()
        kwargs["from_email"] = sender(identity)
        super().__init__(subject, signed(body, identity) if sign else body, *args, **kwargs)
