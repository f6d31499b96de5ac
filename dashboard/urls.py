from django.urls import path

from dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.evidence_page, name="evidence"),
    path("print/", views.evidence_print, name="evidence_print"),
    path("pack/", views.evidence_pack, name="evidence_pack"),
    path("statement/<str:item_id>/", views.record_statement, name="statement"),
]
