"""Writes on notifications: ``notify`` (rows in the caller's transaction, mail after commit), the
reader's marks, and one function per event that decides who is told what. Every text is written
in the portal's language whatever the acting user's language, since the recipient reads it."""

import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from banks.models import Bank, SuspensionChange
from claims.models import (
    Claim,
    ClaimStatusChange,
    Payment,
    Proposal,
    ProposalWithdrawal,
    Recovery,
    WriteOff,
    WriteOffStatusChange,
)
from claims.payment.selectors import _overdue_annotations
from claims.proposal.services import period_text
from fund.selectors import policy_context
from riskcomp.choices import Scheme
from riskcomp.labels import quarter_label, readable
from riskcomp.policy.deadlines import FilingWindow, open_filing_windows, quarter_of
from riskcomp.policy.eligibility import SCHEME_PREFERENCE
from riskcomp.policy.params import SchemeParams, choose_version
from riskcomp.templatetags.portal import cny

from .models import Notification
from .selectors import all_bank_officers, bank_officers, bureau_approvers, custodian_reviewers

logger = logging.getLogger(__name__)

Kind = Notification.Kind

# Which claim transitions the bank hears about, and as what.
CLAIM_EVENTS: dict[str, str] = {
    Claim.Status.SUPPLEMENT_REQUESTED: Kind.SUPPLEMENT,
    Claim.Status.PASSED: Kind.DECISION,
    Claim.Status.REJECTED: Kind.DECISION,
    Claim.Status.CONFIRMED: Kind.DECISION,
    Claim.Status.BUREAU_REJECTED: Kind.DECISION,
}
# Reminders on the filing window's last three working days: working days left after today.
WINDOW_REMINDER_DAYS = (2, 1, 0)
# How far back the suspension sweep looks for changes written without a save signal.
SUSPENSION_SWEEP_DAYS = 7


@transaction.atomic
def notify(*, recipients: Iterable[Any], kind: str, title: str, body: str = "", url: str = "",
           key: str) -> list[Notification]:
    """Tell each recipient once about the event ``key``: the rows are written in the caller's
    transaction (a rolled-back change notifies no one) and mailed after it commits, to those
    with an email address. Recipients already told are skipped."""
    people = {user.pk: user for user in recipients}
    if not people:
        return []
    told = set(Notification.objects.filter(kind=kind, key=key, recipient_id__in=people)
               .values_list("recipient_id", flat=True))
    # The time is read here rather than left to the field's default, which holds the clock
    # function bound at import: a business clock (the demo's) dates the notice of its step.
    now = timezone.now()
    fresh = [Notification(recipient_id=pk, kind=kind, title=title, body=body, url=url, key=key,
                          created_at=now)
             for pk in people if pk not in told]
    # A concurrent run may have told someone since the read above: the constraint decides.
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    addresses = [people[n.recipient_id].email for n in fresh if people[n.recipient_id].email]
    if addresses:
        transaction.on_commit(partial(_mail, title=title, body=body, url=url,
                                      addresses=addresses))
    return fresh


def _mail(*, title: str, body: str, url: str, addresses: list[str]) -> None:
    """One message per address (recipients of different banks never see each other). A mail
    server failure is logged: the notification in the portal stands."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("【风险补偿资金】%(title)s") % {"title": title}
    base = getattr(settings, "RISKCOMP_PORTAL_URL", "").rstrip("/")
    link = f"{base}{url}" if url else ""
    text = "\n\n".join(part for part in (body, link) if part)
    try:
        send_mass_mail([(subject, text, None, [address]) for address in addresses])
    except OSError:
        logger.exception("notification mail to %d recipients failed", len(addresses))


@transaction.atomic
def notification_read(*, notification: Notification, actor: Any) -> Notification:
    """Mark one of the actor's own notifications read (the first reading time stays)."""
    row = Notification.objects.select_for_update().get(pk=notification.pk,
                                                        recipient_id=actor.pk)
    if row.read_at is None:
        row.read_at = timezone.now()
        row.save(update_fields=["read_at"])
    return row


@transaction.atomic
def notifications_read_all(*, actor: Any) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(
        read_at=timezone.now())


# --- Events ----------------------------------------------------------------------------------

def _claim_url(claim_id: int) -> str:
    return reverse("claims:claim_detail", args=[claim_id])


