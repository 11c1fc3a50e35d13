"""The custodian's screen for the shared borrower master data: the list (search, filters,
pages), an enterprise's master record beside what each bank filed about it, its certificates
and trail, and the audited change of the master record, confirmed and with a reason; nobody
but the custodian's reviewers sees or changes any of it."""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse

from loans.enterprise_services import enterprise_master_update
from loans.models import Enterprise, LoanFiling, Qualification

from .conftest import client_for
from .factories import EnterpriseFactory, FilingFactory, make_credit_code
from .test_translations import compiled_locale, english, english_world  # noqa: F401 - fixtures

LIST = reverse("enterprises:enterprise_list")
ROW_LINK = re.compile(r'href="/enterprises/(\d+)/"')


def detail(e: Enterprise) -> str:
    return reverse("enterprises:enterprise_detail", args=[e.pk])


def edit(e: Enterprise) -> str:
    return reverse("enterprises:enterprise_edit", args=[e.pk])


@pytest.fixture
def shared(bank_a, bank_b, officer_a, officer_b):  # type: ignore[no-untyped-def]
    """One enterprise filed by two banks, each under the name it knows it by."""
    ent = EnterpriseFactory(name="北京亦庄精密制造有限公司", size="small",
                            credit_code=make_credit_code(901))
    FilingFactory(bank=bank_a, filed_by=officer_a, enterprise=ent, iou_number="JJ-A-001",
                  enterprise_name="北京亦庄精密制造有限公司",
                  snapshot={"enterprise": {"size": "small"}})
    FilingFactory(bank=bank_a, filed_by=officer_a, enterprise=ent, iou_number="JJ-A-002",
                  enterprise_name="北京亦庄精密制造有限公司",
                  snapshot={"enterprise": {"size": "small"}})
    FilingFactory(bank=bank_b, filed_by=officer_b, enterprise=ent, iou_number="JJ-B-001",
                  enterprise_name="亦庄精密（北京）有限公司",
                  snapshot={"enterprise": {"size": "micro"}})
    Qualification.objects.create(enterprise=ent, type="high_tech", certificate_no="GR202611000123",
                                 valid_from=date(2025, 1, 1), valid_to=date(2027, 12, 31))
    return ent


