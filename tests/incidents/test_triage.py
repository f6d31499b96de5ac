"""Must the shop report? Each rule of PPC rules art. 7, and the encryption exemption."""

import pytest

from incidents.models import Incident
from incidents.triage import triage
from tests.incidents.helpers import make_incident, with_people

pytestmark = pytest.mark.django_db
READABLE = Incident.Protection.READABLE


def rule(result, key):
    return next(r for r in result.rules if r.key == key)


def test_1000_people_is_not_over_the_line_and_1001_is():
    at_line = triage(with_people(make_incident(protection=READABLE), 1000))
    over = triage(with_people(make_incident(protection=READABLE), 1001))
    assert rule(at_line, "people").applies is False and not at_line.required
    assert rule(over, "people").applies is True and over.required
    assert "1,001" in str(rule(over, "people").reason)


def test_sensitive_purchases_make_it_reportable_whatever_the_count():
    incident = with_people(make_incident(protection=READABLE, scope_sensitive=True), 1)
    result = triage(incident)
    assert rule(result, "sensitive").applies and result.required


def test_card_last_four_and_expiry_alone_are_not_financial_but_a_card_number_is():
    last_four = triage(with_people(make_incident(protection=READABLE), 3))
    assert rule(last_four, "financial").applies is False and not last_four.required
    assert "下4桁" in str(rule(last_four, "financial").reason)
    number = make_incident(protection=READABLE, payment_data_usable=True)
    result = triage(with_people(number, 3))
    assert rule(result, "financial").applies and result.required


@pytest.mark.parametrize(
    "cause, unlawful",
    [
        (Incident.Cause.OUTSIDE_ATTACK, True),
        (Incident.Cause.INSIDER, True),
        (Incident.Cause.SKIMMING, True),
        (Incident.Cause.LOST_MEDIUM, False),
        (Incident.Cause.MISDIRECTED, False),
    ],
)
def test_an_unlawful_purpose_is_suspected_from_the_cause(cause, unlawful):
    result = triage(with_people(make_incident(cause=cause, protection=READABLE), 2))
    assert rule(result, "unlawful").applies is unlawful
    assert result.required is unlawful


def test_skimming_counts_as_financial_loss():
    result = triage(with_people(make_incident(cause=Incident.Cause.SKIMMING), 2))
    assert rule(result, "financial").applies


def test_encrypted_data_with_the_keys_kept_apart_is_exempt_even_when_a_rule_applies():
    incident = make_incident(
        cause=Incident.Cause.OUTSIDE_ATTACK,
        protection=Incident.Protection.ENCRYPTED_KEYS_APART,
        scope_sensitive=True,
    )
    result = triage(with_people(incident, 5000))
    assert all(r.applies for r in result.rules if r.key != "financial")
    assert result.exempt.applies is True and result.required is False


def test_unknown_protection_counts_as_unprotected_and_says_so():
    result = triage(with_people(make_incident(scope_sensitive=True), 1))
    assert result.exempt.applies is None and result.required is True
    assert "分かるまで" in str(result.exempt.reason)


def test_nothing_applies_means_no_duty_with_every_reason_given():
    result = triage(with_people(make_incident(protection=READABLE), 10))
    assert not result.required
    assert len(result.rules) == 4 and all(str(r.reason) for r in result.rules)
