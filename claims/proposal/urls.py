from django.urls import path

from . import views

urlpatterns = [
    path("proposals/", views.proposal_list, name="proposal_list"),
    path("proposals/new/", views.proposal_create, name="proposal_create"),
    path("proposals/queue/", views.approver_queue, name="approver_queue"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal_detail"),
    path("proposals/<int:pk>/decide/", views.proposal_decide, name="proposal_decide"),
    path("proposals/<int:pk>/pdf/", views.proposal_pdf, name="proposal_pdf"),
    path("<int:pk>/withdraw/", views.proposal_withdraw, name="proposal_withdraw"),
    path("confirmations/<int:pk>/document/", views.confirmation_document,
         name="confirmation_document"),
]