def claim_change_notify(*, change: ClaimStatusChange) -> list[Notification]:
    """A supplement request or a decision on a claim (passed, rejected, confirmed, rejected by
    the bureau): the bank's officers."""
    if (change.to_status == Claim.Status.SUBMITTED
            and change.from_status == Claim.Status.SUPPLEMENT_REQUESTED):
        return supplement_answered_notify(change=change)
    kind = CLAIM_EVENTS.get(change.to_status)
    # A claim taken back out of a proposal returns to "passed": that is no new decision.
    if kind is None or (change.to_status == Claim.Status.PASSED
                        and change.from_status != Claim.Status.SUBMITTED):
        return []
    claim = change.claim
    with translation.override(settings.LANGUAGE_CODE):
        if kind == Kind.SUPPLEMENT:
            title = _("申报 %(number)s 需补充材料") % {"number": claim.number}
            lead = _("托管机构要求补充材料，请在申报详情页上传补充材料后重新提交。")
        else:
            status = Claim.Status(change.to_status).label
            title = _("申报 %(number)s：%(status)s") % {"number": claim.number,
                                                       "status": status}
            lead = _("补偿金额 %(amount)s。") % {"amount": cny(claim.compensation)}
        body = "\n".join(part for part in (lead, readable(change.note)) if part)
    return notify(recipients=bank_officers(claim.bank), kind=kind, title=title, body=body,
                  url=_claim_url(claim.pk), key=f"claim-change:{change.pk}")


def supplement_answered_notify(*, change: ClaimStatusChange) -> list[Notification]:
    """The bank answered a request for supplements (补正材料) and resubmitted: the custodian's
    reviewers, led to the claim's review page."""
    claim = change.claim
    with translation.override(settings.LANGUAGE_CODE):
        title = _("申报 %(number)s 已补正材料，待重新审核") % {"number": claim.number}
        body = "\n".join(part for part in (
            _("%(bank)s已答复补充材料要求并重新提交。") % {"bank": claim.bank.name},
            change.note) if part)
    return notify(recipients=custodian_reviewers(), kind=Kind.SUPPLEMENT, title=title, body=body,
                  url=reverse("claims:review", args=[claim.pk]),
                  key=f"claim-change:{change.pk}")


def proposal_submitted_notify(*, proposal: Proposal) -> list[Notification]:
    """A proposal sent to the bureau: its approvers, led to the page where they decide."""
    with translation.override(settings.LANGUAGE_CODE):
        title = _("初审意见 %(number)s 待财政确认") % {"number": proposal.number}
        body = _("%(scheme)s，所属期间%(period)s。请在初审意见页逐笔登记财政书面意见。") % {
            "scheme": Scheme(proposal.scheme).label, "period": period_text(proposal.period)}
    return notify(recipients=bureau_approvers(), kind=Kind.PROPOSAL, title=title, body=body,
                  url=reverse("claims:proposal_detail", args=[proposal.pk]),
                  key=f"proposal:{proposal.pk}")


def writeoff_change_notify(*, change: WriteOffStatusChange) -> list[Notification]:
    """A decision on a write-off application: the bank's officers hear every one (the
    custodian's review, its refusal, the bureau's decision); a forwarded application also
    tells the bureau's approvers, who decide it next."""
    write_off = change.write_off
    claim = write_off.claim
    with translation.override(settings.LANGUAGE_CODE):
        status = WriteOff.Status(change.to_status).label
        title = _("申报 %(number)s 的核销申请：%(status)s") % {"number": claim.number,
                                                            "status": status}
        body = change.note
    key = f"writeoff-change:{change.pk}"
    told: list[Notification] = []
    if change.to_status == WriteOff.Status.FORWARDED:
        told += notify(recipients=bureau_approvers(), kind=Kind.WRITE_OFF, title=title,
                       body=body, url=reverse("claims:writeoff_detail", args=[write_off.pk]),
                       key=key)
    if change.to_status != WriteOff.Status.APPLIED:
        told += notify(recipients=bank_officers(claim.bank), kind=Kind.WRITE_OFF, title=title,
                       body=body, url=_claim_url(claim.pk), key=key)
    return told


def withdrawal_notify(*, withdrawal: ProposalWithdrawal) -> list[Notification]:
    """A claim taken back out of a proposal: the bank's officers (their claim waits again) and
    the bureau's approvers (one claim fewer to decide)."""
    claim, proposal = withdrawal.claim, withdrawal.proposal
    with translation.override(settings.LANGUAGE_CODE):
        title = _("申报 %(number)s 已撤出初审意见 %(proposal)s") % {
            "number": claim.number, "proposal": proposal.number}
        body = "\n".join((
            _("补偿金额 %(amount)s。申报回到“初审通过”，将随以后的初审意见报送。") % {
                "amount": cny(claim.compensation)},
            _("原因：%(reason)s") % {"reason": withdrawal.reason}))
    key = f"withdrawal:{withdrawal.pk}"
    return [
        *notify(recipients=bank_officers(claim.bank), kind=Kind.WITHDRAWAL, title=title,
                body=body, url=_claim_url(claim.pk), key=key),
        *notify(recipients=bureau_approvers(), kind=Kind.WITHDRAWAL, title=title, body=body,
                url=reverse("claims:proposal_detail", args=[proposal.pk]), key=key),
    ]


