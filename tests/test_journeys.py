"""Three journeys through the real screens in headless Chromium, from one role's first click to
the result another role sees: the bank officer's quarter and claim; the custodian's review,
the bureau's confirmation and the payment; the auditor's download of the annual report.

Only the starting data is made directly (banks, users, the fund's capital, the claim the second
journey starts from); everything else is done by clicking links and buttons, filling forms,
uploading files and accepting the ``data-confirm`` dialogs. Every step is saved as a screenshot
under artifacts/screens/journeys/<journey>-NN-<step>.png (test artefacts, not committed)."""

import hashlib
import io
import re
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfWriter

from accounts.roles import Role
from accounts.security import VERIFIED_AT
from claims import services
from claims.models import Claim, Payment, Proposal
from fund.models import LedgerEntry
from fund.selectors import policy_context
from loans.importing import FILINGS, build_workbook
from loans.models import LoanFiling
from loans.services import FilingRequest, classification_report, filing_create
from reports.models import ReportFile
from riskcomp.labels import reason_label

from .conftest import check_screen, patch_today
from .factories import AgreementFactory, BankFactory, UserFactory, make_credit_code, officer_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("reference_data")]

SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screens" / "journeys"
PASSWORD = "Secret-pass-123"  # tests.factories.UserFactory
# A Friday in 2026: 2026Q2 loans may still be filed (until 2026-07-21), every working-day
# deadline of the journeys falls in a year the calendar knows, and the 2025 reports are due.
TODAY = date(2026, 7, 10)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCUMENTS = ("application", "contract_iou", "credit_report", "collection", "commitment")
ASKED: dict[Any, list[str]] = {}  # page -> the confirmation questions it accepted


def _one_page_pdf() -> bytes:
    """A small valid PDF with one blank A4 page, so that the review screen's preview of the
    documents shows a page (a PDF without pages makes Chromium's viewer show an error)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


ONE_PAGE_PDF = _one_page_pdf()


# --- Fixtures ----------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _today(monkeypatch):  # type: ignore[no-untyped-def]
    """The portal's clock runs from TODAY at the real time of day. The live server runs in a
    thread of this process, so the patched functions are its clock too; both are patched so
    that timestamps (submitted, passed, paid) and dates (deadlines, periods) agree."""
    patch_today(monkeypatch, lambda: TODAY)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


# --- Helpers -----------------------------------------------------------------------------------

class Steps:
    """Numbered screenshots of one journey; the journey's earlier screenshots are removed."""

    def __init__(self, journey: str) -> None:
        self.journey = journey
        self.n = 0
        SHOTS.mkdir(parents=True, exist_ok=True)
        for old in SHOTS.glob(f"{journey}-*.png"):
            old.unlink()

    def shot(self, page, step: str) -> None:  # type: ignore[no-untyped-def]
        self.n += 1
        page.screenshot(path=str(SHOTS / f"{self.journey}-{self.n:02d}-{step}.png"),
                        full_page=True)
        check_screen(page)


def open_page(browser):  # type: ignore[no-untyped-def]
    """A page in a fresh browser context (its own cookies: one user), accepting every
    ``data-confirm`` dialog (static/js/portal.js asks with window.confirm)."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20000)
    asked = ASKED[page] = []

    def accept(dialog) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return page


def confirmed(page, selector: str, question: str) -> None:  # type: ignore[no-untyped-def]
    """Submit with ``selector`` and check that the portal asked ``question`` first."""
    before = len(ASKED[page])
    go(page, selector)
    assert any(question in message for message in ASKED[page][before:]), ASKED[page]


def log_in(page, live_server, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url.rstrip("/") == live_server.url, page.inner_text("main")


def go(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Click a link or a submit button and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state("networkidle")


def nav(page, label: str) -> None:  # type: ignore[no-untyped-def]
    go(page, f"nav.mainnav >> text={label}")


def main_text(page) -> str:  # type: ignore[no-untyped-def]
    return page.inner_text("main")


def confirm_password_if_asked(page, steps: Steps, step: str) -> bool:  # type: ignore[no-untyped-def]
    """The money-moving screens ask for the password again when the last proof is older than
    five minutes (accounts.security.reauth_required); type it and come back."""
    if urlparse(page.url).path != reverse("accounts:reauth"):
        return False
    steps.shot(page, step)
    page.fill("input[name=password]", PASSWORD)
    go(page, "main button[type=submit]")
    assert urlparse(page.url).path != reverse("accounts:reauth"), main_text(page)
    return True


def age_verification(page) -> None:  # type: ignore[no-untyped-def]
    """Make the user's last password proof ten minutes old, as after a long pause."""
    key = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    session = SessionStore(session_key=key)
    session[VERIFIED_AT] = time.time() - 600
    session.save()


