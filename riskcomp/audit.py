"""The audit trail (审计日志): every change to a domain record, with who made it, when, from which
address, what changed (old → new) and why, in django-auditlog's ``LogEntry``.

How a change reaches the trail:

- ``save()`` and ``delete()`` of a registered model: auditlog's signals write one entry each.
  ``AuditMiddleware`` puts the request's user and address on every entry of a web request.
- Bulk writes (``bulk_create``, ``bulk_update``, ``QuerySet.update()``) send no signal: the
  service that makes them calls ``audit_bulk_created``, ``audit_bulk_updated`` or
  ``audit_updated`` right after, which write the entries in auditlog's format with one
  ``LogEntry.objects.bulk_create`` per 1,000 entries; on PostgreSQL, from 200 entries on, with
  one COPY (an import of 10,000 filings adds one statement per kind of record it writes).
- Who, outside a request: Celery tasks and management commands pass the acting user to the
  services; ``audit_context(actor=…)`` puts it on the entries written inside the block.
- Why: a service that has a reason (a suspension's reason, a rejection's note) writes inside
  ``audit_context(reason=…)``; the reason is stored as ``additional_data["reason"]`` of every
  entry of the block, bulk ones included, and shown beside the change.

``audit_context`` is auditlog's ``set_extra_data`` with two differences: it keeps what the
enclosing context already says (the request's user and address), and on leaving it restores
that context, which auditlog's own context managers do not (a nested ``set_actor`` would leave
the rest of the request's changes without their user).

The trail cannot be changed from the portal: the admin shows it read-only, there is no screen
that writes it, and on PostgreSQL a trigger refuses UPDATE and DELETE on its table
(``fund/migrations/0004_auditlog_append_only.py``). Notifications are not audited: they are
messages derived from changes that are audited already, and reading one changes no record.
"""

import json
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from auditlog.admin import LogEntryAdmin
from auditlog.cid import get_cid
from auditlog.context import auditlog_disabled, auditlog_value, set_extra_data
from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import Q, QuerySet, prefetch_related_objects
from django.db.models.functions import Now
from django.http import HttpRequest
from django.utils import timezone
from django.utils.encoding import smart_str
from django.utils.translation import gettext_lazy as _

from riskcomp.admin_base import ReadOnlyAdminMixin
from riskcomp.labels import readable
from riskcomp.templatetags.portal import cny

# Every domain model, with the fields left out of its trail and why.
AUDITED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("banks.Bank", ()),
    ("banks.Branch", ()),
    ("banks.CooperationAgreement", ()),
    ("banks.SuspensionState", ()),
    ("banks.SuspensionChange", ()),
    # Who may act for a bank: granting and revoking an officer is a change to the bank's record.
    ("banks.BankUserObjectPermission", ()),
    ("loans.Enterprise", ("updated_at",)),  # the entry's own time says when
    ("loans.Qualification", ()),
    # The snapshot is written once with the filing and never changed; it stays on the filing.
    # Copying it into the trail would double what a quarter's import writes.
    ("loans.LoanFiling", ("snapshot",)),
    ("loans.ClassificationReport", ()),
    # The upload's rows and their preview are the file's content (kept with its SHA-256) and
    # what the rules made of it, not a change anyone makes; the progress percentage is a
    # display of the task's advance.
    ("loans.ImportBatch", ("result", "preview", "verdicts", "progress")),
    ("claims.*", ()),
    ("claims.Claim", ("updated_at",)),
    ("fund.PolicyVersion", ()),
    ("fund.LprRate", ()),
    ("fund.CalendarYear", ()),
    ("fund.CalendarDay", ()),
    ("fund.FundSize", ()),
    ("fund.LedgerEntry", ()),
    ("reports.ReportFile", ("progress",)),
    # A job's life is its states; its heartbeat and send times are the machinery's pulse.
    ("jobs.Job", ("heartbeat_at", "sent_at", "started_at")),
    # Who holds a key to the API and since when; its use is in the call log (api.ApiCall).
    ("api.ApiKey", ("last_used_at",)),
)