def form_data(e: Enterprise, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": e.name, "credit_code": e.credit_code, "kind": e.kind, "size": e.size,
        "industry": e.industry, "employees": "" if e.employees is None else e.employees,
        "revenue": "" if e.revenue is None else e.revenue,
        "total_assets": "" if e.total_assets is None else e.total_assets,
        "reason": "依据企业营业执照更正", "version": e.updated_at.isoformat()}
    if e.is_in_bda:
        data["is_in_bda"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def updates(e: Enterprise):  # type: ignore[no-untyped-def]
    return LogEntry.objects.get_for_object(e).filter(action=LogEntry.Action.UPDATE)


def texts(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Who may see it --------------------------------------------------------------------------

@pytest.mark.django_db
def test_only_the_custodians_reviewers_see_or_change_master_data(
        shared, officer_a, approver, auditor, admin_user_, reviewer):
    data = form_data(shared, name="改名有限公司", confirm="1")
    for user in (officer_a, approver, auditor, admin_user_):
        client = client_for(user)
        for url in (LIST, detail(shared), edit(shared)):
            assert client.get(url).status_code == 403, (user, url)
        assert client.post(edit(shared), data).status_code == 403
    shared.refresh_from_db()
    assert shared.name == "北京亦庄精密制造有限公司"
    client = client_for(reviewer)
    for url in (LIST, detail(shared), edit(shared)):
        assert client.get(url).status_code == 200, url
    # The reviewer's navigation links to it; the other roles' does not.
    assert f'href="{LIST}"' in client.get(reverse("home")).content.decode()
    for user in (officer_a, approver, auditor, admin_user_):
        assert f'href="{LIST}"' not in client_for(user).get(reverse("home")).content.decode()
    assert client.post(LIST).status_code == 405
    assert client.post(detail(shared)).status_code == 405
    assert client.get(reverse("enterprises:enterprise_detail", args=[99999])).status_code == 404


@pytest.mark.django_db
def test_the_django_admin_shows_master_data_but_does_not_change_it(shared, admin_user_):
    client = client_for(admin_user_)
    url = reverse("admin:loans_enterprise_change", args=[shared.pk])
    assert client.get(url).status_code == 200  # for reference
    response = client.post(url, {"name": "后台改名有限公司", "credit_code": shared.credit_code,
                                 "kind": "company", "size": "micro"})
    assert response.status_code == 403
    shared.refresh_from_db()
    assert (shared.name, shared.size) == ("北京亦庄精密制造有限公司", "small")


# --- The list ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_list_searches_by_name_and_credit_code_filters_and_pages(shared, reviewer, bank_a):
    for n in range(30):
        EnterpriseFactory(name=f"北京经开区样本企业{n:02d}", size="micro" if n % 2 else "medium",
                          is_in_bda=n % 3 != 0)
    client = client_for(reviewer)
    page = client.get(LIST, {"q": "精密"}).content.decode()
    assert "北京亦庄精密制造有限公司" in page and "样本企业" not in page
    by_code = client.get(LIST, {"q": shared.credit_code[-8:]}).content.decode()
    assert "北京亦庄精密制造有限公司" in by_code
    # Filed by two banks: the only shared one.
    many = client.get(LIST, {"shared": "1"}).content.decode()
    assert "北京亦庄精密制造有限公司" in many and "样本企业" not in many
    micro = client.get(LIST, {"size": "micro", "per_page": "100"}).content.decode()
    assert micro.count("样本企业") == 15 and "北京亦庄精密制造有限公司" not in micro
    outside = client.get(LIST, {"bda": "0", "per_page": "100"}).content.decode()
    assert outside.count("样本企业") == 10
    first = set(ROW_LINK.findall(client.get(LIST).content.decode()))
    second = set(ROW_LINK.findall(client.get(LIST, {"page": "2"}).content.decode()))
    assert (len(first), len(second)) == (25, 6) and not first & second
    # Nonsense in the parameters is ignored, never a 500.
    for params in ({"size": "huge"}, {"page": "x"}, {"sort": "password"}, {"per_page": "-1"}):
        assert client.get(LIST, params).status_code == 200
    assert client.get(LIST, {"q": "x\x00y"}).status_code == 400


# --- The detail -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_detail_shows_the_master_record_beside_each_banks_filed_names(shared, reviewer):
    page = client_for(reviewer).get(detail(shared)).content.decode()
    assert shared.credit_code in page and "小型" in page
    # Each bank with the name and size its filings keep, and which filings.
    assert "甲银行" in page and "亦庄精密（北京）有限公司" in page
    assert "与主数据不同" in page and "微型" in page
    for iou in ("JJ-A-001", "JJ-A-002", "JJ-B-001"):
        assert iou in page
    filing = LoanFiling.objects.get(iou_number="JJ-B-001")
    assert reverse("loans:filing_detail", args=[filing.pk]) in page
    assert "GR202611000123" in page and "国家高新技术企业" in page
    assert "变更记录" in page


# --- The change -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_change_is_shown_before_and_after_then_saved_once_confirmed_and_audited(
        shared, reviewer):
    client = client_for(reviewer)
    form = client.get(edit(shared)).content.decode()
    assert "北京亦庄精密制造有限公司" in form and "修改原因" in form
    data = form_data(shared, name="北京亦庄精密制造股份有限公司", size="medium",
                     employees="120")
    preview = client.post(edit(shared), data)
    page = preview.content.decode()
    assert preview.status_code == 200 and "确认修改主数据" in page
    assert "北京亦庄精密制造股份有限公司" in page and "小型" in page and "中型" in page
    assert "依据企业营业执照更正" in page
    shared.refresh_from_db()
    assert shared.name == "北京亦庄精密制造有限公司"  # nothing saved before the confirmation
    assert not updates(shared).exists()

    done = client.post(edit(shared), {**data, "confirm": "1"})
    assert done.status_code == 302 and done["Location"] == detail(shared)
    assert "已修改企业主数据（3 项）" in texts(done)[0]
    shared.refresh_from_db()
    assert (shared.name, shared.size, shared.employees) == (
        "北京亦庄精密制造股份有限公司", "medium", 120)
    entry = updates(shared).get()
    assert entry.actor == reviewer and entry.action == LogEntry.Action.UPDATE
    assert entry.changes_dict["name"] == ["北京亦庄精密制造有限公司",
                                          "北京亦庄精密制造股份有限公司"]
    assert entry.changes_dict["size"] == ["small", "medium"]
    assert "依据企业营业执照更正" in str(entry.additional_data)
    # The banks' filings keep what they filed.
    assert set(LoanFiling.objects.values_list("enterprise_name", flat=True)) == {
        "北京亦庄精密制造有限公司", "亦庄精密（北京）有限公司"}
    trail = client.get(detail(shared)).content.decode()
    assert "北京亦庄精密制造股份有限公司" in trail and "依据企业营业执照更正" in trail

    # The same confirmation sent again (a double click): the page it was made on is stale.
    again = client.post(edit(shared), {**data, "confirm": "1"})
    assert again.status_code == 200
    assert "已被他人修改" in again.content.decode() or "没有修改任何内容" in again.content.decode()
    assert updates(shared).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "message"), [
    ({"reason": ""}, "请填写修改原因"),
    ({"reason": "   "}, "请填写修改原因"),
    ({"credit_code": "91110302MA01ABCDE1"}, "校验"),
    ({"credit_code": "123"}, "统一社会信用代码"),
    ({"name": "   "}, "请填写企业名称"),
    ({"name": "名" * 201}, "200"),
    ({"size": "huge"}, "选择一个有效的选项"),
    ({"employees": "-3"}, "0"),
    ({"revenue": "abc"}, "数"),
    ({"version": "not-a-time"}, "页面已过期"),
    ({}, "没有修改任何内容"),
])
def test_bad_input_is_refused_in_chinese_and_changes_nothing(shared, reviewer, changes, message):
    before = Enterprise.objects.values().get(pk=shared.pk)
    data = form_data(shared, **changes)
    if "name" not in changes and changes:
        data["name"] = "北京亦庄精密制造股份有限公司"  # a real change beside the bad field
    for confirm in ({}, {"confirm": "1"}):
        response = client_for(reviewer).post(edit(shared), {**data, **confirm})
        assert response.status_code == 200
        page = response.content.decode()
        assert message in page, (changes, message)
        assert "确认修改主数据" not in page
    assert Enterprise.objects.values().get(pk=shared.pk) == before
    assert not updates(shared).exists()


