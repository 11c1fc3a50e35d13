from django.urls import path

from . import views

urlpatterns = [
    path("<int:pk>/writeoff/", views.writeoff_create, name="writeoff_create"),
    path("writeoffs/", views.writeoff_list, name="writeoff_list"),
    path("writeoffs/<int:pk>/", views.writeoff_detail, name="writeoff_detail"),
    path("writeoffs/<int:pk>/forward/", views.writeoff_forward, name="writeoff_forward"),
    path("writeoffs/<int:pk>/reject/", views.writeoff_reject, name="writeoff_reject"),
    path("writeoffs/<int:pk>/decide/", views.writeoff_decide, name="writeoff_decide"),
    path("writeoffs/<int:pk>/scan/", views.writeoff_file, name="writeoff_file"),
    path("writeoffs/<int:pk>/file/", views.writeoff_file_download, name="writeoff_file_download"),
]
