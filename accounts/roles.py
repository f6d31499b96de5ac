"""What each of the four roles may do: one table of Django permissions.

The groups are created by a data migration (accounts 0001) and their permissions are
synchronised from ``ROLE_PERMISSIONS`` after every migration, so the table below is the
single truth: apps ask ``user.has_perm("app_label.codename")``, and the rules that also
depend on the object are ``accounts.rules``. A codename no model declares stops
``migrate`` (``sync_role_permissions``) and ``manage.py check``
(``check_role_permissions``), naming it. The role names themselves are ``vault.roles``.
"""

from django.apps import apps
from django.contrib.auth import get_permission_codename, get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from vault.roles import AUDITOR, MANAGER, OWNER, ROLES, STAFF

# "app_label.codename" per role; see the permission table in DESIGN.md.
_CUSTOMER_WORK = [
    "customers.view_customer",
    "customers.change_customer",
    "customers.view_purchase",
    "customers.change_purchase",
    "customers.reveal_customer",
]
# Those who import order files choose each product's category once (customers.orders).
_IMPORT_CATALOGUE = [
    "customers.view_productcategory",
    "customers.add_productcategory",
    "customers.change_productcategory",
]
# The privacy policy and everything recorded under it are the owner's alone.
_POLICY_WORK = [
    "policy.view_shopprofile",
    "policy.change_shopprofile",
    "policy.view_policyversion",
    "policy.change_policyversion",
    "policy.delete_policyversion",
    "policy.publish_policyversion",
    "policy.view_consentrecord",
    "policy.add_consentrecord",
    "policy.view_thirdpartyprovision",
    "policy.add_thirdpartyprovision",
    "policy.change_thirdpartyprovision",
    "policy.view_houserulesversion",
    "policy.change_houserulesversion",
    "policy.delete_houserulesversion",
    "policy.publish_houserulesversion",
    "policy.view_rulesacceptance",
    "policy.view_outsourcee",
    "policy.add_outsourcee",
    "policy.change_outsourcee",
    "datarequests.view_datarequest",
    "datarequests.change_datarequest",
]
# The daily label work: everyone who works with customers, within the owner's routine.
_LABEL_WORK = [
    "shipping.view_shipment",
    "shipping.add_shipment",
    "shipping.change_shipment",
    "shipping.view_labelroutine",
    "shipping.add_labelfile",
]
ROLE_PERMISSIONS = {
    OWNER: [
        *_CUSTOMER_WORK,
        "customers.reveal_without_quota",
        "customers.view_sensitive_purchase",
        "customers.add_customer",
        "customers.delete_customer",
        "customers.add_purchase",
        "customers.delete_purchase",
        "customers.import_customers",
        *_IMPORT_CATALOGUE,
        "exports.view_exportrequest",
        "exports.add_exportrequest",
        "exports.approve_exportrequest",
        "exports.view_takeout_ledger",
        *_LABEL_WORK,
        "shipping.approve_labelroutine",
        # Managing people (their accounts, roles, passwords and second factors).
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        *_POLICY_WORK,
        "datarequests.erase_datarequest",
        "audit.view_auditentry",
        "audit.view_activity",
        "audit.view_alert",
        "audit.acknowledge_alert",
        # The periodic review of access: the owner reviews only where no auditor is
        # (accounts.rules.may_review_access).
        "audit.view_accessreview",
        "audit.review_access_standin",
        "upkeep.run_verification",
        # The evidence page, what only a person knows on it, and the diagnoses register.
        "dashboard.view_evidence",
        "dashboard.add_statement",
        "upkeep.view_securitycheck",
        "upkeep.add_securitycheck",
        "upkeep.change_securitycheck",
        "incidents.view_incident",
        "incidents.add_incident",
        "incidents.change_incident",
    ],
    MANAGER: [
        *_CUSTOMER_WORK,
        "customers.reveal_without_quota",
        "customers.view_sensitive_purchase",
        "customers.add_customer",
        "customers.add_purchase",
        "customers.import_customers",
        *_IMPORT_CATALOGUE,
        "exports.view_exportrequest",
        "exports.add_exportrequest",
        *_LABEL_WORK,
        # Customers' data requests: the manager works the queue with the owner.
        "datarequests.view_datarequest",
        "datarequests.change_datarequest",
        "audit.view_activity",
    ],
    # Staff reveal within an hourly quota (vault.limits.STAFF_REVEALS).
    STAFF: [*_CUSTOMER_WORK, *_LABEL_WORK],
    AUDITOR: [
        "audit.view_auditentry",
        "audit.view_activity",
        "audit.view_alert",
        "audit.view_accessreview",
        "audit.review_access",
        "upkeep.run_verification",
        "dashboard.view_evidence",
        "upkeep.view_securitycheck",
        "exports.view_takeout_ledger",
        "incidents.view_incident",
    ],
}


