"""Every URL of the project, as every audience, with GET and POST: no response may decrypt
a personal value that no ledger entry of that same request covers.

The walk reuses the access matrix's machinery (routes from the resolver, sample objects,
signed-in clients). A watcher on the decryption hook (``vault.reads.watch``) collects
each decrypted row and its customer; the request's ledger entries must name that customer
or that row. Decryptions that never reach a person (re-sealing on save, checking a reveal
reason, matching search candidates: ``INTERNAL_READS``) are not reads.
"""

import copy

import pytest
from django.db import transaction

from tests.factories import entries_after, ledger_mark
from tests.shopguard import access_table as table
from tests.shopguard.test_access_matrix import (
    Context,
    all_routes,
    concrete_path,
    expected_for,
    signed_in_clients,
)
from vault import reads


def decrypted_during(client, method, path):
    """(rows decrypted for a person, ledger entries written) by one rolled-back request."""
    seen = []

    def watcher(instance, field, scope):
        if scope is not None and scope.reason in reads.INTERNAL_READS:
            return
        data, label = instance.__dict__, instance._meta.label_lower
        owner = data.get("id") if label == "customers.customer" else data.get("customer_id")
        seen.append((label, str(instance.pk), str(owner) if owner else None, field.name))

    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        mark = ledger_mark()
        with reads.watch(watcher):
            try:
                client.get(path) if method == "GET" else client.post(path)
            except Exception as error:  # an unrecorded read raises under tests
                seen.append(("exception", type(error).__name__, str(error)[:200], ""))
        entries = list(entries_after(mark))
        transaction.set_rollback(True)
    client.cookies = cookies
    return seen, entries


def uncovered(seen, entries):
    customers = {c for entry in entries for c in entry.customer_ids}
    rows = {(entry.target_type, entry.target_id) for entry in entries}
    return [read for read in seen if read[2] not in customers and (read[0], read[1]) not in rows]


@pytest.mark.parametrize("route", all_routes(), ids=lambda route: route.key)
def test_no_response_decrypts_what_its_ledger_entries_do_not_name(route, people):
    model, _expected = expected_for(route)
    path = concrete_path(route.template, Context(people, model))
    clients = signed_in_clients(people)
    wrong = []
    for audience in table.AUDIENCES:
        for method in table.METHODS:
            seen, entries = decrypted_during(clients[audience], method, path)
            for read in uncovered(seen, entries):
                wrong.append(f"{audience:11} {method:4} {path}: {read}")
    assert not wrong, "\n" + "\n".join(wrong)


def test_the_walk_sees_the_reads_of_a_customer_page(people):
    """The watcher is not blind: the customer list decrypts rows its entry names."""
    from tests.shopguard.access_table import sample_customer

    customer = sample_customer(people)
    client = signed_in_clients(people)[table.OWNER]
    seen, entries = decrypted_during(client, "GET", "/admin/customers/customer/")
    assert ("customers.customer", str(customer.pk), str(customer.pk), "sealed") in seen
    assert not uncovered(seen, entries)
    assert not uncovered(seen, entries[:0]) == []
