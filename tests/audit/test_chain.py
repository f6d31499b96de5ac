from datetime import UTC, datetime

from audit.chain import CHAIN_FIELDS, SEPARATOR, canonical, chain_value, columns_of, seq_of
from audit.models import AuditEntry

# Written by the code that made every existing chain: a change to these bytes would make
# verify_audit reject every ledger written before it.
CONTENT = SEPARATOR.join(
    [
        "42",
        "1743499815123456",
        "customer.reveal",
        "ok",
        "",
        "alice",
        "owner",
        "192.0.2.1",
        "Mozilla/5.0",
        "r-1",
        "customers.customer",
        "c-1",
        '["c-1","c-2"]',
        '{"fields":["phone"],"reason":"delivery"}',
        "ab" * 32,
    ]
)
CHAIN_WITHOUT_ACTOR = "b9c54843150b98bcdb6d7f440bed9bf158cfbad32aa40b6e0a5dc890393ee937"
CHAIN_WITH_ACTOR_7 = "7e219108c8ae5e0191f280bd773bd511fb02d922b5b547228c6f4a97713dd215"


def an_entry(**changes):
    values = {
        "seq": 42,
        "created_at": datetime(2025, 4, 1, 9, 30, 15, 123456, tzinfo=UTC),
        "action": "customer.reveal",
        "outcome": "ok",
        "actor_id": None,
        "actor_username": "alice",
        "actor_role": "owner",
        "ip": "192.0.2.1",
        "user_agent": "Mozilla/5.0",
        "request_id": "r-1",
        "target_type": "customers.customer",
        "target_id": "c-1",
        "customer_ids": ["c-1", "c-2"],
        "detail": {"reason": "delivery", "fields": ["phone"]},
        "prev_chain": "ab" * 32,
    }
    return AuditEntry(**{**values, **changes})


def test_the_canonical_content_and_chain_value_are_those_of_existing_chains():
    assert canonical(an_entry()) == CONTENT
    assert chain_value(b"k" * 32, an_entry()) == CHAIN_WITHOUT_ACTOR
    assert chain_value(b"k" * 32, an_entry(actor_id=7)) == CHAIN_WITH_ACTOR_7


def test_content_splits_back_into_its_named_columns():
    columns = columns_of(CONTENT)
    assert columns._fields == CHAIN_FIELDS
    assert (columns.seq, columns.actor_id, columns.prev_chain) == ("42", "", "ab" * 32)
    assert columns.customer_ids == '["c-1","c-2"]'
    assert seq_of(CONTENT) == 42
    # An edited entry may hold the separator: its number is still read from the start.
    assert seq_of(CONTENT.replace("Mozilla/5.0", f"Mozilla{SEPARATOR}5.0")) == 42
