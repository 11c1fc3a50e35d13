from django.urls import path

from . import views

urlpatterns = [
    path("payments/", views.payment_list, name="payment_list"),
    path("payments/batch/", views.payment_batch, name="payment_batch"),
    path("<int:pk>/pay/", views.claim_pay, name="claim_pay"),
    path("<int:pk>/recovery/", views.recovery_create, name="recovery_create"),
    path("<int:pk>/statement/", views.statement_create, name="statement_create"),
    path("recoveries/", views.recovery_list, name="recovery_list"),
    path("recoveries/<int:pk>/return/", views.return_create, name="return_create"),
    path("returns/", views.return_list, name="return_list"),
    path("returns/<int:pk>/receive/", views.return_receive, name="return_receive"),
    path("returns/<int:pk>/statement/", views.return_statement_download,
         name="return_statement_download"),
    path("statements/<int:pk>/file/", views.statement_file_download,
         name="statement_file_download"),
]
