from django.urls import path

from . import views

app_name = "fund"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("ledger/", views.ledger, name="ledger"),
    path("ledger/capital/", views.capital_receive, name="capital_receive"),
    path("ledger/interest/", views.interest_record, name="interest_record"),
    path("ledger/<int:pk>/reverse/", views.entry_reverse, name="entry_reverse"),
]
