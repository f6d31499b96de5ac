"""The project's URLs. This module only includes: it defines no page of its own.

Where a page is added (one rule, followed by every app):

* A page written as a method of a ModelAdmin, because it works through that admin (its
  object lookup, its permissions, its messages), is added by that ModelAdmin's
  ``get_urls``, as Django does: under ``/admin/<app>/<model>/``, named
  ``admin:<app>_<model>_<page>`` (a customer's page, publishing a policy version, an
  incident's scope).
* Every other page is a view function, listed in its app's ``urls.py`` (``app_name`` is
  the app's label, except the policy app's public pages, ``privacy``) and included
  below: the shop's people's pages under ``/admin/`` (``/admin/<app>/``, or ``/admin/``
  itself for the sign-in steps and re-authentication), the public pages at their own
  addresses (``/privacy/``, ``/privacy/requests/``, ``/notice/``).

Nothing else adds a URL: not the admin site, and no ModelAdmin for a view function. The
apps' pages under ``/admin/`` are included before ``admin.site.urls``, whose last pattern
catches every address under ``/admin/``.
"""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

handler400 = "shopguard.errors.bad_request"
handler403 = "shopguard.errors.permission_denied"
handler404 = "shopguard.errors.page_not_found"
handler500 = "shopguard.errors.server_error"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="privacy:current"), name="home"),
    path("admin/", include("accounts.urls")),
    path("admin/customers/", include("customers.urls")),
    path("admin/exports/", include("exports.urls")),
    path("admin/upkeep/", include("upkeep.urls")),
    path("admin/shipping/", include("shipping.urls")),
    path("admin/policy/", include("policy.staff_urls")),
    path("admin/evidence/", include("dashboard.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("privacy/requests/", include("datarequests.urls")),
    path("privacy/", include("policy.urls")),
    path("notice/", include("incidents.urls")),
]
