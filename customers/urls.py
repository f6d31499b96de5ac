"""Customer vault pages, mounted under the admin's customer and purchase URLs by their
ModelAdmins (so they sit in the ``admin`` namespace, before the admin's own patterns)."""

from django.urls import path

from customers import views

customer_admin_urls = [
    path("search/", views.search_customers, name="customers_customer_search"),
    path(
        "<uuid:object_id>/reveal/<slug:field>/",
        views.reveal_customer_field,
        name="customers_customer_reveal",
    ),
    path(
        "<uuid:object_id>/anonymise/", views.anonymise_customer, name="customers_customer_anonymise"
    ),
]

purchase_admin_urls = [
    path(
        "<uuid:object_id>/reveal/", views.reveal_purchase_product, name="customers_purchase_reveal"
    ),
]
