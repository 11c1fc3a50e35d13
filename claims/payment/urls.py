from django.urls import path

from .services import claim_pay, return_receive
from .views import (
    payment_batch,
    payment_list,
    recovery_create,
    recovery_list,
    return_create,
    return_list,
    return_statement_download,
    statement_create,
    statement_file_download,
)

urlpatterns = [
    path("payments/", payment_list, name="payment_list"),
    path("payments/batch/", payment_batch, name="payment_batch"),
    path("<int:pk>/pay/", claim_pay, name="claim_pay"),
    path("<int:pk>/recovery/", recovery_create, name="recovery_create"),
    path("<int:pk>/statement/", statement_create, name="statement_create"),
    path("recoveries/", recovery_list, name="recovery_list"),
    path("recoveries/<int:pk>/return/", return_create, name="return_create"),
    path("returns/", return_list, name="return_list"),
    path("returns/<int:pk>/receive/", return_receive, name="return_receive"),
    path("returns/<int:pk>/statement/", return_statement_download,
         name="return_statement_download"),
    path("statements/<int:pk>/file/", statement_file_download,
         name="statement_file_download"),
]
