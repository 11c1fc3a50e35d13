from django.urls import path

from . import views

urlpatterns = [
    path("", views.claim_list, name="claim_list"),
    path("new/<int:filing_pk>/", views.claim_create, name="claim_create"),
    path("<int:pk>/", views.claim_detail, name="claim_detail"),
    path("<int:pk>/supplement/", views.claim_resubmit, name="claim_resubmit"),
    path("documents/<int:pk>/", views.document_download, name="document_download"),
]