# Field names for models whose own fields carry none in Chinese (django-guardian's).
FIELD_LABELS: dict[str, dict[str, Any]] = {
    "banks.BankUserObjectPermission": {"user": _("用户"), "permission": _("授权"),
                                       "content_object": _("银行")},
    # The snapshot stays out of the trail; the one value of it that is ever changed afterwards,
    # the filing deadline once its year's holiday schedule is entered, is logged by itself.
    "loans.LoanFiling": {"snapshot": _("备案截止日（备案快照）")},
}
# Bookkeeping of a task that the screens leave out of a change (the export keeps it, as JSON):
# a report's attempt counter, start time and file hashes, which its own fields show in words.
SCREEN_HIDDEN: dict[str, frozenset[str]] = {"reports.ReportFile": frozenset({"parameters"})}
# Entries per INSERT when a bulk write is audited: the batch size of the bulk writes themselves.
BULK_BATCH = 1000
REASON_KEY = "reason"
ACTION_LABELS = {
    LogEntry.Action.CREATE: _("新建"),
    LogEntry.Action.UPDATE: _("修改"),
    LogEntry.Action.DELETE: _("删除"),
    LogEntry.Action.ACCESS: _("查看"),
}
# The display of one changed value is cut here (a JSON document or a long note).
DISPLAY_CHARS = 200


def audited_models() -> list[type[models.Model]]:
    """The registered domain models, in the order of ``AUDITED``."""
    seen: dict[type[models.Model], None] = {}
    for label, _excluded in AUDITED:
        app_label, name = label.split(".")
        if name == "*":
            seen.update(dict.fromkeys(apps.get_app_config(app_label).get_models()))
        else:
            seen[apps.get_model(app_label, name)] = None
    return list(seen)


def _excluded_fields() -> dict[type[models.Model], list[str]]:
    excluded: dict[type[models.Model], list[str]] = defaultdict(list)
    for label, fields in AUDITED:
        app_label, name = label.split(".")
        if name != "*":
            excluded[apps.get_model(app_label, name)].extend(fields)
    return excluded


class ReadOnlyLogEntryAdmin(ReadOnlyAdminMixin, LogEntryAdmin):
    """auditlog's admin, without its cascade-delete exception: nobody deletes the trail."""


def install() -> None:
    """Register every domain model with auditlog and make the admin read-only. Called from
    ``RiskcompConfig.ready()``; idempotent."""
    excluded = _excluded_fields()
    for model in audited_models():
        if not auditlog.contains(model):
            auditlog.register(model, exclude_fields=list(excluded.get(model, ())))
    if admin.site.is_registered(LogEntry):
        admin.site.unregister(LogEntry)
    admin.site.register(LogEntry, ReadOnlyLogEntryAdmin)


class AuditMiddleware(AuditlogMiddleware):
    """auditlog's middleware, with the client's address read the way our proxy sets it.

    auditlog takes the first address of ``X-Forwarded-For``, which the client can write
    itself. Behind ``RISKCOMP_PROXY_COUNT`` proxies that each append the address they
    received from, the client's is that many places from the end; with none, the header is
    ignored and the socket's address is the client's."""

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        if settings.AUDITLOG_DISABLE_REMOTE_ADDR:
            return None
        proxies = getattr(settings, "RISKCOMP_PROXY_COUNT", 0)
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")
                     if a.strip()]
        if proxies and len(forwarded) >= proxies:
            return _bare_address(forwarded[-proxies])
        return request.META.get("REMOTE_ADDR")

    def __call__(self, request: HttpRequest) -> Any:
        # auditlog leaves the request's user in the thread's context after the response; the
        # next task or command run by this thread must not write entries in that user's name.
        token = auditlog_value.set({})
        try:
            return super().__call__(request)
        finally:
            auditlog_value.reset(token)


def _bare_address(address: str) -> str:
    """``1.2.3.4:5678`` and ``[::1]:5678`` without the port."""
    if address.startswith("["):
        return address[1:].split("]")[0]
    if address.count(":") == 1:
        return address.split(":")[0]
    return address


