from django.urls import path

from exports import views

app_name = "exports"
urlpatterns = [
    path("", views.export_list, name="list"),
    path("new/", views.export_new, name="new"),
    path("<uuid:pk>/", views.export_detail, name="detail"),
    path("<uuid:pk>/decide/", views.export_decide, name="decide"),
    path("<uuid:pk>/prepare/", views.export_prepare, name="prepare"),
    path("<uuid:pk>/download/", views.export_download, name="download"),
]
