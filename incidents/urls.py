"""The public notice of an incident, mounted at ``/notice/``: for the people the shop
could not tell one by one."""

from django.urls import path

from incidents import views

app_name = "incidents"
urlpatterns = [
    path("<slug:slug>/", views.public_notice, name="notice"),
]