# --- Who and why ----------------------------------------------------------------------------

def _current() -> dict[str, Any]:
    try:
        return auditlog_value.get()
    except LookupError:
        return {}


def _user(actor: Any) -> Any:
    """A user from a user or a user id (a task gets ids)."""
    if actor is None or isinstance(actor, models.Model):
        return actor
    return get_user_model().objects.filter(pk=actor).first()


@contextmanager
def audit_context(*, actor: Any = None, reason: str = "",
                  remote_addr: str | None = None) -> Iterator[None]:
    """Entries written inside the block carry ``actor`` (a user or a user id; the request's
    user when there is one), ``remote_addr`` and the ``reason`` of the change."""
    outer = _current()
    data = {k: v for k, v in outer.items() if k != "signal_duid"}
    if data.get("actor") is None and actor is not None:
        data["actor"] = _user(actor)
    if remote_addr and not data.get("remote_addr"):
        data["remote_addr"] = remote_addr
    reason = (reason or "").strip()
    if reason:
        data["additional_data"] = {**(data.get("additional_data") or {}), REASON_KEY: reason}
    token = auditlog_value.set(data)
    try:
        with set_extra_data(context_data=data):
            yield
    finally:
        auditlog_value.reset(token)


def _entry_context(actor: Any) -> dict[str, Any]:
    """The fields auditlog's signal receiver would have put on an entry written now."""
    ctx = _current()
    user = ctx.get("actor")
    if not isinstance(user, get_user_model()):
        user = _user(actor)
    return {
        "actor": user,
        "actor_email": getattr(user, "email", None) if user is not None else None,
        "remote_addr": ctx.get("remote_addr"),
        "remote_port": ctx.get("remote_port"),
        "cid": get_cid(),
        "additional_data": dict(ctx.get("additional_data") or {}) or None,
    }


def _is_disabled() -> bool:
    return bool(auditlog_disabled.get())


# --- Bulk writes ----------------------------------------------------------------------------

def _tracked_fields(model: type[models.Model]) -> list[models.Field]:
    """The concrete fields auditlog would diff for ``model`` (its include/exclude lists)."""
    spec = auditlog.get_model_fields(model)
    include, exclude = set(spec["include_fields"]), set(spec["exclude_fields"])
    return [f for f in model._meta.concrete_fields
            if (not include or f.name in include) and f.name not in exclude]


_SPECIAL_FIELDS = (models.DecimalField, models.DateTimeField, models.JSONField)


def _value_text(f: models.Field, value: Any) -> str:
    """A field's value as auditlog writes it in ``changes`` (``auditlog.diff.get_field_value``
    then ``smart_str``): datetimes naive in UTC, JSON with sorted keys, a relation by its key;
    amounts with their decimal places, as stored (a computed sum may have lost them)."""
    if value is None:
        return "None"
    if isinstance(f, models.DecimalField) and isinstance(value, Decimal):
        return str(value.quantize(Decimal(1).scaleb(-f.decimal_places)))
    if isinstance(f, models.DateTimeField):
        value = f.to_python(value)
        if settings.USE_TZ and timezone.is_aware(value):
            value = timezone.make_naive(value, timezone=UTC)
    elif isinstance(f, models.JSONField):
        try:
            return json.dumps(f.to_python(value), sort_keys=True, cls=f.encoder)
        except TypeError:
            return smart_str(value)
    return smart_str(value)


def audit_values(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, str]:
    """The tracked fields of ``obj`` as the trail writes them: take this before a bulk update
    changes them, and give it to ``audit_bulk_updated``."""
    wanted = set(fields) if fields is not None else None
    return {f.name: _value_text(f, getattr(obj, f.attname))
            for f in _tracked_fields(type(obj)) if wanted is None or f.name in wanted}


def _reason_of(reason: str | Callable[[Any], str], obj: models.Model) -> str:
    return (reason(obj) if callable(reason) else reason or "").strip()