def payment_notify(*, payment: Payment) -> list[Notification]:
    """Compensation paid: the bank's officers."""
    claim = payment.claim
    with translation.override(settings.LANGUAGE_CODE):
        title = _("申报 %(number)s 补偿资金已拨付") % {"number": claim.number}
        body = _("拨付金额 %(amount)s，拨付日期 %(date)s，付款流水号 %(reference)s。") % {
            "amount": cny(payment.amount), "date": payment.paid_on.isoformat(),
            "reference": payment.reference}
    return notify(recipients=bank_officers(claim.bank), kind=Kind.PAYMENT, title=title,
                  body=body, url=_claim_url(claim.pk), key=f"payment:{payment.pk}")


def suspension_change_notify(*, change: SuspensionChange) -> list[Notification]:
    """A bank suspended or resumed in a scheme: its officers and the custodian's reviewers."""
    bank = change.bank
    with translation.override(settings.LANGUAGE_CODE):
        names = {"bank": bank.short_name, "scheme": Scheme(change.scheme).label}
        if change.is_suspended:
            title = _("%(bank)s：%(scheme)s已暂停") % names
            # RULES.md "Suspension of a bank": new claims refused, queued claims wait.
            lead = _("暂停期间不受理该政策下的新补偿申报，已受理的申报暂缓报送、确认和拨付；"
                     "备案不受影响。")
        else:
            title = _("%(bank)s：%(scheme)s已恢复") % names
            lead = _("已恢复受理该政策下的补偿申报，暂缓的申报继续办理。")
        details = _("方式：%(kind)s。补偿净额 %(net)s。") % {
            "kind": SuspensionChange.Kind(change.kind).label,
            "net": cny(change.net_compensation)}
        reason = _("原因：%(reason)s") % {"reason": change.reason} if change.reason else ""
        body = "\n".join(part for part in (lead, details, reason) if part)
    return notify(recipients=[*bank_officers(bank), *custodian_reviewers()],
                  kind=Kind.SUSPENSION, title=title, body=body,
                  url=reverse("banks:bank_detail", args=[bank.pk]),
                  key=f"suspension-change:{change.pk}")


@transaction.atomic
def suspension_changes_notify(*, today: date) -> int:
    """Changes of the last days not yet announced: the nightly recompute writes them in bulk,
    without a save signal. Idempotent; returns the number of notifications written."""
    since = timezone.make_aware(datetime.combine(today - timedelta(days=SUSPENSION_SWEEP_DAYS),
                                                 time.min))
    changes = SuspensionChange.objects.filter(changed_at__gte=since).select_related("bank")
    return sum(len(suspension_change_notify(change=change))
               for change in changes.order_by("changed_at", "pk"))


@transaction.atomic
def overdue_returns_notify(*, today: date) -> int:
    """Recoveries whose return is overdue on ``today`` (return deadline passed without a return,
    or notified after the notice deadline; MICRO Art. 18, TECH Art. 19): the bank's officers and
    the reviewers, once per recovery. Returns the number of notifications written."""
    # Named one by one (not ``**``) so that the type checker knows the annotations.
    late = _overdue_annotations(today)
    overdue = (Recovery.objects.annotate(is_overdue=late["is_overdue"],
                                         is_notice_late=late["is_notice_late"])
               .filter(is_overdue=True)
               .select_related("claim", "claim__bank").order_by("pk"))
    reviewers = custodian_reviewers()
    officers: dict[int, list[Any]] = {}
    written = 0
    for recovery in overdue:
        claim = recovery.claim
        if claim.bank_id not in officers:
            officers[claim.bank_id] = bank_officers(claim.bank)
        with translation.override(settings.LANGUAGE_CODE):
            title = _("申报 %(number)s 的回收款返还逾期") % {"number": claim.number}
            lines = [_("回收日期 %(date)s，应返还 %(amount)s，尚未登记返还。") % {
                "date": recovery.recovered_on.isoformat(),
                "amount": cny(recovery.return_amount)}]
            if recovery.return_deadline is not None and recovery.return_deadline < today:
                lines.append(_("返还截止日 %(date)s 已过。") % {
                    "date": recovery.return_deadline.isoformat()})
            # Late notice implies a notice deadline; the check tells the type checker so.
            if recovery.is_notice_late and recovery.notice_deadline is not None:
                lines.append(_("通知日期 %(notified)s 晚于通知截止日 %(deadline)s。") % {
                    "notified": recovery.notified_on.isoformat(),
                    "deadline": recovery.notice_deadline.isoformat()})
        written += len(notify(recipients=[*officers[claim.bank_id], *reviewers],
                              kind=Kind.RETURN_OVERDUE, title=title, body="\n".join(lines),
                              url=_claim_url(claim.pk), key=f"return-overdue:{recovery.pk}"))
    return written


