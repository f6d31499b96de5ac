"""The shop's people: creating accounts, giving roles, deactivating, setting passwords,
resetting second factors, ending sessions.

Every change here needs the permission to manage people (the owner's), is checked against
the last-owner rule (``accounts.rules``) and is written to the audit ledger in the same
transaction as the change itself: one entry, naming the fields changed, is the record of
its saves (audit.changes.recorded_by_caller).
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts import twofactor
from accounts.models import TrackedSession
from accounts.notices import tell_about_account_change
from accounts.reauth import forget_reauthentication
from accounts.roles import set_role, stored_role
from accounts.rules import MANAGE_PEOPLE, leaves_no_one_to_manage_people
from audit.actions import Action
from audit.changes import recorded_by_caller
from audit.ledger import record
from vault.roles import ROLE_LABELS, is_role

ROLE_CHOICES = list(ROLE_LABELS.items())


class LastOwnerError(ValidationError):
    """Raised when a change would leave the shop without an active owner."""


LAST_OWNER_MESSAGE = _(
    "最後の有効なオーナーは無効化も役割変更もできません。先に別のオーナーを追加してください。"
)


# What the user-name field's hint says: half-width letters, digits and @ . + - _ only
# (Django's own rule allows any letter, so 「佐藤花子」 passed under a half-width hint).
USERNAME_RULE = ASCIIUsernameValidator(
    message=_(
        "ユーザー名に使えるのは半角の英字・数字と @ . + - _ だけです"
        "（漢字・かな・全角の文字は使えません）。"
    )
)


def check_username(username):
    """``username`` when it follows ``USERNAME_RULE``; a ValidationError otherwise."""
    USERNAME_RULE(username)
    return username


def role_label(role):
    return ROLE_LABELS.get(role, "—")


def require_manage_people(actor):
    """Refuse ``actor`` unless they may manage people (the owner's permission)."""
    if not actor.has_perm(MANAGE_PEOPLE):
        raise PermissionDenied


def check_last_owner(user, new_role=None):
    """Refuse to give ``user`` ``new_role`` (None: to switch them off) when they are the
    last active owner (``accounts.rules.leaves_no_one_to_manage_people``)."""
    if leaves_no_one_to_manage_people(user, new_role):
        raise LastOwnerError(LAST_OWNER_MESSAGE)


def create_account(actor, user, role, request=None):
    """Give a freshly saved ``user`` their one role and record who created the account
    (save the user inside the same ``recorded_by_caller()`` block: the entry covers it)."""
    require_manage_people(actor)
    if not is_role(role):
        raise ValidationError(_("役割を1つ選んでください。"))
    with transaction.atomic(), recorded_by_caller() as saves:
        set_role(user, role)
        record(
            Action.ACCOUNT_CREATE,
            request=request,
            actor=actor,
            target=user,
            detail={"role": role, "fields": saves.fields()},
        )
        tell_about_account_change(user, Action.ACCOUNT_CREATE, actor, detail=role_label(role))


def change_role(actor, user, new_role, request=None):
    """Give ``user`` exactly ``new_role``; the owner only, never the last owner's own."""
    require_manage_people(actor)
    if not is_role(new_role):
        raise ValidationError(_("役割を1つ選んでください。"))
    with transaction.atomic(), recorded_by_caller() as saves:
        old_role = stored_role(user)
        if old_role == new_role:
            return False
        check_last_owner(user, new_role)
        set_role(user, new_role)
        record(
            Action.ACCOUNT_ROLE_CHANGE,
            request=request,
            actor=actor,
            target=user,
            detail={"old": old_role, "new": new_role, "fields": saves.fields()},
        )
        roles = f"{role_label(old_role)} → {role_label(new_role)}"
        tell_about_account_change(user, Action.ACCOUNT_ROLE_CHANGE, actor, detail=roles)
    return True


def deactivate(actor, user, request=None):
    """Switch ``user`` off and end all their sessions at once."""
    require_manage_people(actor)
    with transaction.atomic(), recorded_by_caller() as saves:
        check_last_owner(user)
        user.is_active = False
        user.save(update_fields=["is_active"])
        ended = end_sessions(user)
        record(
            Action.ACCOUNT_DEACTIVATE,
            request=request,
            actor=actor,
            target=user,
            detail={"sessions_ended": ended, "fields": saves.fields()},
        )
        tell_about_account_change(user, Action.ACCOUNT_DEACTIVATE, actor)


def reactivate(actor, user, request=None):
    """Let a deactivated person sign in again (with the role they had)."""
    require_manage_people(actor)
    with transaction.atomic(), recorded_by_caller() as saves:
        user.is_active = True
        user.save(update_fields=["is_active"])
        record(
            Action.ACCOUNT_REACTIVATE,
            request=request,
            actor=actor,
            target=user,
            detail={"fields": saves.fields()},
        )
        tell_about_account_change(user, Action.ACCOUNT_REACTIVATE, actor)


# The fields people sign in with and are reached at (the owner's alert mail goes to the
# e-mail address): each change is an account-security action of its own.
LOGIN_DETAILS = {"username": Action.ACCOUNT_USERNAME_CHANGE, "email": Action.ACCOUNT_EMAIL_CHANGE}


def login_details_changed(actor, user, before, saves, request=None):
    """Record each of ``user``'s login details (``LOGIN_DETAILS``) that differs from
    ``before`` (field name -> value before the change) as its own entry, and tell the
    person (at the old address too) and the other owners. Call it inside the
    ``recorded_by_caller()`` block of the save (``saves``): the first entry names every
    field the save changed. Returns the changed fields."""
    require_manage_people(actor)
    changed = [name for name in LOGIN_DETAILS if getattr(user, name) != before[name]]
    for name in changed:
        record(
            LOGIN_DETAILS[name],
            request=request,
            actor=actor,
            target=user,
            detail={"fields": saves.fields() or [name]},
        )
        tell_about_account_change(user, LOGIN_DETAILS[name], actor, old_email=before["email"])
    return changed


# Sessions ---------------------------------------------------------------------------


def session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def track_session(request, user):
    """Remember that the request's session belongs to ``user`` (called at sign-in)."""
    key = request.session.session_key
    if key:
        TrackedSession.objects.update_or_create(session_key=key, defaults={"user": user})
        forget_ended_sessions(user)


def forget_ended_sessions(user):
    """Drop the tracking of ``user``'s sessions that have expired or been cleared."""
    Store = session_store()
    tracked = TrackedSession.objects.filter(user=user).values_list("session_key", flat=True)
    gone = [key for key in tracked if not Store().exists(key)]
    TrackedSession.objects.filter(session_key__in=gone).delete()


def forget_session(request):
    key = getattr(request, "session", None) and request.session.session_key
    if key:
        TrackedSession.objects.filter(session_key=key).delete()


def end_sessions(user, keep=None):
    """Delete every session of ``user`` on the server, except ``keep``; return how many."""
    Store = session_store()
    tracked = TrackedSession.objects.filter(user=user)
    if keep:
        tracked = tracked.exclude(session_key=keep)
    keys = list(tracked.values_list("session_key", flat=True))
    for key in keys:
        Store(session_key=key).delete()
    tracked.delete()
    return len(keys)


def password_changed(request, user):
    """After ``user``'s password was set: end their other sessions, record it, and spend
    the re-authentication it was done under (it was given with the old password).

    When people change their own password the session they did it from stays (Django
    gave it a new key); when the owner sets someone's password, all of theirs end. The
    entry names the person, never the password. Call it inside the change's transaction,
    and inside the ``recorded_by_caller()`` block of the password's save: the entry is
    its record.
    """
    own = request.user.pk == user.pk
    keep = request.session.session_key if own else None
    if own:
        track_session(request, user)
    ended = end_sessions(user, keep=keep)
    with recorded_by_caller() as saves:
        record(
            Action.ACCOUNT_PASSWORD_SET,
            request=request,
            target=user,
            detail={
                "own": own,
                "usable": user.has_usable_password(),
                "sessions_ended": ended,
                "fields": saves.fields(),
            },
        )
    tell_about_account_change(user, Action.ACCOUNT_PASSWORD_SET, request.user)
    forget_reauthentication(request)
    return ended


def reset_second_factor(actor, user, request=None):
    """Remove ``user``'s authenticator and recovery codes and end all their sessions:
    they enrol again at their next sign-in. The owner only, after re-authentication."""
    require_manage_people(actor)
    with transaction.atomic():
        twofactor.reset(user)
        ended = end_sessions(user)
        record(
            Action.ACCOUNT_2FA_RESET,
            request=request,
            actor=actor,
            target=user,
            detail={"sessions_ended": ended},
        )
        tell_about_account_change(user, Action.ACCOUNT_2FA_RESET, actor)
    return ended
