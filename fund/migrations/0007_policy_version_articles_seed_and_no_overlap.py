"""The articles of the two documents of 2025, so that refusals cite them from the version (a
successor records its own), and a trigger that refuses two versions of one scheme valid on the
same day: today's date would otherwise pick one of them silently."""

from django.db import migrations

ARTICLES = {
    "京技管发〔2025〕12号": {
        "NO_AGREEMENT": "第二条",
        "OUTSIDE_VALIDITY": "第二十八条",
        "NOT_IN_BDA": "第四条、第五条第（一）项",
        "BORROWER_KIND": "第二条、第五条第（一）项",
        "BORROWER_SIZE": "第二条、第五条第（一）项",
        "CONDUCT": "第五条第（二）项",
        "LOAN_TYPE": "第六条第（三）项",
        "OTHER_COVER": "第六条第（三）项",
        "AMOUNT_CAP": "第六条第（四）项",
        "OUTSTANDING_CAP": "第六条第（四）项",
        "CREDIT_REPORT_DATE": "第六条第（四）项",
        "RATE_CAP": "第六条第（五）项",
        "FILING_LATE": "第十二条",
        "NPL_BEFORE_FILING": "第六条第（二）项",
        "NOT_NPL": "第六条、第十三条",
        "CLAIM_LATE": "第十三条",
        "BANK_SUSPENDED": "第八条",
    },
    "京技管发〔2025〕13号": {
        "NO_AGREEMENT": "第三条",
        "OUTSIDE_VALIDITY": "第二十七条",
        "NOT_IN_BDA": "第五条、第六条第（一）项",
        "BORROWER_KIND": "第二条",
        "BORROWER_SIZE": "第二条",
        "CONDUCT": "第二条、第六条第（二）项",
        "TECH_SCOPE": "第二条、第十二条第（三）项",
        "LOAN_TYPE": "第七条第（一）项",
        "RISK_SHARE": "第七条第（一）项",
        "AMOUNT_CAP": "第七条第（二）项",
        "OUTSTANDING_CAP": "第七条第（二）项",
        "CREDIT_REPORT_DATE": "第七条第（二）项",
        "RATE_CAP": "第七条第（五）项",
        "FILING_LATE": "第十三条",
        "NPL_BEFORE_FILING": "第七条第（四）项",
        "NOT_NPL": "第七条、第十四条",
        "CLAIM_LATE": "第十四条",
        "BANK_SUSPENDED": "第九条、第十七条",
    },
}

PG_CREATE = """
CREATE OR REPLACE FUNCTION fund_policy_version_no_overlap() RETURNS trigger AS $$
BEGIN
  -- Versions are written rarely: serialise the writers so two overlapping inserts cannot both
  -- pass the check.
  LOCK TABLE fund_policyversion IN SHARE ROW EXCLUSIVE MODE;
  IF EXISTS (SELECT 1 FROM fund_policyversion o
             WHERE o.scheme = NEW.scheme AND o.id <> NEW.id
               AND o.valid_from <= NEW.valid_to AND NEW.valid_from <= o.valid_to) THEN
    RAISE EXCEPTION 'policy versions of scheme % overlap', NEW.scheme
      USING ERRCODE = 'exclusion_violation';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER fund_policy_version_no_overlap BEFORE INSERT OR UPDATE ON fund_policyversion
  FOR EACH ROW EXECUTE FUNCTION fund_policy_version_no_overlap();
"""
PG_DROP = """
DROP TRIGGER IF EXISTS fund_policy_version_no_overlap ON fund_policyversion;
DROP FUNCTION IF EXISTS fund_policy_version_no_overlap();
"""
_SQLITE_CHECK = """
CREATE TRIGGER fund_policy_version_no_overlap_{event} BEFORE {event} ON fund_policyversion
WHEN EXISTS (SELECT 1 FROM fund_policyversion o
             WHERE o.scheme = NEW.scheme AND o.id <> {new_id}
               AND o.valid_from <= NEW.valid_to AND NEW.valid_from <= o.valid_to)
BEGIN
  SELECT RAISE(ABORT, 'policy versions of one scheme overlap');
END;
"""
# On INSERT the new row's id may still be NULL; on UPDATE the row must not clash with itself.
SQLITE_CREATE = (_SQLITE_CHECK.format(event="INSERT", new_id="COALESCE(NEW.id, -1)"),
                 _SQLITE_CHECK.format(event="UPDATE", new_id="NEW.id"))
SQLITE_DROP = ("DROP TRIGGER IF EXISTS fund_policy_version_no_overlap_INSERT",
               "DROP TRIGGER IF EXISTS fund_policy_version_no_overlap_UPDATE")


def seed_articles(apps, schema_editor):  # type: ignore[no-untyped-def]
    PolicyVersion = apps.get_model("fund", "PolicyVersion")
    for number, articles in ARTICLES.items():
        PolicyVersion.objects.filter(version=number, articles={}).update(articles=articles)


def unseed_articles(apps, schema_editor):  # type: ignore[no-untyped-def]
    PolicyVersion = apps.get_model("fund", "PolicyVersion")
    PolicyVersion.objects.filter(version__in=list(ARTICLES)).update(articles={})


def create_trigger(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_CREATE, params=None)  # the RAISE format has a bare %
    elif vendor == "sqlite":
        for sql in SQLITE_CREATE:
            schema_editor.execute(sql)


def drop_trigger(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP)
    elif vendor == "sqlite":
        for sql in SQLITE_DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("fund", "0006_policy_version_articles_and_bounds")]
    operations = [
        migrations.RunPython(seed_articles, unseed_articles),
        migrations.RunPython(create_trigger, drop_trigger),
    ]
