"""The four roles of the shop's people and what each may do.

Roles are Django groups named exactly ``owner``, ``manager``, ``staff`` and ``auditor``;
the groups are created by a data migration and their permissions are synchronised from
``ROLE_PERMISSIONS`` after every migration, so the table below is the single truth.
"""

from django.contrib.auth.models import Group, Permission

OWNER, MANAGER, STAFF, AUDITOR = "owner", "manager", "staff", "auditor"
ROLES = (OWNER, MANAGER, STAFF, AUDITOR)

# "app_label.codename" per role; see the permission table in DESIGN.md.
_CUSTOMER_WORK = [
    "customers.view_customer",
    "customers.change_customer",
    "customers.view_purchase",
    "customers.change_purchase",
    "customers.reveal_customer",
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
    "policy.view_datarequest",
    "policy.change_datarequest",
]
ROLE_PERMISSIONS = {
    OWNER: [
        *_CUSTOMER_WORK,
        "customers.view_sensitive_purchase",
        "customers.add_customer",
        "customers.delete_customer",
        "customers.add_purchase",
        "customers.delete_purchase",
        "customers.import_customers",
        "customers.view_exportrequest",
        "customers.add_exportrequest",
        "customers.approve_exportrequest",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        *_POLICY_WORK,
        "audit.view_auditentry",
        "audit.view_alert",
        "incidents.view_incident",
        "incidents.add_incident",
        "incidents.change_incident",
    ],
    MANAGER: [
        *_CUSTOMER_WORK,
        "customers.view_sensitive_purchase",
        "customers.add_customer",
        "customers.add_purchase",
        "customers.import_customers",
        "customers.view_exportrequest",
        "customers.add_exportrequest",
        # Customers' data requests: the manager works the queue with the owner.
        "policy.view_datarequest",
        "policy.change_datarequest",
    ],
    STAFF: list(_CUSTOMER_WORK),
    AUDITOR: ["audit.view_auditentry", "audit.view_alert", "incidents.view_incident"],
}


def role_of(user):
    """Return the role name of an active user, or None (anonymous, inactive, no role)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    cached = getattr(user, "_shopguard_role", False)
    if cached is not False:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = next((r for r in ROLES if r in names), None)
    user._shopguard_role = role
    return role


def has_role(user, *roles):
    """True when the user is active and holds one of ``roles``."""
    return role_of(user) in roles


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


def sync_role_permissions(using="default", **kwargs):
    """Give each role group exactly the permissions ROLE_PERMISSIONS lists (post_migrate)."""
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
