from django.urls import path

from .selectors import proposal_detail, proposal_list
from .services import proposal_create, proposal_decide, proposal_withdraw
from .views import approver_queue, confirmation_document, proposal_pdf

urlpatterns = [
    path("proposals/", proposal_list, name="proposal_list"),
    path("proposals/new/", proposal_create, name="proposal_create"),
    path("proposals/queue/", approver_queue, name="approver_queue"),
    path("proposals/<int:pk>/", proposal_detail, name="proposal_detail"),
    path("proposals/<int:pk>/decide/", proposal_decide, name="proposal_decide"),
    path("proposals/<int:pk>/pdf/", proposal_pdf, name="proposal_pdf"),
    path("<int:pk>/withdraw/", proposal_withdraw, name="proposal_withdraw"),
    path("confirmations/<int:pk>/document/", confirmation_document,
         name="confirmation_document"),
]
