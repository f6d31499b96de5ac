from django.contrib import admin
from django.shortcuts import redirect
from django.urls import include, path

from accounts.views import reauth
from customers.import_views import upload_customers
from incidents.views import public_notice

handler400 = "shopguard.errors.bad_request"
handler403 = "shopguard.errors.permission_denied"
handler404 = "shopguard.errors.page_not_found"
handler500 = "shopguard.errors.server_error"

urlpatterns = [
    path("", lambda request: redirect("privacy:current"), name="home"),
    path("admin/reauth/", reauth, name="reauth"),
    path("admin/exports/", include("exports.urls")),
    path("admin/customers/import/", upload_customers, name="customers_import"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("privacy/requests/", include("datarequests.urls")),
    path("privacy/", include("policy.urls")),
    path("notice/<slug:slug>/", public_notice, name="incident_notice"),
]
