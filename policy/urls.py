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
]
