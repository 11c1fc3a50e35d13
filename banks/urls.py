from django.urls import path

from . import views

app_name = "banks"
urlpatterns = [
    path("", views.bank_list, name="bank_list"),
    path("<int:pk>/", views.bank_detail, name="bank_detail"),
]
