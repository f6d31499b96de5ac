"""The gate before customer pages: the house rules first (policy.rules)."""

from django.contrib import admin

from policy import rules
from policy.staff_views import rules_page


class HouseRulesMiddleware:
    """Answer every customer page (``rules.is_customer_page``) with the house rules and
    an accept button while the signed-in person has not accepted the version in force
    (after a material change, or a year on). Pages the admin would refuse anyway are
    left to it, so an outsider learns nothing here."""

    def __init__(self, get_response):
        self.get_response = get_response
        # Which apps' pages are customer pages is worked out once, as the server loads
        # its middleware, before any request (and so never in parallel threads).
        rules.apps_reading_customers()

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated:
            return None
        if not rules.is_customer_page(request.path_info, request.resolver_match):
            return None
        # The acceptance first: for someone who accepted, one query and nothing more.
        if not rules.acceptance_due(request.user) or not admin.site.has_permission(request):
            return None
        return rules_page(request, next_url=request.get_full_path(), status=403)
