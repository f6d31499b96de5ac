"""The ledger's pages read what they show, not the whole ledger (issue #26): their
queries' plans, checked with EXPLAIN on the database the suite runs on (SQLite, and
PostgreSQL with DATABASE_URL), the list's count, its date links and its action filter."""

import datetime
import re
import uuid

import pytest
import time_machine
from django.core.paginator import EmptyPage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit import activity
from audit.admin import LedgerPaginator, actions_in_ledger
from audit.ledger import record
from audit.models import AuditDay, AuditEntry

LIST = "/admin/audit/auditentry/"
pytestmark = pytest.mark.django_db
POSTGRESQL = connection.vendor == "postgresql"
# The unique constraint's index on seq, as each database names it.
SEQ_INDEX = "audit_auditentry_seq_key" if POSTGRESQL else "sqlite_autoindex_audit_auditentry"


@pytest.fixture
def ledger(people):
    """A few pages' worth: list pages, views and reveals by two people."""
    shown = [str(uuid.uuid4()) for _ in range(60)]
    for n in range(30):
        person = people.bob if n % 2 else people.carol
        record("customer.list", actor=person, customers=shown[n : n + 20])
        record("customer.view", actor=person, customers=[shown[n]], target=("x.y", shown[n]))
        record("customer.reveal", actor=person, customers=[shown[n]], detail={"field": "phone"})
    return shown


def explain(sql, sorts=False):
    """The plan of ``sql`` as text lines; on PostgreSQL with sequential scans and (unless
    ``sorts``) sorts priced out, so that the plan shows which index the query can use at
    any size (a tiny test table would otherwise always be read whole)."""
    with connection.cursor() as cursor:
        if POSTGRESQL:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"SET LOCAL enable_sort = {'on' if sorts else 'off'}")
            cursor.execute(f"EXPLAIN {sql}")
            lines = [row[0] for row in cursor.fetchall()]
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_sort")
            return lines
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return [row[-1] for row in cursor.fetchall()]


