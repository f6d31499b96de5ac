from django.urls import path

from shipping import views

app_name = "shipping"
urlpatterns = [
    path("", views.shipment_list, name="list"),
    path("make/", views.label_file_make, name="make"),
    path("routines/", views.routine_list, name="routines"),
    path("routines/approve/", views.routine_approve, name="routine_approve"),
    path("routines/<str:pk>/end/", views.routine_end, name="routine_end"),
    path("tracking/", views.tracking_upload, name="tracking"),
    path("gift/<uuid:customer_id>/", views.gift_new, name="gift_new"),
    path("shipments/<uuid:shipment_id>/", views.shipment_page, name="shipment"),
    path("shipments/<uuid:shipment_id>/gift/", views.gift_edit, name="gift_edit"),
    path(
        "shipments/<uuid:shipment_id>/reveal/<slug:field>/",
        views.gift_reveal,
        name="gift_reveal",
    ),
    path("files/<str:pk>/", views.label_file_page, name="file"),
    path("files/<str:pk>/download/", views.label_file_download, name="download"),
]
