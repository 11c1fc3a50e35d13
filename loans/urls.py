from django.urls import include, path

from . import views

app_name = "loans"
urlpatterns = [
    path("", views.filing_list, name="filing_list"),
    path("new/", views.filing_create, name="filing_create"),
    path("new/preview/", views.filing_preview, name="filing_preview"),
    path("enterprise/", views.enterprise_lookup, name="enterprise_lookup"),
    path("<int:pk>/", views.filing_detail, name="filing_detail"),
    path("import/", include("loans.import_urls")),
    path("<int:pk>/classification/", views.classification_create, name="classification_create"),
]
