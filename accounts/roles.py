"""What each of the four roles may do: one table of Django permissions.

The groups are created by a data migration (accounts 0001) and their permissions are
synchronised from ``ROLE_PERMISSIONS`` after every migration, so the table below is the
single truth. The role names themselves are ``vault.roles``.
"""

from django.contrib.auth.models import Group, Permission

from vault.roles import AUDITOR, MANAGER, OWNER, ROLES, STAFF

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
    "datarequests.view_datarequest",
    "datarequests.change_datarequest",
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
        "exports.view_exportrequest",
        "exports.add_exportrequest",
        "exports.approve_exportrequest",
        "exports.view_takeout_ledger",
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
        "exports.view_exportrequest",
        "exports.add_exportrequest",
        # Customers' data requests: the manager works the queue with the owner.
        "datarequests.view_datarequest",
        "datarequests.change_datarequest",
        "audit.view_activity",
    ],
    # Staff reveal within an hourly quota (vault.limits.STAFF_REVEALS).
    STAFF: list(_CUSTOMER_WORK),
    AUDITOR: [
        "audit.view_auditentry",
        "audit.view_activity",
        "audit.view_alert",
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
