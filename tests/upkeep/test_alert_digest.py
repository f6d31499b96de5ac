"""The alert digest (issue #25): once a day run_scheduled mails each person who receives
alerts the kinds and counts of the day's alerts and the ones still unacknowledged, with
no person or customer named, and records the run like every job."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.actions import Action, Outcome
from audit.models import Alert, AuditEntry
from tests.factories import make_person
from upkeep import schedule
from vault.roles import OWNER

DAY = 24 * 3600


@pytest.fixture
def owners(people):
    """Two owners with addresses (alice and olivia); the auditor dave has one too but
    does not receive alerts."""
    olivia = make_person("olivia", OWNER)
    for person, address in (
        (people.alice, "alice@shop.example.jp"),
        (olivia, "olivia@shop.example.jp"),
        (people.dave, "dave@shop.example.jp"),
    ):
        person.email = address
        person.save(update_fields=["email"])
    return people


def alert(kind, hours_ago, subject=None, acknowledged=False):
    now = timezone.now()
    return Alert.objects.create(
        kind=kind,
        raised_at=now - timedelta(hours=hours_ago),
        entry_seq=1000 + Alert.objects.count(),
        subject_id=subject.pk if subject else None,
        subject_username=subject.username if subject else "",
        acknowledged_at=now if acknowledged else None,
    )


def digest(*args):
    out = io.StringIO()
    call_command("run_scheduled", "--job", "alert_digest", *args, stdout=out)
    return out.getvalue()


def digest_runs():
    return [
        e
        for e in AuditEntry.objects.filter(action=Action.JOB_RUN)
        if e.detail["job"] == "alert_digest"
    ]


def test_it_is_a_daily_job():
    job = schedule.JOBS_BY_NAME["alert_digest"]
    assert job.every == timedelta(days=1) and not job.needs
    assert schedule.JOBS[-1].name == "backup"  # the backup still runs last


def test_each_owner_gets_the_day_s_kinds_counts_and_open_alerts(owners, mailoutbox):
    carol = owners.carol
    alert(Alert.BULK_VIEW, 2, carol)
    alert(Alert.BULK_VIEW, 5, carol, acknowledged=True)
    alert(Alert.FAILURES, 3)
    old_open = alert(Alert.NEW_IP, 30, carol)  # yesterday's, still not acknowledged
    alert(Alert.REVEAL_QUOTA, 40, carol, acknowledged=True)  # yesterday's, seen: not in it

    said = digest()

    assert "alert_digest: ok" in said
    assert sorted(m.to[0] for m in mailoutbox) == [
        "alice@shop.example.jp",
        "olivia@shop.example.jp",
    ]
    assert all(len(m.to) == 1 for m in mailoutbox)  # one mail each, no shared list
    mail = mailoutbox[0]
    assert mail.subject == "[ShopGuard] 警告のまとめ: 3 件、未確認 3 件"
    assert "この期間に記録された警告: 3 件" in mail.body
    assert "  - 1時間に多数の顧客を閲覧: 2" in mail.body
    assert "  - サインインの失敗の繰り返し: 1" in mail.body
    assert "表示回数の上限に到達" not in mail.body
    assert "まだ確認されていない警告: 3 件" in mail.body
    assert (
        f"初めてのIPアドレスからのサインイン（監査記録の番号: {old_open.entry_seq}）" in mail.body
    )
    assert "carol" not in mail.body and "carol" not in mail.subject  # nobody is named
    [run] = digest_runs()
    assert run.outcome == Outcome.OK
    assert run.detail["message"] == "alert digest: 3 raised, 3 unacknowledged, mailed to 2"


def test_a_quiet_day_sends_nothing_but_is_recorded(owners, mailoutbox):
    alert(Alert.BULK_VIEW, 30, owners.carol, acknowledged=True)

    assert "alert_digest: ok" in digest()

    assert mailoutbox == []
    [run] = digest_runs()
    assert run.detail["message"] == "alert digest: 0 raised, 0 unacknowledged, mailed to 0"


def test_the_next_digest_covers_what_came_since_the_last_one(owners, mailoutbox, clock):
    alert(Alert.FAILURES, 1)
    digest()
    Alert.objects.update(acknowledged_at=timezone.now())
    mailoutbox.clear()
    assert "alert_digest: not due" in digest()

    clock.advance(3 * DAY)  # missed days: one digest, since the last one went out
    alert(Alert.FAILURES, 1)
    alert(Alert.FAILURES, 50)
    digest()

    assert len(mailoutbox) == 2
    assert "この期間に記録された警告: 2 件" in mailoutbox[0].body
    assert len(digest_runs()) == 2


def test_a_mail_that_cannot_be_sent_fails_the_run(owners, monkeypatch):
    alert(Alert.FAILURES, 1)

    def broken(*args, **kwargs):
        raise OSError("no mail server")

    monkeypatch.setattr("audit.alerts.send_mail", broken)
    with pytest.raises(SystemExit):  # run_scheduled exits 1 when a job failed
        digest()
    [run] = digest_runs()
    assert run.outcome == Outcome.FAILED and "no mail server" in run.detail["message"]
