"""Seed the shop profile with clearly fake example values and publish version 1,
effective from the day ShopGuard is installed."""

from django.db import migrations
from django.utils import timezone

from policy.content import canonical_articles, content_hash
from policy.default_text import ARTICLES, EXAMPLE_PROFILE


def seed(apps, schema_editor):
    ShopProfile = apps.get_model("policy", "ShopProfile")
    PolicyVersion = apps.get_model("policy", "PolicyVersion")
    if not ShopProfile.objects.exists():
        ShopProfile.objects.create(pk=1, **EXAMPLE_PROFILE)
    if not PolicyVersion.objects.exists():
        articles = canonical_articles(ARTICLES)
        PolicyVersion.objects.create(
            number=1,
            status="published",
            effective_date=timezone.localdate(),
            change_summary_ja="",
            change_summary_en="",
            material_change=False,
            articles=articles,
            content_hash=content_hash(articles),
            published_at=timezone.now(),
        )


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
