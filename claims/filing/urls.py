from django.urls import path

from .services import claim_resubmit
from .views import claim_create, claim_detail, claim_list, document_download

urlpatterns = [
    path("", claim_list, name="claim_list"),
    path("new/<int:filing_pk>/", claim_create, name="claim_create"),
    path("<int:pk>/", claim_detail, name="claim_detail"),
    path("<int:pk>/supplement/", claim_resubmit, name="claim_resubmit"),
    path("documents/<int:pk>/", document_download, name="document_download"),
]
