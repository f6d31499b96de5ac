from django.urls import path

from policy import views

app_name = "privacy"
urlpatterns = [
    path("", views.current, name="current"),
]
