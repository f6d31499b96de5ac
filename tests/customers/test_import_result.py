"""The import's result page: counts per outcome, links to what it created, and "nothing
changed" for the same file again."""

from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEntry
from customers.models import Customer
from tests.customers.import_samples import TWO_CUSTOMERS

URL = "/admin/customers/import/"


def upload(client, text):
    csv_file = SimpleUploadedFile("customers_export.csv", text.encode(), "text/csv")
    return client.post(URL, {"file": csv_file, "format": "shopify"}, follow=True)


def test_the_result_counts_each_outcome_and_links_the_created_customers(client, people):
    client.force_login(people.bob)
    page = upload(client, TWO_CUSTOMERS).content.decode()
    assert 'id="import-created">2<' in page and 'id="import-unchanged">0<' in page
    for customer in Customer.objects.all():
        assert f'href="/admin/customers/customer/{customer.pk}/"' in page
    assert 'id="import-nothing-changed"' not in page
    # Shown once: the page read again is the plain form.
    assert 'id="import-result"' not in client.get(URL).content.decode()


def test_the_same_file_again_says_nothing_changed(client, people):
    client.force_login(people.bob)
    upload(client, TWO_CUSTOMERS)
    before = {c.pk: c.updated_at for c in Customer.objects.all()}
    page = upload(client, TWO_CUSTOMERS).content.decode()
    assert 'id="import-nothing-changed"' in page
    assert 'id="import-created">0<' in page and 'id="import-updated">0<' in page
    assert 'id="import-unchanged">2<' in page
    assert {c.pk: c.updated_at for c in Customer.objects.all()} == before
    entry = AuditEntry.objects.filter(action="customer.import").order_by("-seq").first()
    assert (entry.detail["created"], entry.detail["updated"], entry.detail["unchanged"]) == (
        0,
        0,
        2,
    )
