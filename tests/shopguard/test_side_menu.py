"""The side menu on every admin page links each area only for those who may use it."""

import re

import pytest

MENU = {
    "menu-customers": {"alice", "bob", "carol"},
    "menu-import": {"alice", "bob"},
    "menu-exports": {"alice", "bob"},
    "menu-shipping": {"alice", "bob", "carol"},
    "menu-ledger": {"alice", "dave"},
    "menu-incidents": {"alice", "dave"},
    "menu-policy": {"alice"},
    "menu-people": {"alice"},
}


@pytest.mark.parametrize("person", ["alice", "bob", "carol", "dave"])
def test_each_link_is_shown_only_to_those_who_may_use_it(client, people, person):
    client.force_login(getattr(people, person))
    # The re-authentication page is one every role may open.
    page = client.get("/admin/reauth/").content.decode()
    assert 'id="shop-menu"' in page
    for link, allowed in MENU.items():
        assert (f'id="{link}"' in page) == (person in allowed), (person, link)


@pytest.mark.parametrize("person", ["alice", "bob", "carol", "dave"])
def test_every_link_shown_opens_for_that_person(client, people, person):
    client.force_login(getattr(people, person))
    page = client.get("/admin/reauth/").content.decode()
    menu = page.split('id="shop-menu"')[1].split("</table>")[0]
    for url in re.findall(r'href="([^"]+)"', menu):
        assert client.get(url).status_code == 200, (person, url)


def _apps_part(page):
    """The side menu's list of apps and models (admin/app_list.html)."""
    if 'id="nav-sidebar"' not in page:
        return None  # a page without the side menu (the home page)
    menu = page.split('id="nav-sidebar"')[1].split("</nav>")[0]
    return menu[menu.index('id="nav-filter"') :]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_kept_list_of_apps_is_the_one_each_page_would_write(
    client, people, monkeypatch, language
):
    # The apps and models part is written once per key and kept (issue #26): each person,
    # language and page must still get exactly what admin/app_list.html writes for them.
    from vault.templatetags import shopguard_admin

    pages = ["/admin/", "/admin/customers/customer/", "/admin/customers/purchase/"]
    pages += ["/admin/audit/auditentry/", "/admin/reauth/"]
    client.cookies["django_language"] = language
    kept = {}
    for person in ("alice", "bob", "carol", "dave", "alice"):
        client.force_login(getattr(people, person))
        for url in pages:
            response = client.get(url)
            if response.status_code == 200:
                kept[person, url] = _apps_part(response.content.decode())
    assert shopguard_admin._menus and sum(m is not None for m in kept.values()) >= 8
    with monkeypatch.context() as fresh:
        # A key of its own for each page: every menu is written afresh.
        fresh.setattr(shopguard_admin, "_key", lambda apps, path: object())
        for (person, url), menu in kept.items():
            client.force_login(getattr(people, person))
            assert _apps_part(client.get(url).content.decode()) == menu, (person, url)
    # The current page is marked in the menu; another person's models never show.
    assert 'aria-current="page"' in kept["alice", "/admin/customers/customer/"]
    assert "/admin/auth/user/" in kept["alice", "/admin/reauth/"]
    assert "/admin/auth/user/" not in kept["carol", "/admin/reauth/"]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_kept_app_list_is_djangos_for_each_role_and_follows_a_role_change(rf, people, language):
    """The app list is built once per set of permissions and language
    (shopguard.admin_site.get_app_list): for each role it is what Django builds, and a
    person given another role gets that role's list at once."""
    from django.contrib import admin
    from django.utils import translation

    from accounts.roles import MANAGER, set_role

    def request_of(user):
        request = rf.get("/admin/")
        request.user = user
        return request

    with translation.override(language):
        for person in ("alice", "bob", "carol", "dave", "alice"):
            request = request_of(getattr(people, person))
            djangos = admin.AdminSite.get_app_list(admin.site, request)
            assert admin.site.get_app_list(request) == djangos, person
        carol = people.carol
        before = admin.site.get_app_list(request_of(carol))
        set_role(carol, MANAGER)
        after = admin.site.get_app_list(request_of(carol))
        assert after != before
        assert after == admin.site.get_app_list(request_of(people.bob))
        after[0]["models"].clear()  # a caller's copy: the kept list is not changed
        assert admin.site.get_app_list(request_of(carol))[0]["models"]
