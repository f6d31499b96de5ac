"""The evidence page: every checklist item answered from the live state. Each verdict is
tested by changing that state (a second factor removed, a backup made, a diagnosis
recorded...), the pack's signature catches an edited file or manifest, and only the
owner and the auditor open it."""

import io
import zipfile
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit import reviews
from audit.actions import Action
from audit.ledger import record
from audit.models import AccessReview
from dashboard import evidence, pack
from dashboard.evidence import Verdict, weakest
from dashboard.models import Statement
from policy.models import Outsourcee
from tests.factories import entries_after, ledger_mark, make_person
from tests.signing import enrol
from upkeep.models import SecurityCheck
from vault.roles import STAFF

PAGE = "/admin/evidence/"
PRINT = "/admin/evidence/print/"
PACK = "/admin/evidence/pack/"

TWO_FACTOR_ITEMS = ("ipa-10", "card-3", "ppc-tech-auth")


def verdicts():
    """``{item id: verdict}`` from the live state now."""
    return {r.item.id: r.verdict for g in evidence.evaluate() for r in g.results}


@pytest.fixture
def enrolled(people):
    """The cast with a confirmed authenticator each (frank is deactivated)."""
    for person in (people.alice, people.bob, people.carol, people.dave):
        enrol(person)
    return people


# The verdict logic ------------------------------------------------------------------------


def test_the_weakest_part_decides():
    assert weakest(Verdict.MET, Verdict.MET) == Verdict.MET
    assert weakest(Verdict.MET, Verdict.PARTLY) == Verdict.PARTLY
    assert weakest(Verdict.PARTLY, Verdict.UNKNOWN) == Verdict.UNKNOWN
    assert weakest(Verdict.UNKNOWN, Verdict.NOT_MET, Verdict.MET) == Verdict.NOT_MET
    assert weakest(Verdict.NOT_THIS_APPS, Verdict.MET) == Verdict.MET
    assert weakest(Verdict.NOT_THIS_APPS) == Verdict.NOT_THIS_APPS


def test_every_item_has_a_unique_id_a_known_checklist_and_something_to_do():
    ids = [item.id for item in evidence.ITEMS]
    assert len(ids) == len(set(ids))
    keys = {c.key for c in evidence.CHECKLISTS}
    for item in evidence.ITEMS:
        assert item.checklist in keys, item.id
        assert str(item.todo) or item.fact(evidence.State()).verdict in (
            Verdict.NOT_THIS_APPS,
            Verdict.MET,
        ), item.id


@pytest.mark.django_db
def test_every_checklist_has_its_items():
    counts = {g.checklist.key: len(g.results) for g in evidence.evaluate()}
    assert counts == {"ipa": 10, "card": 10, "ppc": 16, "shopify1": 9, "shopify2": 7, "appi": 7}


# Verdicts from the live state -----------------------------------------------------------


def test_two_factor_items_turn_to_not_met_when_someone_loses_theirs(enrolled):
    found = verdicts()
    assert all(found[item] == Verdict.MET for item in TWO_FACTOR_ITEMS)
    TOTPDevice.objects.filter(user=enrolled.carol).delete()
    found = verdicts()
    assert all(found[item] == Verdict.NOT_MET for item in TWO_FACTOR_ITEMS)
    # Items of which two-factor is one part follow it.
    assert found["ipa-7"] == Verdict.NOT_MET and found["appi-23"] == Verdict.NOT_MET
    result = next(r for g in evidence.evaluate() for r in g.results if r.item.id == "ipa-10")
    assert "carol" in result.finding.evidence and result.needs_work


def test_two_factor_items_are_not_met_when_sign_in_does_not_ask_for_it(enrolled, settings):
    settings.SHOPGUARD_REQUIRE_2FA = False
    assert verdicts()["card-3"] == Verdict.NOT_MET


def test_backup_items_follow_the_last_backup(people, settings, clock):
    settings.BACKUP_RECIPIENT = ""
    assert verdicts()["shopify-2-backups"] == Verdict.NOT_MET
    settings.BACKUP_RECIPIENT = "age1example"
    assert verdicts()["shopify-2-backups"] == Verdict.NOT_MET  # configured, none made
    record(Action.BACKUP_MADE, detail={"counts": {"customers": 0}})
    assert verdicts()["shopify-2-backups"] == Verdict.MET
    clock.advance((settings.BACKUP_MAX_AGE_HOURS + 1) * 3600)
    assert verdicts()["shopify-2-backups"] == Verdict.PARTLY


def test_the_ledger_items_follow_the_last_verification(people, clock):
    def ledger():
        return evidence.ledger_fact(evidence.State()).verdict

    assert ledger() == Verdict.NOT_MET
    assert verdicts()["shopify-2-access-log"] == Verdict.NOT_MET
    call_command("verify_audit", stdout=StringIO())
    assert ledger() == Verdict.MET
    # Verified, and no finished period waits for its review yet (the ledger is new).
    assert verdicts()["shopify-2-access-log"] == Verdict.MET
    clock.advance(8 * 24 * 3600)
    assert ledger() == Verdict.PARTLY


