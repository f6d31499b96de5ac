"""One word per thing in each language (issue #24): the purchase list's category column
is Japanese on Japanese pages, categories are English on English pages, and export and
incident pages print dates in the page's language.

On main before this change the column read 「Category」, the export form's categories
stayed Japanese in English, and both pages printed 「2026年12月7日」 in English.
"""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from customers.models import Category
from exports.forms import category_choices
from tests.customers.vault import make_customer, make_purchase
from tests.exports.helpers import latest, new_request
from tests.incidents.helpers import make_incident
from tests.signing import signed_in

pytestmark = pytest.mark.usefixtures("test_reads")

MOMENT = datetime.datetime(2026, 12, 7, 1, 30, tzinfo=datetime.UTC)  # 10:30 in Tokyo


def test_the_purchase_list_names_its_category_column_in_the_pages_language(client, people):
    make_purchase(make_customer())
    signed_in(client, people.alice)
    japanese = client.get("/admin/customers/purchase/").content.decode()
    english = client.get("/admin/customers/purchase/", HTTP_ACCEPT_LANGUAGE="en")

    assert "カテゴリ" in japanese and "Category" not in japanese
    assert "Category" in english.content.decode()


def test_the_export_forms_categories_are_named_in_the_pages_language(db):
    adult = Category.objects.filter(sensitive=True).first()
    assert adult is not None  # the shipped categories include sensitive ones

    with translation.override("en"):
        english = dict(category_choices())
    with translation.override("ja"):
        japanese = dict(category_choices())

    assert english[adult.code] == f"{adult.name_en} (Sensitive)"
    assert japanese[adult.code] == f"{adult.name_ja}（要配慮）"


def test_export_pages_print_dates_in_the_pages_language(client, people):
    make_customer()
    new_request(signed_in(client, people.alice, reauthenticated=True))
    export = latest()
    type(export).objects.filter(pk=export.pk).update(requested_at=MOMENT)

    english = client.get("/admin/exports/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    japanese = client.get("/admin/exports/").content.decode()

    assert "7 Dec 2026, 10:30" in english and "2026年12月7日" not in english
    assert "2026年12月7日 10:30" in japanese


def test_incident_pages_print_dates_in_the_pages_language(client, people):
    incident = make_incident(discovered_at=MOMENT)
    signed_in(client, people.alice)
    page = f"/admin/incidents/incident/{incident.pk}/change/"

    english = client.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "2026年" not in english and "Dec 2026" in english


def test_no_template_prints_a_date_in_a_fixed_japanese_format():
    fixed = [
        str(path)
        for path in Path(settings.BASE_DIR, "templates").rglob("*.html")
        if 'date:"Y年' in path.read_text(encoding="utf-8")
    ]
    assert fixed == []
