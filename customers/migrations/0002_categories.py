from django.db import migrations

# (code, Japanese name, English name, sensitive)
CATEGORIES = [
    ("medicine", "医薬品", "Medicine", True),
    ("hair-growth", "育毛・発毛", "Hair-growth products", True),
    ("diet", "ダイエットサプリメント", "Diet supplements", True),
    ("courses", "語学・資格講座", "Language and certification courses", True),
    ("adult", "アダルトグッズ", "Adult goods", True),
    ("food", "食品", "Food", False),
    ("daily", "日用品", "Daily goods", False),
]


def seed(apps, schema_editor):
    Category = apps.get_model("customers", "Category")
    for code, name_ja, name_en, sensitive in CATEGORIES:
        Category.objects.update_or_create(
            code=code, defaults={"name_ja": name_ja, "name_en": name_en, "sensitive": sensitive}
        )


def unseed(apps, schema_editor):
    apps.get_model("customers", "Category").objects.filter(
        code__in=[c[0] for c in CATEGORIES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
