"""The preliminary and final report deadlines, with time moved by the clock fixture."""

import datetime

import pytest

from incidents.deadlines import OVERDUE, WARN, deadlines, open_deadlines
from incidents.models import Incident
from tests.incidents.helpers import make_incident, with_people

pytestmark = pytest.mark.django_db
DAY = 24 * 3600


def states(incident):
    return {d.kind: (d.state, d.days_left) for d in deadlines(incident)}


def reportable(**values):
    incident = make_incident(protection=Incident.Protection.READABLE, scope_sensitive=True)
    for name, value in values.items():
        setattr(incident, name, value)
    incident.save()
    return with_people(incident, 1)


def test_the_preliminary_report_warns_from_day_3_and_is_overdue_after_day_5(clock):
    incident = reportable()
    assert states(incident)["preliminary"] == ("ok", 5)
    clock.advance(3 * DAY)
    assert states(incident)["preliminary"] == (WARN, 2)
    clock.advance(2 * DAY)
    assert states(incident)["preliminary"] == (WARN, 0)
    clock.advance(DAY)
    assert states(incident)["preliminary"] == (OVERDUE, -1)


def test_the_final_report_has_30_days_or_60_when_an_unlawful_purpose_is_suspected(clock):
    lost = reportable(cause=Incident.Cause.LOST_MEDIUM)
    stolen = reportable(cause=Incident.Cause.INSIDER)
    clock.advance(31 * DAY)
    assert states(lost)["final"][0] == OVERDUE
    assert states(stolen)["final"] == ("ok", 29)
    clock.advance(30 * DAY)
    assert states(stolen)["final"][0] == OVERDUE


def test_a_filed_report_is_done_and_leaves_the_dashboard(clock):
    from django.utils import timezone

    incident = reportable()
    clock.advance(6 * DAY)
    assert {d.kind for i, d in open_deadlines() if i == incident} == {"preliminary", "final"}
    incident.preliminary_reported_at = timezone.now()
    incident.save()
    assert states(incident)["preliminary"][0] == "done"
    assert {d.kind for i, d in open_deadlines() if i == incident} == {"final"}


def test_an_incident_that_need_not_be_reported_has_no_deadline_on_the_dashboard():
    exempt = make_incident(protection=Incident.Protection.ENCRYPTED_KEYS_APART)
    assert not [pair for pair in open_deadlines() if pair[0] == exempt]


def test_day_counting_is_a_setting(settings):
    incident = reportable()
    start = incident.discovered_at.astimezone(datetime.timezone(datetime.timedelta(hours=9)))
    by_default = {d.kind: d.due for d in deadlines(incident)}
    assert by_default["preliminary"] == start.date() + datetime.timedelta(days=5)
    settings.SHOPGUARD_INCIDENT_DAYS = {"count_discovery_day": True, "preliminary_due": 4}
    counted = {d.kind: d.due for d in deadlines(incident)}
    assert counted["preliminary"] == start.date() + datetime.timedelta(days=3)
    assert counted["final"] == start.date() + datetime.timedelta(days=29)


def test_the_dashboard_shows_the_owner_and_auditor_each_open_deadline(client, people, clock):
    incident = reportable(title="見本の事案")
    clock.advance(4 * DAY)
    for person in (people.alice, people.dave):
        client.force_login(person)
        home = client.get("/admin/").content.decode()
        assert "漏えい等の事案「見本の事案」の速報" in home and "期限が近づいています" in home
        assert f"/admin/incidents/incident/{incident.pk}/change/" in home
    client.force_login(people.bob)
    assert "見本の事案" not in client.get("/admin/").content.decode()