def test_network_items_follow_the_setting(people, settings):
    settings.SHOPGUARD_BACKOFFICE_NETWORKS = []
    found = verdicts()
    assert found["ipa-4"] == Verdict.NOT_MET and found["card-2"] == Verdict.PARTLY
    settings.SHOPGUARD_BACKOFFICE_NETWORKS = ["192.0.2.0/24"]
    found = verdicts()
    assert found["ipa-4"] == Verdict.MET and found["card-2"] == Verdict.MET


def test_https_items_follow_the_setting(people, settings):
    settings.SECURE_SSL_REDIRECT = settings.SESSION_COOKIE_SECURE = False
    assert verdicts()["shopify-1-encryption"] == Verdict.NOT_MET
    settings.SECURE_SSL_REDIRECT = settings.SESSION_COOKIE_SECURE = True
    assert verdicts()["shopify-1-encryption"] == Verdict.MET


def test_the_policy_items_follow_the_policy_in_force(people):
    from django.db.models import QuerySet

    from policy.models import PolicyVersion

    assert PolicyVersion.objects.published().exists()  # the seeded version 1
    assert verdicts()["ppc-policy"] == Verdict.MET
    # Published versions refuse changes through their own queryset; the state is forced.
    QuerySet.update(PolicyVersion.objects.all(), status=PolicyVersion.Status.DRAFT)
    found = verdicts()
    assert found["ppc-policy"] == Verdict.NOT_MET and found["appi-32"] == Verdict.NOT_MET


def test_the_lockout_item_follows_the_setting(people, settings):
    assert verdicts()["card-4"] == Verdict.MET
    settings.SHOPGUARD_SIGN_IN_FAILURES = 10
    assert verdicts()["card-4"] == Verdict.NOT_MET


def test_retention_items_follow_the_job(people):
    from upkeep.models import JobState

    assert verdicts()["appi-22"] == Verdict.NOT_MET  # never ran
    JobState.objects.create(name="apply_retention", last_succeeded=timezone.now())
    assert verdicts()["appi-22"] == Verdict.MET


def test_the_diagnosis_items_follow_the_register(people, settings):
    assert verdicts()["ipa-3"] == Verdict.NOT_MET
    today = timezone.localdate()
    check = SecurityCheck.objects.create(
        kind=SecurityCheck.Kind.DIAGNOSIS, done_on=today, done_by="診断会社", findings="XSS 1件"
    )
    assert verdicts()["ipa-3"] == Verdict.PARTLY  # a finding not yet fixed
    check.fixed_on = today
    check.save()
    assert verdicts()["ipa-3"] == Verdict.MET and verdicts()["card-6"] == Verdict.MET
    check.done_on = today - timedelta(days=settings.SECURITY_DIAGNOSIS_INTERVAL_DAYS + 1)
    check.save()
    assert verdicts()["card-6"] == Verdict.NOT_MET


def test_the_patch_item_follows_the_register(people):
    assert verdicts()["ipa-2"] == Verdict.NOT_MET
    SecurityCheck.objects.create(
        kind=SecurityCheck.Kind.PATCHES, done_on=timezone.localdate(), done_by="店長"
    )
    assert verdicts()["ipa-2"] == Verdict.MET


def test_the_house_rules_items_follow_who_has_accepted(people):
    """Everyone has accepted the rules in force (the people of the tests do): met; a new
    person who has not: not met, and named."""
    found = verdicts()
    assert found["ppc-rules"] == Verdict.MET and found["ppc-human"] == Verdict.MET
    make_person("newcomer", STAFF, accepted_rules=False)
    found = verdicts()
    assert found["ppc-rules"] == Verdict.NOT_MET and found["ppc-human"] == Verdict.NOT_MET
    rules = {r.item.id: r for g in evidence.evaluate() for r in g.results}["ppc-rules"]
    assert "newcomer" in rules.finding.evidence


def test_the_outsourcee_items_follow_the_register(people):
    """An empty register: not met; an entry whose terms were never checked: partly;
    checked and stated by the policy in force: met."""
    Outsourcee.objects.all().delete()
    assert verdicts()["appi-25"] == Verdict.NOT_MET
    entry = Outsourcee.objects.create(
        name_ja="見本配送",
        name_en="Sample Delivery",
        service=Outsourcee.Service.CARRIER,
        work_ja="商品の配送",
        work_en="Delivery of goods",
        data_items=["name", "address"],
        basis=Outsourcee.Basis.ENTRUSTMENT,
        country="JP",
    )
    assert verdicts()["appi-25"] == Verdict.PARTLY
    entry.terms_checked_on = timezone.localdate()
    entry.save()
    state = evidence.State()
    expected = Verdict.PARTLY if state.register_changed else Verdict.MET
    assert evidence.outsourcees_fact(state).verdict == expected
    assert verdicts()["ppc-foreign"] == expected and verdicts()["ipa-exec-6"] == expected


