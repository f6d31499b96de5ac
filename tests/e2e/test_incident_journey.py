"""The owner's incident journey: a lost USB stick recorded, its scope frozen from all
customers, the triage read as a checklist, a measure ticked, the customers' mail and the
public page previewed; the auditor reads it."""

from tests.e2e.conftest import check_page, screenshot, sign_in, submit, visit

TITLE = "配送用リストのUSBメモリ紛失（見本）"


def test_owner_records_scopes_and_triages_a_lost_usb_stick(open_page, people):
    page = open_page()
    sign_in(page, people["owner"])
    visit(page, "/admin/incidents/incident/add/")
    page.fill("#id_title", TITLE)
    page.fill("#id_discovered_at", "2026-12-01T10:00")
    page.select_option("#id_cause", "lost_medium")
    page.select_option("#id_certainty", "suspected")
    page.fill("#id_what_happened", "配送業者に渡す予定の一覧を入れたUSBメモリが見当たらない。")
    page.select_option("#id_protection", "readable")
    submit(page, "#incident_form [name=_continue]")
    check_page(page)
    with page.expect_navigation():
        page.click("text=対象を決める")
    check_page(page)
    page.select_option("#id_source", "all")
    page.check("input[name=fields][value=name]")
    page.check("input[name=fields][value=address]")
    submit(page, "#content-main form [type=submit]")
    check_page(page)
    work = page.inner_text("#incident-work")
    assert "確定済み" in work and "氏名" in work and "住所" in work
    assert page.inner_text("#rule-people")
    submit(page, "#incident-work button[form^=measure-]")
    check_page(page)
    assert "実施済み（" in page.inner_text("#incident-work")
    screenshot(page, "incident")
    # The customers' mail is previewed, and not sendable until its customer-facing parts
    # are written; the public page is not online until published.
    with page.expect_navigation():
        page.click("#incident-work a.button:has-text('本人への通知')")
    check_page(page)
    assert "お詫び" in page.inner_text("#notice-subject")
    assert "お客様への説明" in page.inner_text("#notice-missing")
    page.go_back()
    with page.expect_navigation():
        page.click("#incident-work a.button:has-text('公表ページ')")
    check_page(page)
    assert "まだ公表していません" in page.inner_text("#publish-state")
    assert "公表する件名" in page.inner_text("#publish-missing")

    auditor = open_page()
    sign_in(auditor, people["auditor"])
    visit(auditor, "/admin/incidents/incident/")
    with auditor.expect_navigation():
        auditor.click(f"text={TITLE}")
    check_page(auditor)
    assert "報告が必要かどうか" in auditor.inner_text("#incident-work")
