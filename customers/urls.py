"""Customer pages beside the admin's own, mounted at ``/admin/customers/``: exact search,
revealing one value, anonymising, and importing a file. Each is gated like an admin page
(``vault.access.vault_view``); the customer's own page is CustomerAdmin's."""

from django.urls import path

from customers import import_views, views

app_name = "customers"
urlpatterns = [
    path("customer/search/", views.search_customers, name="search"),
    path(
        "customer/<uuid:object_id>/reveal/<slug:field>/",
        views.reveal_customer_field,
        name="reveal",
    ),
    path("customer/<uuid:object_id>/anonymise/", views.anonymise_customer, name="anonymise"),
    path(
        "purchase/<uuid:object_id>/reveal/", views.reveal_purchase_product, name="reveal_purchase"
    ),
    path("postal-code/", views.postal_code_address, name="postal_code"),
    path("import/", import_views.upload_customers, name="import"),
    path("import/mapping/", import_views.save_mapping, name="import_mapping"),
]