def test_the_access_review_items_follow_the_overdue_periods(people, clock):
    """A finished period left unreviewed past its grace days: not met; reviewed: met."""
    record(Action.AUDIT_READ, actor=people.dave)  # the ledger's first entry: this month
    call_command("verify_audit", stdout=StringIO())
    assert verdicts()["ppc-org-review"] == Verdict.MET
    clock.advance(70 * 24 * 3600)  # past the next period's end and its grace days
    call_command("verify_audit", stdout=StringIO())
    overdue = reviews.overdue_periods()
    assert overdue
    assert verdicts()["ppc-org-review"] == Verdict.NOT_MET
    assert verdicts()["shopify-2-access-log"] == Verdict.NOT_MET
    for period in overdue:
        AccessReview.objects.create(
            period_start=period.start,
            period_end=period.end,
            reviewed_at=timezone.now(),
            reviewed_by=people.dave,
            reviewed_by_username="dave",
            entry_seq=1,
        )
    assert verdicts()["ppc-org-review"] == Verdict.MET
    assert verdicts()["shopify-2-access-log"] == Verdict.MET


# What only a person knows --------------------------------------------------------------


def test_the_owner_records_a_manual_item_with_who_said_so(client, people):
    assert verdicts()["card-10"] == Verdict.UNKNOWN
    client.force_login(people.alice)
    mark = ledger_mark()
    response = client.post(
        "/admin/evidence/statement/card-10/",
        {"answer": "yes", "stated_by": "決済代行会社の管理画面", "note": ""},
    )
    assert response.status_code == 302
    statement = Statement.objects.get(item="card-10")
    assert statement.recorded_by == people.alice
    assert verdicts()["card-10"] == Verdict.MET
    entry = entries_after(mark).get(action=Action.EVIDENCE_STATEMENT)
    assert entry.detail == {"item": "card-10", "answer": "yes"}
    page = client.get(PAGE).content.decode()
    assert "決済代行会社の管理画面" in page


def test_a_later_statement_replaces_the_verdict(client, people):
    client.force_login(people.alice)
    for answer in ("yes", "no"):
        client.post("/admin/evidence/statement/card-7/", {"answer": answer, "stated_by": "店長"})
    assert verdicts()["card-7"] == Verdict.NOT_MET
    assert Statement.objects.filter(item="card-7").count() == 2


def test_only_manual_items_take_a_statement(client, people):
    client.force_login(people.alice)
    response = client.post(
        "/admin/evidence/statement/ipa-10/", {"answer": "yes", "stated_by": "店長"}
    )
    assert response.status_code == 404 and not Statement.objects.exists()


def test_the_auditor_reads_but_records_nothing(client, people):
    client.force_login(people.dave)
    assert client.get(PAGE).status_code == 200
    response = client.post(
        "/admin/evidence/statement/card-10/", {"answer": "yes", "stated_by": "監査人"}
    )
    assert response.status_code == 403 and not Statement.objects.exists()


# Who may open it -----------------------------------------------------------------------


def test_anonymous_people_are_sent_to_sign_in(client, db):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("name", ["bob", "carol", "erin"])
def test_the_manager_staff_and_outsiders_are_refused(client, people, name):
    client.force_login(getattr(people, name))
    for url in (PAGE, PRINT, PACK):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("name", ["alice", "dave"])
def test_the_owner_and_the_auditor_see_every_item(client, people, name):
    client.force_login(getattr(people, name))
    page = client.get(PAGE).content.decode()
    for item in evidence.ITEMS:
        assert f'id="item-{item.id}"' in page, item.id
    printed = client.get(PRINT).content.decode()
    assert "nav-sidebar" not in printed and 'id="item-ipa-10"' in printed


def test_the_home_page_links_the_evidence_page_for_its_readers(client, people):
    client.force_login(people.alice)
    assert PAGE in client.get("/admin/").content.decode()
    client.force_login(people.bob)
    assert PAGE not in client.get("/admin/").content.decode()


# The signed pack -----------------------------------------------------------------------


def download(client, user):
    client.force_login(user)
    response = client.get(PACK)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    return response.content


