"""The custodian's screen of the banks' API keys: issue one (shown once), revoke one."""

from datetime import datetime, time

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import Role, role_required

from .forms import ApiKeyForm
from .models import ApiKey
from .services import api_key_create, api_key_revoke

CUSTODIAN = (Role.REVIEWER, Role.ADMIN)


@role_required(*CUSTODIAN)
def key_list(request: HttpRequest) -> HttpResponse:
    issued = None
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        expires_at = timezone.make_aware(datetime.combine(d["expires_on"], time.max))
        _key, issued = api_key_create(bank=d["bank"], name=d["name"], scope=d["scope"],
                                     expires_at=expires_at, actor=request.user)
        form = ApiKeyForm()
    keys = ApiKey.objects.select_related("bank", "created_by").order_by("-created_at")[:500]
    response = render(request, "api/keys.html", {"form": form, "keys": keys, "issued": issued,
                                                 "now": timezone.now()})
    if issued:  # the key is in this page only: never cached, never kept
        response["Cache-Control"] = "no-store"
    return response


@role_required(*CUSTODIAN)
@require_POST
def key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(ApiKey, pk=pk)
    if api_key_revoke(key=key, actor=request.user):
        messages.success(request, _("接口密钥“%(name)s”已吊销，立即失效。") % {"name": key.name})
    return redirect("api_keys:list")
