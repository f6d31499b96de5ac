"""The admin's list-action menu is written once per language and set of actions
(vault/widgets.py), and is exactly the HTML Django's own select writes."""

import pytest
from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy

from tests.customers.vault import CHANGELIST
from vault.widgets import RememberedActionForm, RememberedSelect

CHOICES = [("", "---------"), ("export", "エクスポート <申請>"), ("delete", "削除")]


def test_it_writes_what_djangos_select_writes_for_every_input():
    for value in ("", "export", "nothing-like-it"):
        for attrs in (None, {"id": "x", "class": "a"}):
            ours = RememberedSelect(choices=CHOICES).render("action", value, attrs)
            theirs = forms.Select(choices=CHOICES).render("action", value, attrs)
            assert ours == theirs


def test_a_different_language_or_set_of_actions_is_written_anew():
    menu = RememberedActionForm(auto_id=None)
    menu.fields["action"].choices = [("", "---------"), ("go", gettext_lazy("検索"))]
    with translation.override("ja"):
        japanese = str(menu["action"])
    with translation.override("en"):
        english = str(menu["action"])
    assert ">検索</option>" in japanese and ">Search</option>" in english
    fewer = RememberedActionForm(auto_id=None)
    fewer.fields["action"].choices = [("", "---------")]
    with translation.override("ja"):
        assert 'value="go"' not in str(fewer["action"])


@pytest.mark.django_db
def test_the_list_page_offers_each_person_only_their_own_actions(client, people):
    client.force_login(people.alice)
    owners = client.get(CHANGELIST).content.decode()
    client.force_login(people.carol)
    staffs = client.get(CHANGELIST).content.decode()
    assert owners.count('name="action"') == 1 and staffs.count('name="action"') == 1
    owner_options = menu_of(owners)
    staff_options = menu_of(staffs)
    assert "<option" in owner_options and "<option" in staff_options
    assert owner_options != staff_options


def menu_of(page):
    start = page.index('name="action"')
    return page[start : page.index("</select>", start)]
