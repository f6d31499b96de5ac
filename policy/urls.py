from django.urls import path

from policy import views

app_name = "privacy"
urlpatterns = [
    path("", views.current, name="current"),
    path("history/", views.history, name="history"),
    path("v/<int:number>/", views.version_detail, name="version"),
    path("compare/", views.compare_select, name="compare_select"),
    path("compare/<int:a>/<int:b>/", views.compare, name="compare"),
    path("consent/", views.consent, name="consent"),
    path("consent/<str:token>/", views.consent_link, name="consent_link"),
    path("requests/", views.data_request, name="requests"),
    path("requests/received/<str:token>/", views.data_request_done, name="request_done"),
    path("requests/disclosure/", views.disclosure, name="disclosure"),
    path("requests/disclosure/<str:token>/", views.disclosure_link, name="disclosure_link"),
]
