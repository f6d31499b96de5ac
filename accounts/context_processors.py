from django.conf import settings

from vault.roles import role_of


def people(request):
    """Expose the signed-in person's role and whether two-factor sign-in is required."""
    return {
        "shopguard_role": role_of(getattr(request, "user", None)),
        "shopguard_2fa_required": settings.SHOPGUARD_REQUIRE_2FA,
    }
