from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import claim_views, views

app_name = "api"

urlpatterns = [
    path("filings/", views.FilingsView.as_view(), name="filings"),
    path("filings/batch/", views.FilingBatchView.as_view(), name="filing_batch"),
    path("filings/<int:pk>/", views.FilingDetailView.as_view(), name="filing"),
    path("filings/<int:pk>/classifications/", views.ClassificationsView.as_view(),
         name="classifications"),
    path("enterprises/<str:credit_code>/", views.EnterpriseView.as_view(), name="enterprise"),
    path("claims/", claim_views.ClaimsView.as_view(), name="claims"),
    path("claims/<int:pk>/", views.ClaimDetailView.as_view(), name="claim"),
    path("claims/<int:pk>/supplements/", claim_views.SupplementsView.as_view(),
         name="supplements"),
    path("claims/<int:pk>/recoveries/", views.RecoveriesView.as_view(), name="recoveries"),
    path("recoveries/", claim_views.RecoveryListView.as_view(), name="recovery_list"),
    path("recoveries/<int:pk>/", claim_views.RecoveryDetailView.as_view(), name="recovery"),
    path("recoveries/<int:pk>/returns/", claim_views.ReturnsView.as_view(), name="returns"),
    path("suspension/", views.SuspensionView.as_view(), name="suspension"),
    # The schema and its documentation page are public: they describe, they hold no data.
    path("schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[],
                                               throttle_classes=[]), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(
        url_name="api:schema", template_name="api/swagger_ui.html",
        authentication_classes=[], permission_classes=[], throttle_classes=[]), name="docs"),
]
