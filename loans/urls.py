from django.urls import path

from . import views

app_name = "loans"
urlpatterns = [
    path("", views.filing_list, name="filing_list"),
    path("<int:pk>/", views.filing_detail, name="filing_detail"),
]
