"""参数维护 on the portal's own screens: who sees them, the successor form, the LPR form and
the reminder after the 20th."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from fund.models import LprRate, PolicyVersion

from .conftest import client_for
from .factories import FilingFactory

OLD = "京技管发〔2025〕12号"
NEW = "京技管发〔2026〕9号"


@pytest.fixture(autouse=True)
def _today(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 12, 22))


def successor_post(**over: str) -> dict[str, object]:
    source = PolicyVersion.objects.get(version=OLD)
    data: dict[str, object] = {
        "version": NEW, "title": source.title, "valid_from": "2027-01-01",
        "valid_to": "2029-12-31", "allowed_kinds": source.allowed_kinds,
        "allowed_sizes": source.allowed_sizes, "allowed_loan_types": source.allowed_loan_types,
        "excludes_other_cover": "on", "confirm": "on",
    }
    for name in ("amount_cap", "outstanding_cap", "outstanding_cap_qualified",
                 "rate_margin_percent", "long_term_years", "credit_report_window_workdays",
                 "filing_deadline_workday", "claim_window_months", "recovery_notice_workdays",
                 "return_workdays", "base_ratio", "raised_ratio", "suspend_claim_ratio",
                 "suspend_net_compensation"):
        data[name] = str(getattr(source, name))
    for code, text in source.articles.items():
        data[f"article_{code}"] = text
    data.update(amount_cap="8000000.00", base_ratio="0.35", article_AMOUNT_CAP="第五条第（三）项")
    data.update(over)
    return data


@pytest.mark.django_db
def test_bank_officers_do_not_see_parameter_maintenance(officer_a):
    client = client_for(officer_a)
    for name in ("params:version_list", "params:lpr_list", "params:lpr_new"):
        assert client.get(reverse(name)).status_code == 403
    assert reverse("params:version_list") not in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_the_reviewer_reads_but_cannot_create(reviewer):
    client = client_for(reviewer)
    pk = PolicyVersion.objects.get(version=OLD).pk
    assert client.get(reverse("params:version_list")).status_code == 200
    assert client.get(reverse("params:version_detail", args=[pk])).status_code == 200
    assert client.get(reverse("params:version_succeed", args=[pk])).status_code == 403
    assert client.post(reverse("params:lpr_new"), {}).status_code == 403


@pytest.mark.django_db
def test_the_admin_creates_the_successor_from_the_current_version(admin_user_):
    client = client_for(admin_user_)
    pk = PolicyVersion.objects.get(version=OLD).pk
    form = client.get(reverse("params:version_succeed", args=[pk])).content.decode()
    # The form starts from the current figures and the day after the current version ends.
    assert 'value="2027-01-01"' in form and 'value="10000000.00"' in form
    assert "第六条第（四）项" in form
    # Without the confirmation nothing is saved.
    response = client.post(reverse("params:version_succeed", args=[pk]),
                           successor_post(confirm=""))
    assert response.status_code == 200 and "请勾选确认后再保存" in response.content.decode()
    assert not PolicyVersion.objects.filter(version=NEW).exists()
    response = client.post(reverse("params:version_succeed", args=[pk]), successor_post())
    created = PolicyVersion.objects.get(version=NEW)
    assert response.status_code == 302
    assert created.amount_cap == 8000000 and str(created.base_ratio) == "0.3500"
    assert created.articles["AMOUNT_CAP"] == "第五条第（三）项"
    assert created.articles["RATE_CAP"] == "第六条第（五）项"  # copied, unchanged
    listing = client.get(reverse("params:version_list")).content.decode()
    assert NEW in listing and "尚未生效" in listing


@pytest.mark.django_db
def test_an_overlapping_or_out_of_bounds_successor_is_shown_in_chinese(admin_user_):
    client = client_for(admin_user_)
    pk = PolicyVersion.objects.get(version=OLD).pk
    page = client.post(reverse("params:version_succeed", args=[pk]),
                       successor_post(valid_from="2026-12-01")).content.decode()
    assert "重叠" in page and OLD in page
    page = client.post(reverse("params:version_succeed", args=[pk]),
                       successor_post(base_ratio="3.0")).content.decode()
    assert "比例须大于0且不超过1" in page
    assert not PolicyVersion.objects.filter(version=NEW).exists()


@pytest.mark.django_db
def test_a_used_version_offers_no_edit_and_refuses_one(admin_user_):
    FilingFactory(policy_version=OLD)
    version = PolicyVersion.objects.get(version=OLD)
    client = client_for(admin_user_)
    detail = client.get(reverse("params:version_detail", args=[version.pk])).content.decode()
    assert reverse("params:version_edit", args=[version.pk]) not in detail
    assert "不能修改或删除" in detail
    client.post(reverse("params:version_edit", args=[version.pk]),
                successor_post(version=OLD, base_ratio="0.5"))
    client.post(reverse("params:version_delete", args=[version.pk]))
    assert PolicyVersion.objects.get(pk=version.pk).base_ratio == version.base_ratio


@pytest.mark.django_db
@pytest.mark.parametrize(("one", "five", "message"), [
    ("29", "3.50", "1年期LPR须大于0%且不超过10%"),
    ("3.00", "-1", "5年期以上LPR须大于0%且不超过10%"),
])
def test_the_lpr_screen_refuses_29_and_minus_1_percent(admin_user_, one, five, message):
    client = client_for(admin_user_)
    page = client.post(reverse("params:lpr_new"), {
        "published_on": "2026-12-21", "one_year_percent": one, "five_year_percent": five,
    }).content.decode()
    assert message in page
    assert not LprRate.objects.filter(published_on=date(2026, 12, 21)).exists()


@pytest.mark.django_db
def test_the_lpr_screen_asks_to_confirm_a_jump(admin_user_):
    client = client_for(admin_user_)
    data = {"published_on": "2026-12-21", "one_year_percent": "4.50",
            "five_year_percent": "3.50"}
    page = client.post(reverse("params:lpr_new"), data).content.decode()
    assert "变动超过1个百分点" in page
    assert not LprRate.objects.filter(published_on=date(2026, 12, 21)).exists()
    response = client.post(reverse("params:lpr_new"), {**data, "jump_confirmed": "on"})
    assert response.status_code == 302
    assert LprRate.objects.filter(published_on=date(2026, 12, 21)).exists()


@pytest.mark.django_db
def test_the_reminder_shows_after_the_20th_until_the_lpr_is_entered(admin_user_, reviewer):
    for user in (admin_user_, reviewer):
        home = client_for(user).get(reverse("home")).content.decode()
        assert "本月LPR待录入" in home and "2026年12月" in home
    LprRate.objects.create(published_on=date(2026, 12, 21), one_year_percent="3.00",
                           five_year_percent="3.50")
    assert "本月LPR待录入" not in client_for(admin_user_).get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_the_filing_list_shows_and_filters_by_document_number(reviewer):
    FilingFactory(iou_number="JJ-OLD", policy_version=OLD)
    FilingFactory(iou_number="JJ-NEW", policy_version="京技管发〔2025〕13号", scheme="TECH")
    client = client_for(reviewer)
    page = client.get(reverse("loans:filing_list")).content.decode()
    assert OLD in page and "京技管发〔2025〕13号" in page
    page = client.get(reverse("loans:filing_list"), {"version": OLD}).content.decode()
    assert "JJ-OLD" in page and "JJ-NEW" not in page


@pytest.mark.django_db
def test_the_admin_corrects_and_deletes_an_unused_lpr_within_the_entry_bounds(
        admin_user_, reviewer):
    from auditlog.models import LogEntry
    rate = LprRate.objects.create(published_on=date(2026, 12, 21), one_year_percent="3.10",
                                  five_year_percent="3.50")
    edit = reverse("params:lpr_edit", args=[rate.pk])
    delete = reverse("params:lpr_delete", args=[rate.pk])
    assert client_for(reviewer).post(edit, {"one_year_percent": "3.00",
                                            "five_year_percent": "3.50"}).status_code == 403
    assert client_for(reviewer).post(delete).status_code == 403
    client = client_for(admin_user_)
    listing = client.get(reverse("params:lpr_list")).content.decode()
    assert edit in listing and delete in listing and "data-confirm" in listing
    page = client.post(edit, {"one_year_percent": "29", "five_year_percent": "3.50"})
    assert "1年期LPR须大于0%且不超过10%" in page.content.decode()
    rate.refresh_from_db()
    assert str(rate.one_year_percent) == "3.1000"
    response = client.post(edit, {"published_on": "2026-01-01", "one_year_percent": "3.00",
                                  "five_year_percent": "3.50"})
    assert response.status_code == 302
    rate.refresh_from_db()
    assert (rate.published_on, str(rate.one_year_percent)) == (date(2026, 12, 21), "3.0000")
    assert LogEntry.objects.get_for_object(rate).filter(action=LogEntry.Action.UPDATE).exists()
    assert client.post(delete).status_code == 302
    assert not LprRate.objects.filter(pk=rate.pk).exists()
    assert LogEntry.objects.filter(action=LogEntry.Action.DELETE,
                                   object_pk=str(rate.pk)).exists()


@pytest.mark.django_db
def test_an_lpr_that_judged_a_filing_cannot_be_corrected_or_deleted(admin_user_):
    rate = LprRate.objects.create(published_on=date(2026, 12, 21), one_year_percent="3.00",
                                  five_year_percent="3.50")
    FilingFactory(drawdown_date=date(2026, 12, 21), maturity_date=date(2027, 12, 21))
    client = client_for(admin_user_)
    edit = reverse("params:lpr_edit", args=[rate.pk])
    assert "已用于核对1笔备案的利率上限" in client.get(edit).content.decode()
    client.post(edit, {"one_year_percent": "3.20", "five_year_percent": "3.50"})
    response = client.post(reverse("params:lpr_delete", args=[rate.pk]), follow=True)
    assert "已用于核对1笔备案的利率上限" in response.content.decode() and "不能删除" in (
        response.content.decode())
    rate.refresh_from_db()
    assert str(rate.one_year_percent) == "3.0000"


def test_loans_registers_the_filings_as_users_of_the_parameters() -> None:
    from fund.usage_hooks import params_usages
    from loans.params_usage import FILING_PARAMS_USAGE

    assert params_usages() == (FILING_PARAMS_USAGE,)