# Entry fields written by the bulk path (attribute names); the rest take their defaults.
_ENTRY_FIELDS = ("content_type_id", "object_pk", "object_id", "object_repr", "action", "changes",
                 "changes_text", "actor_id", "actor_email", "remote_addr", "remote_port", "cid",
                 "additional_data", "timestamp")
# From this many entries on PostgreSQL, they go in through COPY (as the import's filings do).
COPY_FROM_ENTRIES = 200


# A text as a JSON string, quotes included: json's own escaping (in C), without dumps().
_quoted = json.encoder.encode_basestring_ascii


class _Json(str):
    """A ``changes`` document already written out as JSON text (the bulk-created path)."""


def _write(objs: Sequence[models.Model], action: int,
           changes: Iterable[dict[str, list[str]] | _Json], *, actor: Any,
           reason: str | Callable[[Any], str], related: Sequence[str]) -> int:
    """Write one entry per object: one statement per ``BULK_BATCH`` entries, or one COPY."""
    if related:
        prefetch_related_objects(list(objs), *related)  # for the representations, one query each
    content_type = ContentType.objects.get_for_model(type(objs[0]))
    base = _entry_context(actor)
    user = base.pop("actor")
    base["actor_id"] = user.pk if user is not None else None
    if connection.vendor == "postgresql" and len(objs) >= COPY_FROM_ENTRIES:
        _copy_entries(objs, action, changes, content_type.pk, base, reason)
        return len(objs)
    rows = []
    for obj, diff in zip(objs, changes, strict=True):
        extra = dict(base["additional_data"] or {})
        why = _reason_of(reason, obj)
        if why:
            extra[REASON_KEY] = why
        rows.append({**base, "content_type_id": content_type.pk, "object_pk": str(obj.pk),
                     "object_id": obj.pk if isinstance(obj.pk, int) else None,
                     "object_repr": smart_str(obj), "action": action,
                     "changes": json.loads(diff) if isinstance(diff, _Json) else diff,
                     "changes_text": "", "additional_data": extra or None})
    # The database's clock, as an expression. It also keeps PostgreSQL on the plain
    # multi-row INSERT: with literal values only, Django sends arrays to UNNEST, whose text
    # psycopg escapes character by character (several times slower for JSON documents).
    LogEntry.objects.bulk_create([LogEntry(timestamp=Now(), **row) for row in rows],
                                 batch_size=BULK_BATCH)
    return len(rows)


def _copy_entries(objs: Sequence[models.Model], action: int,
                  changes: Iterable[dict[str, list[str]] | _Json], content_type_id: int,
                  base: dict[str, Any], reason: str | Callable[[Any], str]) -> None:
    """A quarter's thousands of entries through PostgreSQL's COPY, written from tuples: the
    ORM's INSERT spends most of its time preparing every field of every entry in Python; the
    trigger that keeps the table append-only does not concern inserts. The context's part of
    the entry, and its extra data when the reason is the same for all, are written out once."""
    meta = LogEntry._meta
    now = timezone.now()
    column_of = {f.attname: f.column for f in meta.concrete_fields}
    columns = ", ".join(connection.ops.quote_name(column_of[a]) for a in _ENTRY_FIELDS)
    sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
    outer = base["additional_data"] or {}

    def extra_text(why: str) -> str | None:
        extra = {**outer, REASON_KEY: why} if why else outer
        return json.dumps(extra) if extra else None

    fixed_extra = None if callable(reason) else extra_text(_reason_of(reason, objs[0]))
    tail = (base["actor_id"], base["actor_email"], base["remote_addr"], base["remote_port"],
            base["cid"])
    with (connection.cursor() as cursor, connection.wrap_database_errors,
          cursor.cursor.copy(sql) as copy):
        write = copy.write_row
        for obj, diff in zip(objs, changes, strict=True):
            pk = obj.pk
            write((content_type_id, str(pk), pk if isinstance(pk, int) else None, smart_str(obj),
                   action, diff if isinstance(diff, _Json) else json.dumps(diff), "", *tail,
                   extra_text(_reason_of(reason, obj)) if callable(reason) else fixed_extra,
                   now))


