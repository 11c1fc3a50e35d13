from django.urls import path

from .views import claim_review, document_inline, review_queue

urlpatterns = [
    path("queue/", review_queue, name="review_queue"),
    path("<int:pk>/review/", claim_review, name="review"),
    path("documents/<int:pk>/inline/", document_inline, name="document_inline"),
]