def set_role(user, role):
    """Give ``user`` exactly one role (and admin access); ``None`` removes every role."""
    groups = Group.objects.filter(name__in=ROLES)
    user.groups.remove(*groups)
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    user.is_staff = role is not None
    user.save(update_fields=["is_staff"])
    user.__dict__.pop("_shopguard_role", None)
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)


def stored_role(user):
    """The role group ``user`` belongs to, even while deactivated (``role_of`` says None)."""
    names = {group.name for group in user.groups.all()}
    return next((role for role in ROLES if role in names), None)


def role_grants(role, permission):
    """True when the table gives ``role`` the ``permission`` ("app_label.codename")."""
    return permission in ROLE_PERMISSIONS.get(role, ())


def roles_granting(permission):
    """The roles the table gives ``permission``, in the order of ``ROLES``."""
    return [role for role in ROLES if role_grants(role, permission)]


def with_role(people, *roles):
    """``people`` (a queryset of users) narrowed to those holding one of ``roles``."""
    return people.filter(groups__name__in=roles)


def people_with_a_role():
    """Active people who hold one of the roles (each once)."""
    return with_role(get_user_model().objects.filter(is_active=True), *ROLES).distinct()


# The table against the models ---------------------------------------------------------


def declared_permissions():
    """Every "app_label.codename" the installed models declare: Django's default ones
    (add, change, delete, view) and each model's ``Meta.permissions``."""
    declared = set()
    for model in apps.get_models():
        opts = model._meta
        codenames = [get_permission_codename(action, opts) for action in opts.default_permissions]
        codenames += [codename for codename, _name in opts.permissions]
        declared |= {f"{opts.app_label}.{codename}" for codename in codenames}
    return declared


def unknown_permissions():
    """The table's "app_label.codename" entries no installed model declares (misspelt,
    or left behind by a removed model), sorted."""
    listed = {dotted for perms in ROLE_PERMISSIONS.values() for dotted in perms}
    return sorted(listed - declared_permissions())


def check_role_permissions(app_configs=None, **kwargs):
    """System check (``manage.py check``): every permission the role table names exists,
    and the table speaks of the four roles only."""
    errors = [
        checks.Error(
            f"accounts.roles.ROLE_PERMISSIONS names an unknown permission {dotted!r}.",
            hint="Use a codename a model declares (its default permissions or Meta.permissions).",
            id="accounts.E001",
        )
        for dotted in unknown_permissions()
    ]
    if set(ROLE_PERMISSIONS) != set(ROLES):
        errors.append(
            checks.Error(
                "accounts.roles.ROLE_PERMISSIONS must list exactly the roles "
                f"{', '.join(ROLES)}; it lists {', '.join(sorted(ROLE_PERMISSIONS))}.",
                id="accounts.E002",
            )
        )
    return errors


def sync_role_permissions(using="default", **kwargs):
    """Give each role group exactly the permissions ROLE_PERMISSIONS lists (post_migrate).

    A permission no model declares stops ``migrate`` with its name. One a model declares
    but the database does not hold yet (its app is not migrated that far: post_migrate
    runs once per app, and after a partial ``migrate``) is given at a later run.
    """
    unknown = unknown_permissions()
    if unknown:
        raise ImproperlyConfigured(
            "accounts.roles.ROLE_PERMISSIONS names unknown permissions: " + ", ".join(unknown)
        )
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".", 1)
            perm = (
                Permission.objects.using(using)
                .filter(content_type__app_label=app_label, codename=codename)
                .first()
            )
            if perm is not None:
                wanted.append(perm)
        if set(group.permissions.all()) != set(wanted):
            group.permissions.set(wanted)