def audit_bulk_created(objs: Iterable[models.Model], *, actor: Any = None,
                       reason: str | Callable[[Any], str] = "",
                       related: Sequence[str] = ()) -> int:
    """Log the creation of rows written with ``bulk_create`` (which sends no signal): one
    CREATE entry per row, every non-empty tracked field as ``None → value``. ``related``
    names the relations the rows' ``__str__`` reads, fetched once for all."""
    rows = [o for o in objs if o.pk is not None]
    if not rows or _is_disabled() or not auditlog.contains(type(rows[0])):
        return 0
    # Most values read as str() does; the few kinds that need more go through _value_text.
    # (An import logs tens of thousands of rows of thirty fields: this loop is most of it.)
    tracked = _tracked_fields(type(rows[0]))
    # Per field: the start of its part of the JSON document, the field when its values need
    # _value_text, and a memo of its parts by value: an amount, a day, a choice or the moment
    # of the write recurs on many rows and is written out once (equal Decimals quantize alike;
    # JSON values are not hashable, and 0.0 == -0.0 reads differently: those are not kept).
    plan: list[tuple[str, models.Field | None, dict[Any, tuple[type, str]] | None]] = [
        (_quoted(f.name) + ': ["None", ', f if isinstance(f, _SPECIAL_FIELDS) else None,
         None if isinstance(f, models.JSONField | models.FloatField) else {})
        for f in tracked]
    values_of = operator.attrgetter(*(f.attname for f in tracked))  # one C call per row

    def changes() -> Iterator[_Json]:
        # Written as the entries are sent: on PostgreSQL the database stores one entry while
        # the next is written out.
        for obj in rows:
            diff = []
            values = values_of(obj) if len(plan) > 1 else (values_of(obj),)
            for (head, special, memo), value in zip(plan, values, strict=True):
                if value is None:
                    continue
                # (type, part): 0 and Decimal("0.00") are equal keys but read differently
                kept = memo.get(value) if memo is not None else None
                if kept is not None and kept[0] is type(value):
                    diff.append(kept[1])
                    continue
                text = (_value_text(special, value) if special is not None
                        else value if type(value) is str else str(value))
                part = head + _quoted(text) + "]"
                if memo is not None:
                    memo[value] = (type(value), part)
                diff.append(part)
            yield _Json("{" + ", ".join(diff) + "}")

    return _write(rows, LogEntry.Action.CREATE, changes(), actor=actor, reason=reason,
                  related=related)


def audit_bulk_updated(objs: Iterable[models.Model], *, before: Mapping[Any, Mapping[str, str]],
                       actor: Any = None, reason: str | Callable[[Any], str] = "",
                       related: Sequence[str] = ()) -> int:
    """Log rows changed with ``bulk_update`` or ``QuerySet.update()``: ``before`` holds, by
    primary key, ``audit_values`` taken before the change; rows where nothing differs are
    not logged."""
    if _is_disabled():
        return 0
    rows, changes = [], []
    for obj in objs:
        old = before.get(obj.pk)
        if old is None or not auditlog.contains(type(obj)):
            continue
        new = audit_values(obj, old)
        diff = {name: [old[name], new[name]] for name in old
                if name in new and old[name] != new[name]}
        if diff:
            rows.append(obj)
            changes.append(diff)
    if not rows:
        return 0
    return _write(rows, LogEntry.Action.UPDATE, changes, actor=actor, reason=reason,
                  related=related)


def audit_updated(obj: models.Model, *, actor: Any = None, reason: str = "",
                  **values: Any) -> int:
    """Log one ``QuerySet.update(**values)`` of ``obj``'s row; ``obj`` holds the values before
    the update (it is not changed)."""
    model = type(obj)
    if _is_disabled() or not auditlog.contains(model):
        return 0
    diff = {}
    for f in _tracked_fields(model):
        if f.name in values:
            old, new = (_value_text(f, getattr(obj, f.attname)), _value_text(f, values[f.name]))
            if old != new:
                diff[f.name] = [old, new]
    if not diff:
        return 0
    return _write([obj], LogEntry.Action.UPDATE, [diff], actor=actor, reason=reason, related=())