def rewritten(archive, name, change):
    """``archive`` with ``name``'s bytes passed through ``change``."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, change(data) if info.filename == name else data)
    return out.getvalue()


def test_the_pack_holds_the_files_and_its_signature_checks(client, people, tmp_path):
    call_command("verify_audit", stdout=StringIO())
    mark = ledger_mark()
    archive = download(client, people.dave)
    names = set(zipfile.ZipFile(io.BytesIO(archive)).namelist())
    assert names == {
        "evidence.html",
        "ledger-summary.csv",
        "policy.json",
        "verification.json",
        "README.txt",
        pack.MANIFEST,
        pack.SIGNATURE,
        pack.PUBLIC_KEY,
    }
    assert pack.verify(archive).intact
    entry = entries_after(mark).get(action=Action.EVIDENCE_PACK)
    assert entry.actor_id == people.dave.pk and entry.detail["items"] == len(evidence.ITEMS)
    summary = zipfile.ZipFile(io.BytesIO(archive)).read("ledger-summary.csv").decode()
    assert "audit.verified" in summary and "dave" not in summary
    path = tmp_path / "pack.zip"
    path.write_bytes(archive)
    call_command("verify_evidence_pack", str(path), stdout=StringIO())


@pytest.mark.parametrize(
    "name", ["evidence.html", "ledger-summary.csv", "verification.json", pack.MANIFEST]
)
def test_an_edited_file_or_manifest_fails_the_check(client, people, tmp_path, name):
    archive = download(client, people.alice)
    edited = rewritten(archive, name, lambda data: data.replace(b"0", b"1", 1) + b"\n")
    assert not pack.verify(edited).intact
    path = tmp_path / "edited.zip"
    path.write_bytes(edited)
    with pytest.raises(SystemExit) as stopped:
        call_command("verify_evidence_pack", str(path), stdout=StringIO(), stderr=StringIO())
    assert stopped.value.code == 1


def test_the_ledger_summary_keeps_a_formula_as_text(db):
    from audit.models import AuditDay

    day = timezone.localdate()
    AuditDay.objects.create(day=day, action="=HYPERLINK(1)", outcome="ok", entries=2)
    summary = pack.ledger_summary(pack.Period(day, day))
    assert "'=HYPERLINK(1),,ok,2" in summary


def test_a_pack_signed_by_another_key_fails_under_the_shops_key(client, people):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    archive = download(client, people.alice)
    other = Ed25519PrivateKey.generate().public_key()
    assert not pack.verify(archive, other).intact


def test_an_added_file_fails_the_check(client, people):
    archive = download(client, people.alice)
    out = io.BytesIO(archive)
    with zipfile.ZipFile(out, "a") as target:
        target.writestr("extra.txt", b"added later")
    check = pack.verify(out.getvalue())
    assert not check.intact and "extra.txt is not in the manifest" in check.problems


def test_no_pack_without_the_signing_key(client, people, settings):
    settings.AUDIT_SIGNING_KEY = None
    client.force_login(people.alice)
    mark = ledger_mark()
    response = client.get(PACK)
    assert response.status_code == 302
    assert not entries_after(mark).filter(action=Action.EVIDENCE_PACK).exists()


# The register's reminder on the home page -------------------------------------------------


def test_the_home_page_reminds_of_a_due_diagnosis(client, people, settings):
    client.force_login(people.alice)

    def reminder():
        checks = {str(c.subject): c for c in client.get("/admin/").context["posture"]}
        return checks["脆弱性診断"]

    assert not reminder().ok and "記録がありません" in reminder().finding
    today = timezone.localdate()
    check = SecurityCheck.objects.create(
        kind=SecurityCheck.Kind.DIAGNOSIS, done_on=today, done_by="診断会社"
    )
    assert reminder().ok
    days = settings.SECURITY_DIAGNOSIS_INTERVAL_DAYS - settings.SECURITY_CHECK_REMINDER_DAYS
    check.done_on = today - timedelta(days=days)
    check.save()
    assert not reminder().ok and "まもなく予定日です" in reminder().finding
    check.done_on = today - timedelta(days=settings.SECURITY_DIAGNOSIS_INTERVAL_DAYS + 1)
    check.save()
    assert not reminder().ok and "予定を過ぎています" in reminder().finding


def test_recording_a_diagnosis_in_the_register_is_a_ledger_entry(client, people):
    from tests.signing import signed_in

    signed_in(client, people.alice)
    mark = ledger_mark()
    response = client.post(
        "/admin/upkeep/securitycheck/add/",
        {
            "kind": "diagnosis",
            "done_on": timezone.localdate().isoformat(),
            "done_by": "診断会社",
            "findings": "",
            "fixed_on": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    check = SecurityCheck.objects.get()
    assert check.recorded_by == people.alice
    entry = entries_after(mark).get(action=Action.SECURITY_CHECK_RECORD)
    assert entry.detail["kind"] == "diagnosis"
    client.force_login(people.dave)
    assert client.get("/admin/upkeep/securitycheck/").status_code == 200
    assert client.get("/admin/upkeep/securitycheck/add/").status_code == 403
