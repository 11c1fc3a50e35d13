from django.urls import path

from .selectors import writeoff_detail, writeoff_list
from .services import writeoff_forward, writeoff_reject
from .views import writeoff_create, writeoff_decide, writeoff_file, writeoff_file_download

urlpatterns = [
    path("<int:pk>/writeoff/", writeoff_create, name="writeoff_create"),
    path("writeoffs/", writeoff_list, name="writeoff_list"),
    path("writeoffs/<int:pk>/", writeoff_detail, name="writeoff_detail"),
    path("writeoffs/<int:pk>/forward/", writeoff_forward, name="writeoff_forward"),
    path("writeoffs/<int:pk>/reject/", writeoff_reject, name="writeoff_reject"),
    path("writeoffs/<int:pk>/decide/", writeoff_decide, name="writeoff_decide"),
    path("writeoffs/<int:pk>/scan/", writeoff_file, name="writeoff_file"),
    path("writeoffs/<int:pk>/file/", writeoff_file_download, name="writeoff_file_download"),
]