def audit_changed(objs: Sequence[models.Model], changes: Sequence[Mapping[str, tuple[str, str]]],
                  *, actor: Any = None, reason: str = "") -> int:
    """Log changes the trail cannot diff by itself (a value inside a field left out of it):
    one UPDATE entry per object with its ``changes`` (field name → (old, new) text)."""
    if not objs or _is_disabled() or not auditlog.contains(type(objs[0])):
        return 0
    return _write(objs, LogEntry.Action.UPDATE,
                  [{name: [old, new] for name, (old, new) in c.items()} for c in changes],
                  actor=actor, reason=reason, related=())


# --- Reading the trail ----------------------------------------------------------------------

@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class TrailRow:
    """One entry as the screens show it: Chinese field names, choice labels, related records by
    name, times in Beijing time."""

    entry: LogEntry
    model_label: str
    action_label: str
    changes: list[Change] = field(default_factory=list)
    reason: str = ""

    @property
    def actor_name(self) -> str:
        actor = self.entry.actor
        return user_display(actor) if actor is not None else str(_("系统"))

    @property
    def object_text(self) -> str:
        """The record's name with any code in it read in Chinese (工商银行经开区支行 小微)."""
        return readable(self.entry.object_repr)

    @property
    def changes_text(self) -> str:
        return _("；").join(_("%(label)s：%(old)s → %(new)s")
                            % {"label": c.label, "old": c.old, "new": c.new}
                            for c in self.changes)


def user_display(user: Any) -> str:
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    if not full:
        return user.get_username()
    return _("%(name)s（%(detail)s）") % {"name": full, "detail": user.get_username()}


def _cut(text: str) -> str:
    return text if len(text) <= DISPLAY_CHARS else text[:DISPLAY_CHARS] + "…"


def _model_field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        f = model._meta.get_field(name)
    except Exception:  # a field since removed, or a reverse relation auditlog listed
        return None
    return f if isinstance(f, models.Field) and f.concrete else None


def _related_keys(model: type[models.Model] | None, changes: dict[str, Any]
                  ) -> Iterator[tuple[type[models.Model], Any]]:
    for name, values in changes.items():
        f = _model_field(model, name)
        if f is None or not f.is_relation or f.related_model is None:
            continue
        for raw in values:
            if raw not in (None, "None", ""):
                try:
                    yield f.related_model, f.related_model._meta.pk.to_python(raw)
                except Exception:  # noqa: S112 - a legacy value shows as stored
                    continue


def _names_of(keys: Iterable[tuple[type[models.Model], Any]]) -> dict[tuple[Any, str], str]:
    """The names of the related records the entries mention: one query per related model."""
    by_model: dict[type[models.Model], set[Any]] = defaultdict(set)
    for model, pk in keys:
        by_model[model].add(pk)
    names: dict[tuple[Any, str], str] = {}
    for model, pks in by_model.items():
        qs = model._default_manager.all()
        if model is not get_user_model():
            qs = qs.select_related()  # their __str__ reads their own required relations
        for pk, obj in qs.in_bulk(list(pks)).items():
            names[(model, str(pk))] = user_display(obj) if model is get_user_model() \
                else smart_str(obj)
    return names


def _display(f: models.Field | None, raw: Any, names: dict[tuple[Any, str], str]
             ) -> str:
    if raw is None or raw in ("None", ""):
        return "—"
    text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)
    if f is None:
        return _cut(text)
    if f.is_relation and f.related_model is not None:
        return names.get((f.related_model, text), f"#{text}")
    if f.choices:
        labels = {str(k): str(v) for k, v in f.flatchoices}
        return labels.get(text, text)
    if isinstance(f, models.DecimalField):
        # auditlog writes an amount as the object held it (3.00 or 3.0000): the same figure.
        try:
            figure = Decimal(text).quantize(Decimal(1).scaleb(-f.decimal_places))
        except ArithmeticError:
            return text
        # Money is every two-place decimal (ratios and rates keep four): ¥1,234,567.89.
        return cny(figure) if f.decimal_places == 2 else str(figure)
    if isinstance(f, models.BooleanField):
        return str({"True": _("是"), "False": _("否")}.get(text, text))
    if isinstance(f, models.DateTimeField):
        try:
            moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
        except ValueError:
            return text
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(f, models.JSONField):
        # JSON belongs in the export; the screen reads the values by their labels.
        with suppress(ValueError, TypeError):
            return _cut(_json_text(json.loads(text) if isinstance(raw, str) else raw))
    return _cut(readable(text))


