from django.conf import settings

from vault.roles import ROLE_LABELS, role_of


def people(request):
    """Expose the signed-in person's role, as its label, and whether two-factor sign-in
    is required."""
    return {
        "shopguard_role_label": ROLE_LABELS.get(role_of(getattr(request, "user", None))),
        "shopguard_2fa_required": settings.SHOPGUARD_REQUIRE_2FA,
    }
