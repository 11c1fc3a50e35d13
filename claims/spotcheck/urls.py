from django.urls import path

from . import views

urlpatterns = [
    path("", views.spotcheck_list, name="spotcheck_list"),
    path("draw/", views.spotcheck_draw, name="spotcheck_draw"),
    path("<int:pk>/", views.spotcheck_detail, name="spotcheck_detail"),
    path("items/<int:pk>/", views.spotcheck_item, name="spotcheck_item"),
]
