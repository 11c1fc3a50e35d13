from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts import views as account_views
from loans.views import calculator
from portal import views

from . import errors

admin.site.site_header = _("贷款风险补偿资金管理平台")
admin.site.site_title = _("风险补偿资金")
admin.site.index_title = _("参数与基础数据维护")

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", account_views.PasswordChange.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(),
         name="password_change_done"),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("calculator/", calculator, name="calculator"),
    path("banks/", include("banks.urls")),
    path("filings/", include("loans.urls")),
    path("enterprises/", include("loans.enterprise_urls")),
    path("claims/", include("claims.urls")),
    path("fund/", include("fund.urls")),
    path("parameters/calendar/", include("fund.calendar_urls")),

    path("params/", include("fund.params_urls")),
    path("reports/", include("reports.urls")),
    path("notifications/", include("notifications.urls")),
    path("audit/", include("portal.audit_urls")),
    path("jobs/", include("jobs.urls")),
    path("api/v1/", include("api.urls")),
    path("api-keys/", include("api.key_urls")),
    path("admin/", admin.site.urls),
    path("favicon.ico", views.favicon),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
