"""``python manage.py grant_app_role ROLE``: give the PostgreSQL role the application connects as
what it needs and no more, run as the role that owns the tables (the one ``migrate`` runs as).

The role may read and write every table of the schema, except the history (the ledger, the audit
trail and the security trail): those it may only read and append to. Without ownership it can
neither disable their triggers nor truncate them, so not even the application's own connection
can rewrite the fund's history. The command is idempotent; run it again after every ``migrate``
(new tables) and after a restore (``pg_restore --no-privileges`` drops the grants)."""

from typing import Any

from auditlog.models import LogEntry
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounts.models import SecurityEvent
from fund.models import LedgerEntry

HISTORY_MODELS = (LedgerEntry, LogEntry, SecurityEvent)


def history_tables() -> tuple[str, ...]:
    return tuple(m._meta.db_table for m in HISTORY_MODELS)


def _refusal(cursor: Any, role: str) -> str | None:
    """Why ``role`` cannot be the application's role, if it cannot."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
    row = cursor.fetchone()
    if row is None:
        return _("角色 %(role)s 不存在，请先创建（CREATE ROLE … LOGIN PASSWORD …）。") \
            % {"role": role}
    if row[0]:
        return _("角色 %(role)s 是超级用户，可停用任何触发器，不能作为应用连接角色。") \
            % {"role": role}
    # Ownership, or membership in an owner's role, would let it ALTER, TRUNCATE or DROP.
    cursor.execute(
        "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = current_schema() "
        "AND pg_has_role(%s, tableowner, 'USAGE')", [role])
    owners = [r[0] for r in cursor.fetchall()]
    if owners:
        return _("角色 %(role)s 拥有数据表或具有表所有者（%(owners)s）的权限："
                 "迁移以所有者身份执行，应用须以另一角色连接。") \
            % {"role": role, "owners": "、".join(owners)}
    return None


class Command(BaseCommand):
    help = ("Grant a PostgreSQL role read and write on the application's tables, and only read "
            "and insert on the ledger, audit trail and security trail.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("role", help="the role the application connects as (not the owner)")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(_("grant_app_role 仅适用于 PostgreSQL。"))
        role: str = options["role"]
        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            reason = _refusal(cursor, role)
            if reason:
                raise CommandError(reason)
            cursor.execute("SELECT current_database(), current_schema()")
            database, schema = cursor.fetchone()
            who, where = quote(role), quote(schema)
            history = ", ".join(quote(t) for t in history_tables())
            for sql in (
                f"GRANT CONNECT ON DATABASE {quote(database)} TO {who}",
                f"GRANT USAGE ON SCHEMA {where} TO {who}",
                f"REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {who}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {where} TO {who}",
                f"REVOKE UPDATE, DELETE ON {history} FROM {who}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}",
            ):
                cursor.execute(sql)
            cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s", [schema])
            (tables,) = cursor.fetchone()
        self.stdout.write(_("%(role)s：%(n)s张表可读写；%(k)s张历史表（%(history)s）只可查询和追加。")
                          % {"role": role, "n": tables - len(HISTORY_MODELS),
                             "k": len(HISTORY_MODELS), "history": "、".join(history_tables())})
