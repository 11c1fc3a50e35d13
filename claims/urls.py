from django.urls import include, path

from . import views

app_name = "claims"
urlpatterns = [
    path("", views.claim_list, name="claim_list"),
    path("new/<int:filing_pk>/", views.claim_create, name="claim_create"),
    path("<int:pk>/", views.claim_detail, name="claim_detail"),
    path("<int:pk>/supplement/", views.claim_resubmit, name="claim_resubmit"),
    path("<int:pk>/recovery/", views.recovery_create, name="recovery_create"),
    path("<int:pk>/writeoff/", views.writeoff_create, name="writeoff_create"),
    path("<int:pk>/statement/", views.statement_create, name="statement_create"),
    path("recoveries/", views.recovery_list, name="recovery_list"),
    path("recoveries/<int:pk>/return/", views.return_create, name="return_create"),
    path("documents/<int:pk>/", views.document_download, name="document_download"),
    path("returns/<int:pk>/statement/", views.return_statement_download,
         name="return_statement_download"),
    path("writeoffs/<int:pk>/file/", views.writeoff_file_download, name="writeoff_file_download"),
    path("statements/<int:pk>/file/", views.statement_file_download,
         name="statement_file_download"),
    path("", include("claims.payment_urls")),
    path("", include("claims.proposal_urls")),
    path("", include("claims.review_urls")),
    path("spot-checks/", include("claims.spotcheck_urls")),
]
