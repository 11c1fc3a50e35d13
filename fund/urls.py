from django.urls import path

from . import views

app_name = "fund"
urlpatterns = [
    path("ledger/", views.ledger, name="ledger"),
]