@pytest.mark.django_db
def test_a_credit_code_of_another_enterprise_is_refused(shared, reviewer):
    other = EnterpriseFactory()
    response = client_for(reviewer).post(
        edit(shared), {**form_data(shared, credit_code=other.credit_code), "confirm": "1"})
    assert "已有其他企业使用该统一社会信用代码" in response.content.decode()
    shared.refresh_from_db()
    assert shared.credit_code == make_credit_code(901)


@pytest.mark.django_db
def test_a_credit_code_typed_in_groups_is_stored_without_blanks(shared, reviewer):
    code = make_credit_code(902)
    typed = f"{code[:4]} {code[4:8]} {code[8:]}".lower()
    response = client_for(reviewer).post(
        edit(shared), {**form_data(shared, credit_code=typed), "confirm": "1"})
    assert response.status_code == 302
    shared.refresh_from_db()
    assert shared.credit_code == code


@pytest.mark.django_db
def test_a_size_the_figures_contradict_is_refused(shared, reviewer):
    # Industry: 300 people or more is large by the standard, not micro.
    response = client_for(reviewer).post(edit(shared), {**form_data(
        shared, industry="industry", employees="2000", revenue="500000000", size="micro"),
        "confirm": "1"})
    page = response.content.decode()
    assert response.status_code == 200 and "工信部联企业〔2011〕300号" in page
    shared.refresh_from_db()
    assert (shared.size, shared.industry) == ("small", "")


@pytest.mark.django_db
def test_a_record_changed_meanwhile_is_not_overwritten(shared, reviewer, admin_user_):
    data = form_data(shared, name="甲名称有限公司")
    enterprise_master_update(enterprise=shared, values={"name": "乙名称有限公司"},
                             version=None, reason="另一位审核人员的更正", actor=admin_user_)
    response = client_for(reviewer).post(edit(shared), {**data, "confirm": "1"})
    assert "已被他人修改" in response.content.decode()
    shared.refresh_from_db()
    assert shared.name == "乙名称有限公司"