def ledger_plans(client, url, sorts=False):
    """The plan of every query a page makes that reads the ledger's tables."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    reading = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
        and re.search(r"\baudit_(auditentry|appearance|customerkey)\b", q["sql"])
    ]
    assert reading, url
    return {sql: explain(sql, sorts) for sql in reading}


SEQ_SCAN = re.compile(r"Seq Scan on audit_(auditentry|appearance|customerkey)\b")
# SQLite: SCAN is a walk of a whole table or index, SEARCH a look-up of a range.
SQLITE_SCAN = re.compile(r"^SCAN audit_(auditentry|appearance|customerkey)\b")
# Where a customer's entries are found (audit.appearances): the entries' own GIN index on
# PostgreSQL, the appearances' (customer_key, entry_id) index on SQLite.
CUSTOMER_INDEX = "audit_entry_customers" if POSTGRESQL else "audit_appearance_customer"


def assert_no_full_scan(plans):
    """No query reads a ledger table whole; on SQLite, a walk of an index in order is
    accepted only under a LIMIT (the first page: 100 entries from the end)."""
    for sql, plan in plans.items():
        for line in plan:
            line = line.strip()
            assert not SEQ_SCAN.search(line), (sql, plan)
            if SQLITE_SCAN.search(line):
                assert "USING" in line and " LIMIT " in sql, (sql, plan)


def uses(plans, index, *, sorted_by_index=True):
    """Some query reads the page through ``index`` (and, ``sorted_by_index``, in the
    index's order, with no sort of its own)."""
    for plan in plans.values():
        text = "\n".join(plan)
        if index in text and not (sorted_by_index and re.search(r"TEMP B-TREE|Sort\b", text)):
            return True
    return False


def test_the_first_and_a_deep_page_walk_the_sequence_index(client, people, ledger):
    client.force_login(people.dave)
    for url in (LIST, f"{LIST}?p=1"):
        plans = ledger_plans(client, url)
        assert_no_full_scan(plans)
        assert uses(plans, SEQ_INDEX), plans


def test_one_persons_entries_read_only_the_page_in_order(client, people, ledger):
    client.force_login(people.dave)
    plans = ledger_plans(client, f"{LIST}?actor={people.bob.pk}")
    assert_no_full_scan(plans)
    assert uses(plans, "audit_actor_seq"), plans


def test_one_actions_entries_read_only_the_page_in_order(client, people, ledger):
    client.force_login(people.dave)
    plans = ledger_plans(client, f"{LIST}?action=customer.reveal")
    assert_no_full_scan(plans)
    assert uses(plans, "audit_action_seq"), plans


def test_who_looked_reads_the_customers_links_only(client, people, ledger):
    client.force_login(people.dave)
    for url in (f"{LIST}?customer={ledger[5]}", f"{LIST}?customer={ledger[5]}&list_pages=1"):
        # A customer's entries are found through the index, then sorted (a walk of the
        # whole ledger in order, filtering, is what must not happen).
        plans = ledger_plans(client, url, sorts=True)
        assert_no_full_scan(plans)
        assert uses(plans, CUSTOMER_INDEX, sorted_by_index=False), plans


def test_the_distinct_customers_alert_reads_the_persons_counted_entries_only(people, ledger):
    from audit.alerts import _DISTINCT_SQL

    if POSTGRESQL:
        # With statistics (autovacuum's, within a minute of any load), the hour's bound
        # is what selects; a table never analysed lets (actor_id, action) look as good.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE audit_auditentry")
    sql = _DISTINCT_SQL[connection.vendor] % (
        people.bob.pk,
        f"'{timezone.now() - datetime.timedelta(hours=1):%Y-%m-%d %H:%M:%S}'",
        51,
    )
    plan = explain(sql)
    assert_no_full_scan({sql: plan})
    assert any("audit_counted_time" in line for line in plan), plan


def test_the_home_page_reads_no_entry_but_the_last_of_an_action(client, people, ledger):
    client.force_login(people.alice)
    plans = ledger_plans(client, "/admin/")
    assert_no_full_scan(plans)


def test_the_new_owners_item_reads_appointments_along_the_action_index(people, ledger):
    """The home page's new owners: one query per appointment action, each along
    (action, seq) newest first. Both actions in one query ordered by seq had the
    database walk the whole ledger by seq instead of sorting (270 ms of the home page at
    a million entries)."""
    from accounts import rules

    with CaptureQueriesContext(connection) as queries:
        rules.new_owners()
    reading = [q["sql"] for q in queries.captured_queries]
    assert len(reading) == len(rules.APPOINTMENTS)
    for sql in reading:
        plan = explain(sql)
        assert_no_full_scan({sql: plan})
        assert any("audit_action_seq" in line for line in plan), plan


def test_the_charts_count_from_the_daily_counts_kept_by_record(people, ledger):
    today = timezone.localdate()
    views = activity.customer_activity(per_person=True)
    assert views[(today, "customer.view", people.bob.username)] == 15
    assert views[(today, "customer.reveal", people.carol.username)] == 15
    day = AuditDay.objects.get(day=today, action="customer.list", actor_username="bob")
    assert day.entries == 15 and day.outcome == "ok"
    # Every entry counted once, in Japan time: the counts add up to the ledger.
    assert sum(AuditDay.objects.values_list("entries", flat=True)) == AuditEntry.objects.count()


BY_TIME = re.compile(r"using (index )?audit_auditentry_created_at_\w+", re.IGNORECASE)


def at(*moment):
    return time_machine.travel(datetime.datetime(*moment, tzinfo=datetime.UTC), tick=False)


def test_a_day_is_a_japan_time_day(people):
    # 23:30 UTC is 08:30 the next morning in Japan.
    with at(2026, 3, 31, 23, 30):
        record("customer.view", actor=people.bob, customers=[str(uuid.uuid4())])
    assert AuditDay.objects.get(action="customer.view").day == datetime.date(2026, 4, 1)


def test_the_action_filter_lists_the_actions_the_ledger_holds(client, people, ledger):
    held = sorted(set(AuditEntry.objects.values_list("action", flat=True)))
    assert actions_in_ledger() == held
    client.force_login(people.dave)
    page = client.get(LIST).content.decode()
    assert "action=customer.reveal" in page and "action=export.request" not in page


def test_the_whole_ledgers_count_comes_from_its_sequence_numbers(
    client, people, ledger, monkeypatch
):
    from django.contrib import admin

    client.force_login(people.dave)
    before = AuditEntry.objects.count()  # the page then records its own reading
    assert client.get(LIST).context["cl"].result_count == before
    LedgerPaginator.COUNT_LIMIT, limit = 10, LedgerPaginator.COUNT_LIMIT
    try:
        total = AuditEntry.objects.count()
        paginator = LedgerPaginator(AuditEntry.objects.order_by("-seq"), 100)
        assert paginator.count == total and not paginator.capped
        # Past a page (5 here), a filtered list is counted up to the limit.
        filtered = LedgerPaginator(AuditEntry.objects.filter(actor_id=people.bob.pk), 5)
        assert filtered.count == 11 and filtered.capped
        monkeypatch.setattr(admin.site._registry[AuditEntry], "list_per_page", 5)
        page = client.get(LIST, {"actor": people.bob.pk})
        assert page.context["cl"].result_count == 11
        assert "10件を超えるため" in page.content.decode()
        # Within a page it is counted exactly, whatever the limit.
        short = LedgerPaginator(AuditEntry.objects.filter(actor_id=people.bob.pk), 100)
        assert short.count == 45 and not short.capped
    finally:
        LedgerPaginator.COUNT_LIMIT = limit


def test_a_short_filtered_list_is_read_once_for_its_count_and_its_page(people, ledger):
    """One customer's entries fit a page: the query that reads the page counts them
    (on PostgreSQL each query of a customer's entries rechecks every candidate)."""
    queryset = AuditEntry.objects.filter(actor_id=people.bob.pk).order_by("-seq")
    with CaptureQueriesContext(connection) as queries:
        paginator = LedgerPaginator(queryset, 100)
        page = paginator.page(1)
        shown = list(page.object_list)
    assert paginator.count == len(shown) == 45
    assert [e.pk for e in shown] == list(queryset.values_list("pk", flat=True))
    assert len(queries.captured_queries) == 1
    with pytest.raises(EmptyPage):
        paginator.page(2)


def test_a_small_filtered_list_is_counted_exactly(client, people, ledger):
    client.force_login(people.dave)
    response = client.get(LIST, {"action": "customer.reveal"})
    assert response.context["cl"].result_count == 30
    assert "を超えるため" not in response.content.decode()


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        ({"created_at__year": "2026"}, 2),
        ({"created_at__year": "2026", "created_at__month": "4"}, 2),
        ({"created_at__year": "2026", "created_at__month": "4", "created_at__day": "1"}, 1),
        ({"created_at__year": "2026", "created_at__month": "5"}, 0),
        ({"created_at__year": "2026", "created_at__month": "13"}, 0),
        ({"created_at__year": "x"}, 0),
        ({"created_at__month": "4"}, 0),
        ({"created_at__year": "9999", "created_at__month": "12"}, 0),
    ],
)
def test_old_date_links_still_filter_by_japan_time_day(client, people, params, shown):
    # 2026-04-01 00:30 in Japan is still March 31st in UTC.
    with at(2026, 3, 31, 15, 30):
        record("customer.view", actor=people.bob, customers=[str(uuid.uuid4())])
    with at(2026, 4, 2, 3, 0):
        record("customer.view", actor=people.bob, customers=[str(uuid.uuid4())])
    client.force_login(people.dave)
    response = client.get(LIST, {**params, "action": "customer.view"})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == shown


