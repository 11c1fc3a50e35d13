"""The claim's stages, each with its own URLs under one ``claims`` namespace."""

from django.urls import include, path

app_name = "claims"
urlpatterns = [
    path("", include("claims.filing.urls")),
    path("", include("claims.payment.urls")),
    path("", include("claims.proposal.urls")),
    path("", include("claims.review.urls")),
    path("", include("claims.writeoff.urls")),
    path("spot-checks/", include("claims.spotcheck.urls")),
]
