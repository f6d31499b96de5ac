from django.urls import path

from customers import export_views

app_name = "exports"
urlpatterns = [
    path("", export_views.export_list, name="list"),
    path("new/", export_views.export_new, name="new"),
    path("<uuid:pk>/", export_views.export_detail, name="detail"),
    path("<uuid:pk>/decide/", export_views.export_decide, name="decide"),
    path("<uuid:pk>/prepare/", export_views.export_prepare, name="prepare"),
    path("<uuid:pk>/download/", export_views.export_download, name="download"),
]
