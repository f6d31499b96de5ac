from django.urls import path

from exports import views

app_name = "exports"
urlpatterns = [
    path("", views.export_list, name="list"),
    path("new/", views.export_new, name="new"),
    path("ledger/", views.takeout_ledger, name="ledger"),
    path("<str:pk>/", views.export_detail, name="detail"),
    path("<str:pk>/decide/", views.export_decide, name="decide"),
    path("<str:pk>/withdraw/", views.export_withdraw, name="withdraw"),
    path("<str:pk>/prepare/", views.export_prepare, name="prepare"),
    path("<str:pk>/download/", views.export_download, name="download"),
]