def _code_labels() -> dict[str, str]:
    from riskcomp.choices import EnterpriseKind, EnterpriseSize, LoanType, ReasonCode

    return {str(k): str(v) for choices in (EnterpriseKind, EnterpriseSize, LoanType, ReasonCode)
            for k, v in choices.choices}


def _json_text(value: Any, labels: dict[str, str] | None = None) -> str:
    """A JSON value as words: lists joined with 、, objects as 名称：值, codes by their labels."""
    labels = labels if labels is not None else _code_labels()
    if isinstance(value, list):
        return str(_("、")).join(_json_text(v, labels) for v in value) or "—"
    if isinstance(value, dict):
        return str(_("；")).join(f"{labels.get(str(k), readable(k))}{_('：')}"
                                f"{_json_text(v, labels)}" for k, v in value.items()) or "—"
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if value is None:
        return "—"
    return labels.get(str(value), readable(value))


def trail_rows(entries: Iterable[LogEntry]) -> list[TrailRow]:
    """Entries (with ``actor`` and ``content_type`` selected) made readable; the related records
    named in them are read in one query per related model."""
    entries = list(entries)
    models_of = {e.pk: e.content_type.model_class() for e in entries}
    changes_of = {e.pk: e.changes_dict or {} for e in entries}
    names = _names_of(key for e in entries
                      for key in _related_keys(models_of[e.pk], changes_of[e.pk]))
    rows = []
    for e in entries:
        model = models_of[e.pk]
        row = TrailRow(
            entry=e,
            model_label=str(model._meta.verbose_name) if model else e.content_type.model,
            action_label=str(ACTION_LABELS.get(e.action, e.action)),
            reason=str((e.additional_data or {}).get(REASON_KEY, "")
                       if isinstance(e.additional_data, dict) else ""),
        )
        for name, values in changes_of[e.pk].items():
            f = _model_field(model, name)
            if model is not None and (f is None or f.primary_key):
                continue  # reverse relations auditlog lists, and the record's own number
            if not isinstance(values, list | tuple) or len(values) != 2:
                continue  # many-to-many entries: none of the audited models has one
            if model is not None and name in SCREEN_HIDDEN.get(model._meta.label, ()):
                continue
            label = str(FIELD_LABELS.get(model._meta.label if model else "", {}).get(
                name, f.verbose_name if f is not None else name))
            old, new = _display(f, values[0], names), _display(f, values[1], names)
            if old != new:  # auditlog lists an empty relation of a new record as None → None
                row.changes.append(Change(label, old, new))
        rows.append(row)
    return rows


def trail_queryset() -> QuerySet[LogEntry]:
    return LogEntry.objects.select_related("actor", "content_type")


def audit_entries_for(obj: models.Model, related: Iterable[QuerySet[Any]] = (),
                      limit: int = 50) -> tuple[list[TrailRow], int]:
    """The trail of ``obj`` and of the records in ``related`` (querysets of records that belong
    to it: a claim's documents, a bank's agreements), newest first, at most ``limit``; and how
    many there are in all. Two queries plus one per related model named in the changes."""
    cond = Q(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)
    for qs in related:
        cond |= Q(content_type=ContentType.objects.get_for_model(qs.model),
                  object_id__in=qs.order_by().values("pk"))
    qs = trail_queryset().filter(cond).order_by("-timestamp", "-pk")
    entries = list(qs[:limit])
    total = len(entries) if len(entries) < limit else qs.count()
    return trail_rows(entries), total
