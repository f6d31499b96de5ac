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
