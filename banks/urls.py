from django.urls import path

from . import views

app_name = "banks"
urlpatterns = [
    path("", views.bank_list, name="bank_list"),
    path("<int:pk>/", views.bank_detail, name="bank_detail"),
    path("<int:pk>/agreements/", views.agreement_add, name="agreement_add"),
    path("agreements/<int:pk>/terminate/", views.agreement_end, name="agreement_end"),
    path("<int:pk>/suspension/", views.manual_suspension, name="manual_suspension"),
    path("<int:pk>/officers/", views.officer_add, name="officer_add"),
    path("<int:pk>/officers/<int:user_id>/remove/", views.officer_remove, name="officer_remove"),
]
