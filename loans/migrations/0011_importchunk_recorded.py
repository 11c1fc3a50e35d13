"""The verdicts a validation records for the commit are packed as the rows are (``recorded``),
with the accepted rows' requests. A batch validated before this migration has none recorded: its
commit cleans and judges its rows again, as it does whenever they may have changed."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("loans", "0010_filing_qualification_types"),
    ]

    operations = [
        migrations.RemoveField(model_name="importchunk", name="verdicts"),
        migrations.AddField(
            model_name="importchunk",
            name="recorded",
            field=models.BinaryField(blank=True, null=True, verbose_name="校验判定"),
        ),
    ]
