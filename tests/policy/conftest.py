import importlib

import pytest
from django.utils import timezone

from customers.models import Customer
from policy.models import PolicyVersion

# Version 1's text and the example profile, as the seed migration froze them.
SEED = importlib.import_module("policy.migrations.0002_seed_policy")


@pytest.fixture(autouse=True)
def no_second_factor(settings):
    """Admin tests sign in with force_login; the second factor is the access app's test."""
    settings.SHOPGUARD_REQUIRE_2FA = False


@pytest.fixture
def version1(db):
    return PolicyVersion.objects.get(number=1)


def edited_articles(articles, number, **changes):
    """A copy of ``articles`` with article ``number`` changed."""
    return [{**a, **changes} if a["number"] == number else dict(a) for a in articles]


def publish(articles, *, material=False, effective=None, summary="変更", user=None):
    """Publish a new version directly through the model (for page tests)."""
    draft = PolicyVersion.objects.create(
        articles=articles,
        material_change=material,
        change_summary_ja=summary,
        change_summary_en="Changed",
    )
    draft.publish(user, effective or timezone.localdate())
    return draft


@pytest.fixture
def version2(version1):
    """Version 2: article 3 gains a purpose, in both languages; a material change."""
    articles = edited_articles(
        version1.articles,
        3,
        body_ja=version1.articles[2]["body_ja"].replace(
            "(4) お問い合わせへのご回答", "(4) お問い合わせへのご回答\n(5) アンケートのお願い"
        ),
        body_en=version1.articles[2]["body_en"].replace(
            "(4) answering your questions.",
            "(4) answering your questions;\n(5) asking for surveys.",
        ),
    )
    return publish(articles, material=True, summary="第3条に利用目的を追加しました。")


@pytest.fixture
def customers(db):
    return [
        Customer.objects.create(name=f"テスト {i}", email=f"c{i}@example.com") for i in range(3)
    ]
