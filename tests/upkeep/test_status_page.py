from datetime import timedelta

import pytest
from django.utils import timezone

from audit.actions import Action
from audit.ledger import record
from audit.models import AuditEntry
from upkeep import schedule
from upkeep.models import JobState

STATUS, VERIFY = "/admin/upkeep/", "/admin/upkeep/verify/"


@pytest.fixture
def inline():
    """The verification runs in the request's own thread (tests/conftest.py does it for
    every test): named here so the tests say so."""


def test_anonymous_people_are_sent_to_sign_in(client, db):
    assert client.get(STATUS).status_code == 302
    assert client.post(VERIFY).status_code == 302
    assert not AuditEntry.objects.filter(action=Action.AUDIT_VERIFIED).exists()


@pytest.mark.parametrize("name", ["bob", "carol"])
def test_manager_and_staff_may_not_see_or_start_it(client, people, name, inline):
    client.force_login(getattr(people, name))
    assert client.get(STATUS).status_code == 403
    assert client.post(VERIFY).status_code == 403
    assert not AuditEntry.objects.filter(action=Action.AUDIT_VERIFIED).exists()


@pytest.mark.parametrize("name", ["alice", "dave"])
def test_owner_and_auditor_run_the_verification_and_read_its_result(client, people, name, inline):
    person = getattr(people, name)
    client.force_login(person)
    page = client.get(STATUS)
    assert page.status_code == 200 and "まだ検査していません" in page.content.decode()
    response = client.post(VERIFY)
    assert response.status_code == 302 and response["Location"] == STATUS
    verdict = AuditEntry.objects.get(action=Action.AUDIT_VERIFIED)
    assert verdict.detail["intact"]
    run = AuditEntry.objects.get(action=Action.JOB_RUN)
    assert run.actor_id == person.pk and run.detail["job"] == "verify_audit"
    page = client.get(STATUS).content.decode()
    assert "異常なし" in page and f"{verdict.detail['head_seq']}番まで" in page
    assert JobState.objects.get(name="verify_audit").progress_done == verdict.detail["entries"]


def test_the_page_shows_progress_while_it_runs(client, people):
    job = schedule.JOBS_BY_NAME["verify_audit"]
    assert schedule.acquire(job, "elsewhere:1")
    JobState.objects.filter(name="verify_audit").update(progress_done=250, progress_total=1000)
    client.force_login(people.alice)
    page = client.get(STATUS).content.decode()
    assert "250件／1000件（25%）" in page
    assert 'http-equiv="refresh"' in page and "verification-start" not in page
    client.post(VERIFY)  # a second start is refused by the lock
    assert not AuditEntry.objects.filter(action=Action.JOB_RUN).exists()


def test_home_links_the_backup_and_jobs_items_to_this_page(client, people, settings):
    settings.BACKUP_MAX_AGE_HOURS = 24
    client.force_login(people.alice)
    checks = {c.subject: c for c in client.get("/admin/").context["posture"]}
    for subject in ("バックアップ", "定期処理", "監査記録の改ざん検査"):
        assert checks[subject].link == STATUS and not checks[subject].ok
    record(Action.BACKUP_MADE, detail={"file": "x.tar.age", "counts": {"customers": 7}})
    checks = {c.subject: c for c in client.get("/admin/").context["posture"]}
    assert checks["バックアップ"].ok and "顧客7人" in checks["バックアップ"].finding


def test_a_backup_older_than_the_setting_needs_attention(client, people, settings, clock):
    settings.BACKUP_MAX_AGE_HOURS = 24
    record(Action.BACKUP_MADE, detail={"file": "x.tar.age", "counts": {"customers": 7}})
    clock.advance(25 * 3600)
    client.force_login(people.alice)
    check = {c.subject: c for c in client.get("/admin/").context["posture"]}["バックアップ"]
    assert not check.ok and "24時間以上バックアップがありません" in check.finding


def test_the_jobs_item_names_a_job_that_did_not_run_when_due(client, people, settings):
    settings.BACKUP_RECIPIENT = "age1xyz"  # configured: only lateness counts here
    long_ago = timezone.now() - timedelta(days=5)
    for job in schedule.JOBS:
        JobState.objects.create(name=job.name, last_succeeded=timezone.now())
    JobState.objects.filter(name="backup").update(last_succeeded=long_ago)
    client.force_login(people.alice)
    check = {c.subject: c for c in client.get("/admin/").context["posture"]}["定期処理"]
    assert not check.ok and "遅れ・失敗: バックアップ" in check.finding
    page = client.get(STATUS).content.decode()
    assert 'id="job-backup"><td><span class="status-attention">' in page


@pytest.mark.django_db(transaction=True)
def test_the_background_run_uses_a_thread_and_its_own_connection():
    from upkeep.verification import start_in_background

    record(Action.AUDIT_READ)
    thread = start_in_background(lambda: schedule.run_job(schedule.JOBS_BY_NAME["verify_audit"]))
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert AuditEntry.objects.get(action=Action.AUDIT_VERIFIED).detail["intact"]


def test_the_keys_section_names_key_ids_never_keys(client, people, settings):
    client.force_login(people.alice)
    page = client.get(STATUS).content.decode()
    [(key_id, key)] = settings.FIELD_ENCRYPTION_KEYS.items()
    assert f"暗号化に使う鍵: {key_id}" in page
    import base64

    assert base64.b64encode(key).decode() not in page
    assert base64.urlsafe_b64encode(key).decode() not in page
    home = {c.subject: c for c in client.get("/admin/").context["posture"]}
    assert home["暗号化の鍵"].link == STATUS + "#keys"
    assert home["エクスポート"].link == "/admin/exports/ledger/"
