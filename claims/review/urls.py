from django.urls import path

from . import review_views

urlpatterns = [
    path("queue/", review_views.review_queue, name="review_queue"),
    path("<int:pk>/review/", review_views.claim_review, name="review"),
    path("documents/<int:pk>/inline/", review_views.document_inline, name="document_inline"),
]
