from django.urls import path

from . import views

urlpatterns = [
    path("queue/", views.review_queue, name="review_queue"),
    path("<int:pk>/review/", views.claim_review, name="review"),
    path("documents/<int:pk>/inline/", views.document_inline, name="document_inline"),
]
