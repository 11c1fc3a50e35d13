from django.db import migrations, models


def move_preview(apps, schema_editor):
    """Earlier batches kept their preview inside ``result``; it moves to its own column."""
    ImportBatch = apps.get_model("loans", "ImportBatch")
    for batch in ImportBatch.objects.only("pk", "result").iterator(chunk_size=50):
        result = dict(batch.result or {})
        if "preview" not in result and "validated_on" not in result:
            continue
        preview = result.pop("preview", [])
        result.pop("validated_on", None)
        ImportBatch.objects.filter(pk=batch.pk).update(preview=preview, result=result)


def restore_preview(apps, schema_editor):
    ImportBatch = apps.get_model("loans", "ImportBatch")
    for batch in ImportBatch.objects.only("pk", "result", "preview").iterator(chunk_size=50):
        if batch.preview:
            ImportBatch.objects.filter(pk=batch.pk).update(
                result={**(batch.result or {}), "preview": batch.preview})


class Migration(migrations.Migration):

    dependencies = [
        ("loans", "0004_search_trigram_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="importbatch",
            name="preview",
            field=models.JSONField(blank=True, default=list, verbose_name="校验预览"),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="verdicts",
            field=models.JSONField(blank=True, null=True, verbose_name="校验判定"),
        ),
        migrations.AlterField(
            model_name="importbatch",
            name="result",
            field=models.JSONField(blank=True, default=dict, verbose_name="上传内容"),
        ),
        migrations.RunPython(move_preview, restore_preview),
    ]
