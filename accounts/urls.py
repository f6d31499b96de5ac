"""The shop's people's own pages beside the admin, mounted at ``/admin/``: the second
step of sign-in, re-authentication before a dangerous action, one's recovery codes, a new
person's invitation."""

from django.contrib import admin
from django.urls import path

from accounts import signin, views

app_name = "accounts"
urlpatterns = [
    path("reauth/", views.reauth, name="reauth"),
    # Before the second factor nobody has the admin's permission yet: no admin gate.
    path("two-factor/", signin.two_factor, name="two_factor"),
    path("two-factor/setup/", signin.two_factor_setup, name="two_factor_setup"),
    # The invited person is not signed in yet: the one-time link is the key.
    path("invite/<uidb64>/<token>/", views.invite, name="invite"),
    path(
        "two-factor/recovery-codes/",
        admin.site.admin_view(views.recovery_codes),
        name="recovery_codes",
    ),
]