def _window_message(window: FilingWindow, today: date, params: SchemeParams
                    ) -> tuple[str, str, str] | None:
    """(key suffix, title, body) for ``window`` on ``today``, or None when there is nothing to
    say: the window of the current quarter's loans opening (announced during the quarter's
    first month, so a missed daily run catches up), and each of its last three working days."""
    year, quarter = window.quarter
    names = {"label": quarter_label((year, quarter)), "n": params.filing_deadline_workday,
             "deadline": window.deadline.isoformat() if window.deadline else ""}
    if window.deadline is None:
        deadline_text = _("截止日所在年度的节假日安排尚未录入，录入后可查看截止日。")
    else:
        deadline_text = _("备案截止日为 %(deadline)s（下一季度第 %(n)s 个工作日）。") % names
    left = window.workdays_left
    if left is not None and left in WINDOW_REMINDER_DAYS:
        if left == 0:
            title = _("今日为%(label)s放款的备案截止日") % names
        else:
            title = _("%(label)s放款备案还剩 %(left)s 个工作日") % {
                **names, "left": left}
        body = _("%(deadline)s逾期备案的贷款不予补偿（小微办法第十二条，科创方案第十三条）。") % {
            "deadline": deadline_text}
        return f"left-{left}", title, body
    quarter_start_month = (quarter - 1) * 3 + 1
    if window.quarter == quarter_of(today) and today.month == quarter_start_month:
        title = _("%(label)s放款的备案窗口已开放") % names
        body = _("本季度发放的贷款可自放款之日起备案。%(deadline)s") % {"deadline": deadline_text}
        return "open", title, body
    return None


@transaction.atomic
def filing_windows_notify(*, today: date) -> int:
    """The filing windows open on ``today`` (the home screen's reading of MICRO Art. 12 / TECH
    Art. 13): every bank officer, once per window per message. Returns the number written."""
    policy = policy_context()
    choice = choose_version(policy.params, None, today, preference=SCHEME_PREFERENCE)
    if choice is None:
        return 0
    params = choice.params
    officers: list[Any] | None = None
    written = 0
    for window in open_filing_windows(today, params, policy.calendar):
        with translation.override(settings.LANGUAGE_CODE):
            message = _window_message(window, today, params)
        if message is None:
            continue
        suffix, title, body = message
        if officers is None:
            officers = all_bank_officers()
        year, quarter = window.quarter
        written += len(notify(recipients=officers, kind=Kind.FILING_WINDOW, title=title,
                              body=body, url=reverse("loans:filing_list"),
                              key=f"filing-window:{year}Q{quarter}:{suffix}"))
    return written


# How many of a bank's recomputed deadlines the message lists; the count covers them all.
DEADLINE_LINES = 20


def deadlines_recomputed_notify(*, year: int, changes: Iterable[Any], key: str
                                ) -> list[Notification]:
    """``year``'s holiday schedule was entered and stored deadlines were recomputed
    (``fund.calendar_selectors.DeadlineChange``): each bank's officers, with their own."""
    by_bank: dict[int, list[Any]] = {}
    for change in changes:
        by_bank.setdefault(change.bank_id, []).append(change)
    written: list[Notification] = []
    banks = {b.pk: b for b in Bank.objects.filter(pk__in=by_bank)}
    for bank_id, own in sorted(by_bank.items()):
        with translation.override(settings.LANGUAGE_CODE):
            title = _("%(year)s年节假日安排已录入：本行 %(n)s 项期限已确定") % {
                "year": year, "n": len(own)}
            lines = [_("%(subject)s %(what)s：%(before)s → %(after)s") % {
                "subject": c.subject, "what": c.label,
                "before": c.before.isoformat() if c.before else _("待定"),
                "after": c.after.isoformat() if c.after else _("待定")}
                for c in own[:DEADLINE_LINES]]
            if len(own) > DEADLINE_LINES:
                lines.append(_("……另有 %(n)s 项，请在备案和追偿回收页面查看。") % {
                    "n": len(own) - DEADLINE_LINES})
        written += notify(recipients=bank_officers(banks[bank_id]), kind=Kind.DEADLINE,
                          title=title, body="\n".join(lines),
                          url=reverse("claims:recovery_list"), key=key)
    return written
