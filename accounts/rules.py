"""Who may do what to this one object: the rules that depend on the object as well as on
the person's permissions.

What a role may do at all is a permission (``accounts.roles``, asked as
``user.has_perm``). What depends on the object is said here, once, by name: someone
else's export, one's own request, the last person who can manage people. Apps call these
functions; none compares role names itself (``tests/shopguard/test_access.py`` checks).
Who became owner when, and who made them so, is read from the ledger (``account.create``
and ``account.role_change`` entries), the one record nobody at the shop can rewrite.
"""

from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone

from accounts.roles import role_grants
from audit.actions import Action
from audit.models import AuditEntry
from vault.access import holders

APPROVE_EXPORTS = "exports.approve_exportrequest"
REQUEST_EXPORTS = "exports.add_exportrequest"
# Creating people, giving roles, deactivating, setting passwords, resetting second factors.
MANAGE_PEOPLE = "auth.change_user"
# The periodic review of access: the auditor's; the owner's only in a shop without one.
REVIEW_ACCESS = "audit.review_access"
REVIEW_ACCESS_STANDIN = "audit.review_access_standin"


def is_own(user, owner_id):
    """True when the object is ``user``'s own: ``owner_id`` is the id of the person who
    asked for it (an export's ``requested_by_id``)."""
    return owner_id is not None and owner_id == user.pk


# Exports -------------------------------------------------------------------------------


def sees_every_export(user):
    """True for whoever approves exports: they see every request, to decide on it."""
    return user.has_perm(APPROVE_EXPORTS)


def may_see_export(user, requested_by_id):
    """True when ``user`` may see an export request: every one for its approvers, their
    own and those they are the second person for (``may_second_check``) for others."""
    return (
        sees_every_export(user)
        or is_own(user, requested_by_id)
        or may_second_check(user, requested_by_id)
    )


def may_self_approve(user):
    """True when ``user`` may approve their own export: they approve exports, are not
    in a new owner's cooling-off period, and nobody else active may even ask for one (a
    one-person shop), so no second person exists to check it. Such an approval is marked
    self-approved wherever it is listed."""
    others = holders(REQUEST_EXPORTS).exclude(pk=user.pk)
    return user.has_perm(APPROVE_EXPORTS) and not others.exists() and not in_cooling_off(user)


def may_second_check(user, requested_by_id):
    """True when ``user`` may approve or reject an export asked for by ``requested_by_id``
    as its second person. The second check is a second person, not a rank: anyone who
    approves exports checks someone else's request; an owner's request is checked by
    another owner or, where the shop has no other active one who may check (every other
    owner is in a new owner's cooling-off period, or there is none), by a manager
    (someone who may ask for exports too): the owner's request never waits on a check
    nobody may make. Nobody in a new owner's cooling-off period (``in_cooling_off``)
    checks anything."""
    if not user.is_active or is_own(user, requested_by_id) or in_cooling_off(user):
        return False
    if user.has_perm(APPROVE_EXPORTS):
        return True
    if requested_by_id is None or not user.has_perm(REQUEST_EXPORTS):
        return False
    approvers = holders(APPROVE_EXPORTS)
    if not approvers.filter(pk=requested_by_id).exists():
        return False
    others = approvers.exclude(pk=requested_by_id)
    if not others.exists():
        return True
    cooling = [a.person_id for a in new_owners()]
    return not others.exclude(pk__in=cooling).exists()


def may_cancel_export(user, requested_by_id):
    """True when ``user`` may cancel someone else's waiting export: they approve exports.
    (The person who asked withdraws their own instead.)"""
    return user.has_perm(APPROVE_EXPORTS) and not is_own(user, requested_by_id)


# New owners ----------------------------------------------------------------------------

APPOINTMENTS = (Action.ACCOUNT_CREATE, Action.ACCOUNT_ROLE_CHANGE)


class Appointment(NamedTuple):
    """Someone at the shop making a person owner (creating them as one, or promoting them)."""

    person_id: int
    by_id: int
    by_username: str
    at: object  # datetime


def _appointments(user_ids=None):
    """Every ledger entry in which a person at the shop created ``user_ids`` (or anyone)
    or gave them a role, newest first."""
    entries = AuditEntry.objects.filter(action__in=APPOINTMENTS, target_type="auth.user")
    if user_ids is not None:
        entries = entries.filter(target_id__in=[str(pk) for pk in user_ids])
    return entries.exclude(actor_id=None).order_by("-seq")


def _made_owner(entry):
    role = entry.detail.get("role") or entry.detail.get("new")
    return role is not None and role_grants(role, MANAGE_PEOPLE)


def appointed_by(user, other_id):
    """True when the person ``other_id`` created ``user``'s account or gave them a role."""
    return other_id is not None and _appointments([user.pk]).filter(actor_id=other_id).exists()


def cooling_off_period():
    return timedelta(days=settings.SHOPGUARD_NEW_OWNER_COOLING_OFF_DAYS)


def new_owners():
    """The people made owner by someone at the shop within the cooling-off period, newest
    first: they approve and second-check nothing until it ends. (The shop's first owner,
    made by the ``createowner`` command on the server, has no actor and no period.)"""
    since = timezone.now() - cooling_off_period()
    # One query per action, each walking the (action, seq) index newest first: with
    # both actions in one query, the database walks the whole ledger by seq to avoid a
    # sort (270 ms at a million entries on the home page, issue #26).
    recent = [
        entry
        for action in APPOINTMENTS
        for entry in _appointments().filter(action=action, created_at__gt=since)
    ]
    recent.sort(key=lambda entry: entry.seq, reverse=True)
    seen, found = set(), []
    for entry in recent:
        if entry.target_id not in seen and _made_owner(entry):
            seen.add(entry.target_id)
            found.append(
                Appointment(
                    int(entry.target_id), entry.actor_id, entry.actor_username, entry.created_at
                )
            )
    return found


def in_cooling_off(user):
    """True while ``user`` is in a new owner's cooling-off period
    (``SHOPGUARD_NEW_OWNER_COOLING_OFF_DAYS`` after someone made them owner)."""
    since = timezone.now() - cooling_off_period()
    recent = _appointments([user.pk]).filter(created_at__gt=since)
    return any(_made_owner(entry) for entry in recent)


# People --------------------------------------------------------------------------------


def leaves_no_one_to_manage_people(user, new_role=None):
    """True when giving ``user`` ``new_role`` (None: switching them off) would leave the
    shop with no active person who may manage people: ``user`` is the last active owner.

    The other people who may are locked (their rows and their role group's), so that
    two changes made at once cannot both pass the rule.
    """
    if new_role is not None and role_grants(new_role, MANAGE_PEOPLE):
        return False
    if not user.has_perm(MANAGE_PEOPLE):
        return False
    return not holders(MANAGE_PEOPLE).select_for_update().exclude(pk=user.pk).exists()


# The periodic review of access --------------------------------------------------------


def may_review_access(user):
    """True when ``user`` may mark a period of access reviewed: whoever reviews access
    (the auditor), or the stand-in (the owner) while the shop has no active person who
    reviews access. A second person's eyes are the point; the owner reviewing the shop's
    own access is the next best thing where nobody else can."""
    if not user.is_active:
        return False
    if user.has_perm(REVIEW_ACCESS):
        return True
    return user.has_perm(REVIEW_ACCESS_STANDIN) and not holders(REVIEW_ACCESS).exists()
