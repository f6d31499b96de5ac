from django.urls import path

from datarequests import views

app_name = "datarequests"
urlpatterns = [
    path("", views.data_request, name="form"),
    path("received/<str:token>/", views.data_request_done, name="received"),
    path("disclosure/", views.disclosure, name="disclosure"),
    path("disclosure/<str:token>/", views.disclosure_link, name="disclosure_link"),
]
