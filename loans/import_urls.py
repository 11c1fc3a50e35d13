"""The quarter's Excel import, included by ``loans/urls.py`` under ``filings/import/`` inside
the ``loans`` namespace (no ``app_name`` here): the names resolve as ``loans:import_…``."""

from django.urls import path

from . import import_views as views

urlpatterns = [
    path("", views.import_list, name="import_list"),
    path("new/", views.import_upload, name="import_upload"),
    path("template/filings.xlsx", views.import_template_filings,
         name="import_template_filings"),
    path("template/classifications.xlsx", views.import_template_classifications,
         name="import_template_classifications"),
    path("<int:pk>/", views.import_detail, name="import_detail"),
    path("<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("<int:pk>/rejected.xlsx", views.import_rejected, name="import_rejected"),
]
