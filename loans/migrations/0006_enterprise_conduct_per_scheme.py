"""Each scheme's own conduct attestation (MICRO Art. 5(2); TECH Art. 2, 6(2)) in place of the one
flag that decided both. An enterprise's former single answer becomes its answer for both schemes.

Filing imports keep their uploaded rows in the template's column order; the template's single
conduct column became two (micro, then tech), so stored rows get the old cell in both, and the
rejected-rows workbook of an earlier import still matches the template."""

from django.db import migrations, models
from django.db.models import F

# The filing template before this migration: 32 columns, the conduct answer the 6th; a stored
# row is [row number, cell, ...].
OLD_ROW_LENGTH = 1 + 32
CONDUCT = 1 + 5


def split_conduct(apps, schema_editor):
    Enterprise = apps.get_model("loans", "Enterprise")
    Enterprise.objects.update(is_micro_conduct_ok=F("is_conduct_ok"),
                              is_tech_conduct_ok=F("is_conduct_ok"))
    ImportBatch = apps.get_model("loans", "ImportBatch")
    for batch in ImportBatch.objects.filter(kind="filings").only("pk", "result").iterator():
        rows = (batch.result or {}).get("rows") if isinstance(batch.result, dict) else None
        if not rows:
            continue
        batch.result["rows"] = [
            [*row[:CONDUCT + 1], row[CONDUCT], *row[CONDUCT + 1:]]
            if len(row) == OLD_ROW_LENGTH else row
            for row in rows
        ]
        batch.save(update_fields=["result"])


def join_conduct(apps, schema_editor):
    # Back to one flag: it held only when both schemes' conditions were attested.
    Enterprise = apps.get_model("loans", "Enterprise")
    Enterprise.objects.update(is_conduct_ok=False)
    Enterprise.objects.filter(is_micro_conduct_ok=True, is_tech_conduct_ok=True).update(
        is_conduct_ok=True)
    ImportBatch = apps.get_model("loans", "ImportBatch")
    for batch in ImportBatch.objects.filter(kind="filings").only("pk", "result").iterator():
        rows = (batch.result or {}).get("rows") if isinstance(batch.result, dict) else None
        if not rows:
            continue
        batch.result["rows"] = [
            [*row[:CONDUCT + 1], *row[CONDUCT + 2:]] if len(row) == OLD_ROW_LENGTH + 1 else row
            for row in rows
        ]
        batch.save(update_fields=["result"])


class Migration(migrations.Migration):

    dependencies = [
        ("loans", "0005_import_preview_column"),
    ]

    operations = [
        migrations.AddField(
            model_name="enterprise",
            name="is_micro_conduct_ok",
            field=models.BooleanField(default=False, help_text="企业及其实际控制人、个体工商户经营者在放款时无近三年重大行政处罚公示信息和刑事犯罪记录，未列入严重违法失信主体名单（小微办法第五条第二项）。", verbose_name="符合小微政策信用合规条件"),
        ),
        migrations.AddField(
            model_name="enterprise",
            name="is_tech_conduct_ok",
            field=models.BooleanField(default=False, help_text="企业未被列入经营异常名录或失信主体名单，近三年未发生重大安全（含网络安全、数据安全）、质量、环境污染事故以及偷税漏税违法违规行为（科创方案第二条、第六条第二项）。", verbose_name="符合科创政策信用合规条件"),
        ),
        migrations.RunPython(split_conduct, join_conduct),
        migrations.RemoveField(
            model_name="enterprise",
            name="is_conduct_ok",
        ),
    ]
