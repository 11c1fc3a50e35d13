from django.urls import path

from .views import spotcheck_detail, spotcheck_draw, spotcheck_item, spotcheck_list

urlpatterns = [
    path("", spotcheck_list, name="spotcheck_list"),
    path("draw/", spotcheck_draw, name="spotcheck_draw"),
    path("<int:pk>/", spotcheck_detail, name="spotcheck_detail"),
    path("items/<int:pk>/", spotcheck_item, name="spotcheck_item"),
]
