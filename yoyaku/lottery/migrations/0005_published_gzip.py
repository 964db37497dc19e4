import gzip
import json

from django.db import migrations, models


def compress(apps, schema_editor):
    """Rounds drawn before keep their published document, now compressed."""
    LotteryRound = apps.get_model("lottery", "LotteryRound")
    for lottery in LotteryRound.objects.exclude(published=None).only("pk", "published"):
        text = json.dumps(lottery.published, ensure_ascii=False, separators=(",", ":"))
        lottery.published_gzip = gzip.compress(text.encode(), compresslevel=1, mtime=0)
        lottery.save(update_fields=["published_gzip"])


def decompress(apps, schema_editor):
    LotteryRound = apps.get_model("lottery", "LotteryRound")
    for lottery in LotteryRound.objects.exclude(published_gzip=None).only("pk", "published_gzip"):
        lottery.published = json.loads(gzip.decompress(lottery.published_gzip))
        lottery.save(update_fields=["published"])


def external_storage(apps, schema_editor):
    """Already compressed: PostgreSQL need not try to compress it again (stored out of line)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE lottery_lotteryround ALTER COLUMN published_gzip SET STORAGE EXTERNAL"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("lottery", "0004_alter_lotteryround_status"),
    ]

    operations = [
        migrations.AddField(
            model_name="lotteryround",
            name="published_gzip",
            field=models.BinaryField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(compress, decompress),
        migrations.RemoveField(model_name="lotteryround", name="published"),
        migrations.RunPython(external_storage, migrations.RunPython.noop),
    ]

