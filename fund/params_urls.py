from django.urls import path

from . import params_views as views

app_name = "params"
urlpatterns = [
    path("", views.version_list, name="version_list"),
    path("versions/<int:pk>/", views.version_detail, name="version_detail"),
    path("versions/<int:pk>/succeed/", views.version_succeed, name="version_succeed"),
    path("versions/<int:pk>/edit/", views.version_edit, name="version_edit"),
    path("versions/<int:pk>/delete/", views.version_delete, name="version_delete"),
    path("lpr/", views.lpr_list, name="lpr_list"),
    path("lpr/new/", views.lpr_new, name="lpr_new"),
    path("lpr/<int:pk>/edit/", views.lpr_edit, name="lpr_edit"),
    path("lpr/<int:pk>/delete/", views.lpr_delete, name="lpr_delete"),
]
