"""The shop's people's pages of the policy app beside its ModelAdmins, mounted at
``/admin/policy/``: the house rules every person reads and accepts."""

from django.urls import path

from policy import staff_views

app_name = "policy"
urlpatterns = [
    path("rules/", staff_views.house_rules, name="house_rules"),
]
