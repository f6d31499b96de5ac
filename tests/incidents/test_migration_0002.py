"""incidents 0002 adds the publish step: a notice page that was public before it (a slug
and a text saved) stays public, without the internal title it used to show; one that was
not stays unpublished."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from incidents.models import Incident

# A migration round trip: seconds each.
pytestmark = pytest.mark.slow

BEFORE = ("incidents", "0001_initial")
AFTER = ("incidents", "0002_public_notice_publish_step")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def old_incident(apps, **values):
    return (
        apps.get_model("incidents", "Incident")
        .objects.create(
            title="倉庫PCの持ち出し疑い（社内）",
            discovered_at=timezone.now(),
            cause="insider",
            what_happened="社内のメモ",
            **values,
        )
        .pk
    )


@pytest.mark.django_db(transaction=True)
def test_0002_keeps_public_pages_public_without_the_internal_title(client):
    old_apps = migrate(BEFORE)
    try:
        public = old_incident(
            old_apps, public_slug="old-notice", public_text="お知らせ本文", public_contact="窓口"
        )
        slug_only = old_incident(old_apps, public_slug="draft-notice")

        migrate(AFTER)

        kept = Incident.objects.get(pk=public)
        assert kept.published_at and kept.published_by is None
        assert kept.published_notice == {
            "title": "",
            "text": "お知らせ本文",
            "contact": "窓口",
            "shop": "",
        }
        assert Incident.objects.get(pk=slug_only).published_at is None
        page = client.get("/notice/old-notice/").content.decode()
        assert "お知らせ本文" in page and "倉庫PC" not in page
        assert "個人情報の漏えい等についてのお知らせ" in page
        assert client.get("/notice/draft-notice/").status_code == 404
    finally:
        MigrationExecutor(connection).loader.build_graph()
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