def test_the_period_links_go_from_years_to_months_to_days(client, people):
    with at(2025, 6, 1, 3, 0):
        record("customer.view", actor=people.bob, customers=[str(uuid.uuid4())])
    with at(2026, 4, 2, 3, 0):
        record("customer.view", actor=people.bob, customers=[str(uuid.uuid4())])
    client.force_login(people.dave)

    def links(**params):
        response = client.get(LIST, params)
        spec = next(f for f in response.context["cl"].filter_specs if f.title == "年・月・日")
        return [(c["display"], c["selected"]) for c in spec.choices(response.context["cl"])]

    assert links()[:3] == [("全期間", True), ("2026", False), ("2025", False)]
    months = links(created_at__year=2026)
    assert months[1] == ("2026", True) and months[2][0] == "2026年1月" and len(months) == 14
    days = links(created_at__year=2026, created_at__month=4)
    assert days[2] == ("2026年4月", True) and days[3][0] == "4月1日" and len(days) == 3 + 30
    assert links(created_at__year="x") == [("全期間", False)]


def test_the_list_offers_no_facet_counts_over_the_whole_ledger(client, people, ledger):
    client.force_login(people.dave)
    assert "件数を表示" not in client.get(LIST).content.decode()
    page = client.get(LIST, {"_facets": "True"}).content.decode()
    assert "action=customer.reveal" in page and "個人情報の表示</a>" in page
    assert "個人情報の表示 (" not in page  # no counts drawn


def test_a_review_period_reads_its_entries_through_the_time_and_action_indexes(client, people):
    """The periodic review's page (audit.reviews): the period's ends from the created_at
    index, each action's entries from (action, seq) between them."""
    with at(2026, 11, 10, 1):
        for n in range(10):
            record("customer.view", actor=people.carol, customers=[str(uuid.uuid4())])
            record("customer.reveal", actor=people.carol, customers=[str(uuid.uuid4())])
    with at(2026, 12, 3, 1):
        client.force_login(people.dave)
        plans = ledger_plans(client, "/admin/audit/accessreview/period/2026-11/")
    assert_no_full_scan(plans)
    # The period's ends: look-ups on the created_at index.
    assert any(BY_TIME.search("\n".join(plan)) for plan in plans.values()), plans
    # Each action's entries: a range of (action, seq), or of seq itself, between the
    # period's first and last numbers (whichever the planner finds cheaper), never every
    # entry of the action in the ledger.
    entries = {sql: plan for sql, plan in plans.items() if '"audit_auditentry"."action" =' in sql}
    assert entries, plans
    for sql, plan in entries.items():
        text = "\n".join(plan)
        assert "audit_action_seq" in text or SEQ_INDEX in text, (sql, plan)


def test_one_customers_ledger_reads_the_customers_entries_twice_only(client, people, ledger):
    """Who looked: one query counts the folded list pages, one reads (and so counts) the
    rest, which fit a page; no third query reads them again."""
    client.force_login(people.dave)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, {"customer": ledger[5]})
    assert response.status_code == 200
    naming = [
        q["sql"]
        for q in queries.captured_queries
        if ledger[5] in q["sql"] and q["sql"].lstrip().upper().startswith("SELECT")
    ]
    assert len(naming) == 2, naming
    shown = response.context["cl"].result_list
    assert response.context["cl"].result_count == len(shown) == 2  # a view and a reveal
