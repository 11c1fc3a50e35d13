from django.urls import path

from . import payment_views as views

urlpatterns = [
    path("payments/", views.payment_list, name="payment_list"),
    path("payments/batch/", views.payment_batch, name="payment_batch"),
    path("<int:pk>/pay/", views.claim_pay, name="claim_pay"),
    path("returns/", views.return_list, name="return_list"),
    path("returns/<int:pk>/receive/", views.return_receive, name="return_receive"),
]