def pdf(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": ONE_PAGE_PDF}


def filing_row(n: int, **over: str) -> dict[str, str]:
    """A small enterprise's first credit loan in 2026Q2: MICRO at 40%."""
    values = {
        "统一社会信用代码": make_credit_code(700 + n), "企业名称": f"北京亦庄旅程{n}科技有限公司",
        "主体类型": "企业法人", "企业规模": "小型", "是否在经开区": "是",
        "符合小微政策信用合规条件": "是", "符合科创政策信用合规条件": "是",
        "属于科创支持范围": "否", "借据号": f"JJ-J{n:03d}", "合同号": f"HT-J{n:03d}",
        "贷款品种": "信用贷款", "贷款金额": "500000.00", "币种": "CNY",
        "放款日期": "2026-05-12", "合同到期日": "2027-05-11", "年利率(%)": "3.6",
        "征信未结清贷款余额": "1000000", "征信报告日期": "2026-05-08",
        "有其他保险担保或补偿": "否", "首笔贷款": "是",
    }
    values.update(over)
    return values


def quarter_workbook(rows: list[dict[str, str]]) -> bytes:
    return build_workbook(FILINGS, [[n, *(r.get(h) for h in FILINGS.headers)]
                                    for n, r in enumerate(rows, start=2)])


def bank_with_officer(username: str):  # type: ignore[no-untyped-def]
    bank = BankFactory.create(name="甲银行经开区支行", short_name="甲银行")
    AgreementFactory(bank=bank, scheme="MICRO")
    return bank, officer_for(bank, username)


# --- 1. The bank officer: the quarter's workbook, a non-performing loan, its claim --------------

def test_officer_uploads_the_quarter_reports_an_npl_and_claims_compensation(browser,
                                                                            live_server):
    bank, officer = bank_with_officer("officer_j")
    steps = Steps("officer")
    content = quarter_workbook([
        filing_row(1),
        filing_row(2, **{"贷款金额": "800000.00"}),
        filing_row(3, **{"是否在经开区": "否"}),  # NOT_IN_BDA
    ])
    page = open_page(browser)
    log_in(page, live_server, "officer_j")
    assert "银行经办工作台" in main_text(page)
    steps.shot(page, "home")

    nav(page, "贷款备案")
    steps.shot(page, "filings-empty")
    go(page, "main >> text=Excel批量导入")
    steps.shot(page, "import-list")
    go(page, "main >> text=上传文件")
    assert page.is_checked("input[name=kind][value=filings]")
    page.set_input_files("input[name=file]", files=[
        {"name": "二季度备案.xlsx", "mimeType": XLSX, "buffer": content}])
    steps.shot(page, "upload")
    go(page, "main >> button:has-text('上传并校验')")
    # The validation runs on commit (eagerly in tests); a slower run shows the progress bar,
    # polled by htmx, and the page reloads itself when it is done.
    page.locator("table.import-preview").wait_for()
    text = main_text(page)
    assert "文件已上传，共 3 行" in text
    rows = page.locator("table.import-preview tbody tr")
    assert rows.count() == 3
    verdicts = {rows.nth(i).locator("td").nth(1).inner_text():
                rows.nth(i).inner_text() for i in range(3)}
    assert "小微" in verdicts["JJ-J001"] and "40%" in verdicts["JJ-J001"]
    assert "通过" in verdicts["JJ-J002"]
    assert "退回" in verdicts["JJ-J003"] and reason_label("NOT_IN_BDA") in verdicts["JJ-J003"]
    assert not LoanFiling.objects.exists()  # the preview writes nothing
    steps.shot(page, "preview")

    confirmed(page, "main >> button:has-text('确认提交 2 行')", "确认提交通过校验的 2 行？")
    page.locator("main >> text=已写入").wait_for()
    assert "已确认提交" in main_text(page)
    steps.shot(page, "committed")

    go(page, "main >> a:has-text('查看本批备案（2 笔）')")  # the loans this file filed
    assert page.locator("table.data tbody tr").count() == 2
    assert "导入批次 #" in main_text(page)
    steps.shot(page, "filings")
    go(page, "main >> a:text-is('JJ-J001')")
    assert "JJ-J001" in page.inner_text("h1") and "40%" in main_text(page)
    assert page.locator("main >> a:has-text('申报补偿')").count() == 0  # not NPL yet
    steps.shot(page, "filing")

    page.select_option("select[name=classification]", "substandard")
    assert page.input_value("input[name=classified_on]") == TODAY.isoformat()
    page.fill("input[name=note]", "借款人逾期90天，下调为次级")
    confirmed(page, "main >> button:has-text('报送分类')", "确认报送该五级分类？")
    assert "已报送五级分类：次级" in main_text(page)
    steps.shot(page, "classified")

    go(page, "main >> a:has-text('申报补偿')")
    figures = page.inner_text("#claim-figures")
    assert "¥500,000.00" in figures and "40%" in figures and "¥200,000.00" in figures
    facts = main_text(page)
    assert "次级" in facts and "2028-05-11" in facts  # the contract's maturity + 12 months
    steps.shot(page, "claim-form")

    page.fill("input[name=base]", "450000.00")  # the figures follow the base (htmx)
    page.locator("#claim-figures >> text=¥180,000.00").wait_for()
    for name in DOCUMENTS:
        page.set_input_files(f"input[name={name}]", files=[pdf(f"{name}.pdf")])
    steps.shot(page, "claim-filled")
    confirmed(page, "main >> button:has-text('提交补偿申报')", "确认提交补偿申报？")
    claim = Claim.objects.get()
    assert page.url.endswith(f"/claims/{claim.pk}/")
    text = main_text(page)
    assert f"补偿申报 {claim.number} 已提交" in text and "¥180,000.00" in text
    assert "待初审" in text
    steps.shot(page, "claim-submitted")
    assert (claim.status, claim.base, claim.compensation) == (
        Claim.Status.SUBMITTED, Decimal("450000.00"), Decimal("180000.00"))
    assert claim.created_by == officer and claim.bank == bank
    assert sorted(claim.documents.values_list("kind", flat=True)) == sorted(DOCUMENTS)
    assert timezone.localdate(claim.submitted_at) == TODAY
    page.context.close()


# --- 2. Reviewer, approver, reviewer: review, proposal, confirmation, payment -------------------

def submitted_claim() -> Claim:
    """A MICRO claim on a loan filed today (2026Q2) and classified substandard today, with its
    five documents: where the officer's journey ends."""
    bank, officer = bank_with_officer("officer_j")
    filing = filing_create(bank=bank, actor=officer, ctx=policy_context(), request=FilingRequest(
        credit_code=make_credit_code(801), enterprise_name="北京亦庄旅程精密制造有限公司",
        kind="company", size="small", in_bda=True, micro_conduct_ok=True, tech_conduct_ok=True,
        tech_scope=False,
        iou_number="JJ-J101", contract_number="HT-J101", loan_type="credit",
        amount=Decimal("600000.00"), currency="CNY", fx_rate=None,
        drawdown_date=date(2026, 5, 12), maturity_date=date(2027, 5, 11),
        rate_percent=Decimal("3.6"), credit_report_outstanding=Decimal("1000000.00"),
        credit_report_date=date(2026, 5, 8), other_cover=False, first_loan=True))
    classification_report(filing=filing, classification="substandard", classified_on=TODAY,
                          actor=officer)
    documents = {kind: SimpleUploadedFile(f"{kind}.pdf", ONE_PAGE_PDF,
                                          content_type="application/pdf") for kind in DOCUMENTS}
    return services.claim_submit(filing=filing, base=Decimal("600000.00"), documents=documents,
                                 actor=officer)


def test_reviewer_passes_and_proposes_approver_confirms_reviewer_pays(browser, live_server):
    claim = submitted_claim()
    assert claim.compensation == Decimal("240000.00")
    LedgerEntry.objects.create(kind=LedgerEntry.Kind.CAPITAL, amount=Decimal("5000000.00"),
                               booked_on=date(2026, 1, 5), memo="财政拨入风险补偿资金")
    UserFactory(username="reviewer_j", role=Role.REVIEWER.value)
    UserFactory(username="approver_j", role=Role.APPROVER.value)
    steps = Steps("review")

    reviewer = open_page(browser)
    log_in(reviewer, live_server, "reviewer_j")
    steps.shot(reviewer, "reviewer-home")
    nav(reviewer, "待审队列")
    assert claim.number in main_text(reviewer)
    steps.shot(reviewer, "queue")
    go(reviewer, f"main >> a:text-is('{claim.number}')")
    text = main_text(reviewer)
    assert "补偿申报初审" in text and "¥240,000.00" in text and "JJ-J101" in text
    assert reviewer.locator("#documents details").count() == len(DOCUMENTS)
    steps.shot(reviewer, "review")
    reviewer.fill("textarea[name=pass-note]", "材料齐全，分类与备案一致。")
    confirmed(reviewer, "#decide >> button:has-text('初审通过')", "确认初审通过？")
    assert "/claims/queue/" in reviewer.url
    steps.shot(reviewer, "passed")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PASSED

    nav(reviewer, "初审意见")
    steps.shot(reviewer, "proposals-empty")
    go(reviewer, "main >> text=汇总初审通过的申报，报送财政")
    with reviewer.expect_navigation():  # the scheme filter submits itself
        reviewer.select_option("select[name=scheme]", "MICRO")
    reviewer.wait_for_load_state("networkidle")
    box = reviewer.locator(f"input[name=claims][value='{claim.pk}']")
    assert box.is_checked()
    assert reviewer.input_value("select[name=period]") == "2026Q3"
    reviewer.fill("textarea[name=note]", "2026年第三季度小微企业贷款风险补偿初审意见。")
    steps.shot(reviewer, "proposal-pick")
    go(reviewer, "main >> button:has-text('预览合计')")
    assert "确认报送补偿初审意见" in reviewer.inner_text("h1")
    assert "240,000.00" in main_text(reviewer)
    steps.shot(reviewer, "proposal-preview")
    confirmed(reviewer, "main >> button:has-text('确认报送财政')", "确认报送该初审意见？")
    proposal = Proposal.objects.get()
    assert reviewer.url.endswith(f"/claims/proposals/{proposal.pk}/")
    assert f"初审意见 {proposal.number} 已报送财政" in main_text(reviewer)
    steps.shot(reviewer, "proposal")
    with reviewer.expect_download() as download_info:
        reviewer.click("main >> a:has-text('下载 PDF')")
    download = download_info.value
    assert download.suggested_filename == f"{proposal.number}.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")

    approver = open_page(browser)
    log_in(approver, live_server, "approver_j")
    assert proposal.number in main_text(approver)  # waiting on the bureau
    steps.shot(approver, "approver-home")
    go(approver, f"main >> a:text-is('{proposal.number}')")
    steps.shot(approver, "approver-proposal")
    approver.check(f"input[name=claims][value='{claim.pk}']")
    assert approver.is_checked("input[name=decision][value=confirmed]")
    approver.fill("input[name=number]", "京经开财〔2026〕18号")
    assert approver.input_value("input[name=date]") == TODAY.isoformat()
    approver.set_input_files("input[name=document]", files=[pdf("确认函.pdf")])
    steps.shot(approver, "approver-decision")
    confirmed(approver, "main >> button:has-text('登记财政意见')",
              "确认登记财政对所选申报的书面意见？")
    # After the password, the decision as filled in is submitted: nothing to fill in again.
    confirm_password_if_asked(approver, steps, "approver-reauth")
    text = main_text(approver)
    assert f"已登记财政意见“确认”（京经开财〔2026〕18号）：{claim.number}" in text
    assert "京经开财〔2026〕18号" in text and "财政已确认" in text
    steps.shot(approver, "approver-confirmed")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.CONFIRMED
    approver.context.close()

    # A long pause: the payment asks for the password again.
    age_verification(reviewer)
    nav(reviewer, "拨付")
    assert claim.number in main_text(reviewer)
    steps.shot(reviewer, "payments")
    go(reviewer, f"main >> tr:has-text('{claim.number}') >> a:has-text('拨付')")
    assert confirm_password_if_asked(reviewer, steps, "reauth")
    assert f"/claims/{claim.pk}/pay/" in reviewer.url
    text = main_text(reviewer)
    assert "¥240,000.00" in text and "京经开财〔2026〕18号" in text
    assert "¥5,000,000.00" in text and "¥4,760,000.00" in text  # balance before and after
    assert reviewer.input_value("input[name=paid_on]") == TODAY.isoformat()
    reviewer.fill("input[name=reference]", "FK2026071000018")
    steps.shot(reviewer, "pay")
    confirmed(reviewer, "main >> button:has-text('确认拨付')",
              f"确认向 {claim.number} 拨付 ¥240,000.00？")
    assert reviewer.url.endswith(f"/claims/{claim.pk}/")
    text = main_text(reviewer)
    assert f"已拨付申报 {claim.number} 补偿 ¥240,000.00" in text and "已拨付" in text
    steps.shot(reviewer, "paid")
    payment = Payment.objects.get(claim=claim)
    assert (payment.amount, payment.paid_on, payment.reference) == (
        Decimal("240000.00"), TODAY, "FK2026071000018")

    nav(reviewer, "资金")
    go(reviewer, "main >> a:text-is('资金台账')")
    entry = reviewer.locator(f"table.data tbody tr:has(a:text-is('{claim.number}'))")
    assert entry.count() == 1
    assert "补偿拨付" in entry.inner_text() and "240,000.00" in entry.inner_text()
    steps.shot(reviewer, "ledger")
    booked = LedgerEntry.objects.get(kind=LedgerEntry.Kind.COMPENSATION)
    assert (booked.amount, booked.claim_id, booked.booked_on) == (
        Decimal("-240000.00"), claim.pk, TODAY)
    reviewer.context.close()


