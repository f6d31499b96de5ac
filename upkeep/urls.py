from django.urls import path

from upkeep import views

app_name = "upkeep"
urlpatterns = [
    path("", views.status, name="status"),
    path("verify/", views.verify, name="verify"),
]