@pytest.mark.django_db
def test_back_from_the_confirmation_keeps_what_was_typed(shared, reviewer):
    data = form_data(shared, name="北京亦庄精密制造股份有限公司")
    page = client_for(reviewer).post(edit(shared), {**data, "back": "1"}).content.decode()
    assert 'value="北京亦庄精密制造股份有限公司"' in page and "确认修改主数据" not in page
    shared.refresh_from_db()
    assert shared.name == "北京亦庄精密制造有限公司"


@pytest.mark.django_db
def test_markup_in_a_name_is_shown_as_text(shared, reviewer):
    name = '<script>alert(1)</script>有限公司'
    client = client_for(reviewer)
    assert client.post(edit(shared), {**form_data(shared, name=name), "confirm": "1"}
                       ).status_code == 302
    for url in (detail(shared), LIST):
        page = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


@pytest.mark.django_db
def test_the_service_refuses_without_a_reason_and_keeps_money_as_decimal(shared, reviewer):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        enterprise_master_update(enterprise=shared, values={"revenue": Decimal("1.00")},
                                 version=None, reason=" ", actor=reviewer)
    changes = enterprise_master_update(enterprise=shared,
                                       values={"revenue": Decimal("12345678.90")},
                                       version=shared.updated_at, reason="年报更正",
                                       actor=reviewer)
    assert [(c.field, c.before, c.after) for c in changes] == [
        ("revenue", None, Decimal("12345678.90"))]
    shared.refresh_from_db()
    assert shared.revenue == Decimal("12345678.90")


# --- In English ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_screens_are_english_with_the_language_switch(request):  # type: ignore[no-untyped-def]
    from accounts.roles import Role

    from .test_translations import _chinese_outside_data, _in_english, _stored_audit_texts

    users, data, records = request.getfixturevalue("english_world")
    ent = records["filing"].enterprise
    client = _in_english(client_for(users[Role.REVIEWER]))
    preview = client.post(edit(ent), form_data(ent, name="Yizhuang Example Tech Co., Ltd.",
                                               reason="Business licence"))
    assert "Confirm the master record change" in preview.content.decode()
    client.post(edit(ent), {**form_data(ent, name="Yizhuang Example Tech Co., Ltd.",
                                        reason="Business licence"), "confirm": "1"})
    data = (*data, "Yizhuang Example Tech Co., Ltd.", *_stored_audit_texts())
    for url in (LIST, detail(ent), edit(ent)):
        response = client.get(url)
        assert response.status_code == 200
        found = _chinese_outside_data(response.content.decode(), data)
        assert not found, (url, found)
    for bad in ({"reason": ""}, {"credit_code": "123"}):
        page = client.post(edit(ent), form_data(ent, name="X Co., Ltd.",
                                                **{"reason": "Checked", **bad}))
        found = _chinese_outside_data(page.content.decode(), data)
        assert not found, (bad, found)


# --- In a browser -------------------------------------------------------------------------------

SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screens"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_the_custodian_corrects_a_borrowers_name_in_the_browser(browser, live_server):
    from django.core.management import call_command

    from .conftest import check_screen
    from .test_browser import login

    call_command("load_demo", verbosity=0)
    from loans.enterprise_selectors import enterprise_master_list

    # One that two banks filed, for the side-by-side view.
    ent = enterprise_master_list().filter(n_banks__gt=1).order_by("pk").first()
    assert ent is not None
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = login(browser, live_server, "reviewer")
    page.locator("nav.mainnav a", has_text="借款企业").click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / "enterprise-list.png"), full_page=True)
    check_screen(page)
    page.fill("input[name=q]", ent.credit_code)
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    page.locator("table.data a", has_text=ent.name).first.click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / "enterprise-detail.png"), full_page=True)
    check_screen(page)
    assert "各银行备案的企业信息" in page.inner_text("body")
    page.click("text=修改主数据")
    page.wait_for_load_state("networkidle")
    page.fill("input[name=name]", ent.name + "（更正）")
    page.fill("textarea[name=reason]", "依据企业来函更正名称")
    page.click("text=下一步：核对修改")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / "enterprise-confirm.png"), full_page=True)
    check_screen(page)
    assert "修改前" in page.inner_text("body")
    page.click("button:has-text('确认修改')")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / "enterprise-changed.png"), full_page=True)
    check_screen(page)
    assert "已修改企业主数据" in page.inner_text("body")
    ent.refresh_from_db()
    assert ent.name.endswith("（更正）")