# --- 3. The auditor downloads the annual report and checks its fingerprint ----------------------

def test_auditor_downloads_the_annual_report_and_its_sha256_matches(browser, live_server):
    UserFactory(username="reviewer_j", role=Role.REVIEWER.value)
    UserFactory(username="auditor_j", role=Role.AUDITOR.value)
    steps = Steps("auditor")

    reviewer = open_page(browser)
    log_in(reviewer, live_server, "reviewer_j")
    nav(reviewer, "报告")
    steps.shot(reviewer, "reviewer-reports")
    go(reviewer, "main >> a:has-text('生成报告')")
    reviewer.select_option("select[name=kind]", "annual")
    reviewer.select_option("select[name=period]", "2025")
    steps.shot(reviewer, "generate")
    confirmed(reviewer, "main >> button:has-text('生成')", "确认生成所选报告？")
    # Generated on commit (eagerly in tests); a slower run polls and reloads when done.
    reviewer.locator("main >> a:has-text('下载 PDF')").wait_for(timeout=60000)
    steps.shot(reviewer, "generated")
    report = ReportFile.objects.get()
    assert (report.kind, report.period, report.status) == ("annual", "2025", "done")
    reviewer.context.close()

    auditor = open_page(browser)
    log_in(auditor, live_server, "auditor_j")
    assert "审计查询" in main_text(auditor)
    steps.shot(auditor, "auditor-home")
    nav(auditor, "报告")
    assert auditor.locator("main >> a:has-text('生成报告')").count() == 0
    steps.shot(auditor, "reports")
    go(auditor, "main >> table.data >> a:text-is('年度审计报告')")
    shown = auditor.inner_text("dd.mono")
    assert re.fullmatch(r"[0-9a-f]{64}", shown), shown
    steps.shot(auditor, "report")
    with auditor.expect_download() as download_info:
        auditor.click("main >> a:has-text('下载 PDF')")
    download = download_info.value
    content = Path(download.path()).read_bytes()
    assert download.suggested_filename == "年度审计报告-2025-v1.pdf"
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == shown == report.sha256
    auditor.context.close()

