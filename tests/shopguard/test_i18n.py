"""Japanese first, English second: the catalogue is complete and compiled, pages follow
Accept-Language and the language switch."""

import gettext
import re
from pathlib import Path

import pytest
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES"


def po_entries():
    """(msgid, msgstr) pairs of the English .po file (joined continuation lines)."""
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    entries = []
    for block in text.split("\n\n"):
        if "#, fuzzy" in block:
            entries.append(("fuzzy", block))
            continue
        parts = re.findall(r'^(msgid|msgstr(?:\[0\])?)\s+((?:".*"\n?)+)', block + "\n", flags=re.M)
        fields = {}
        for key, value in parts:
            fields[key.replace("[0]", "")] = "".join(re.findall(r'"(.*)"', value))
        if fields.get("msgid") and "msgid_plural" not in block:
            entries.append((fields["msgid"], fields.get("msgstr", "")))
        elif fields.get("msgid"):  # plural forms: the singular's translation must exist
            entries.append(("plural", fields.get("msgstr", "")))
    return entries


def test_every_message_has_an_english_translation():
    entries = po_entries()
    assert len(entries) > 300
    assert not [msgid for msgid, msgstr in entries if msgid == "fuzzy" or not msgstr]


def test_the_compiled_catalogue_matches_the_po_file():
    with open(LOCALE / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for msgid, msgstr in po_entries()
        if "\\" not in msgid
        and msgid != "plural"
        and compiled.gettext(msgid) != msgstr.replace('\\"', '"')
    ]
    assert not stale, f"run `make messages`: {stale[:3]}"


@pytest.mark.django_db
def test_the_sign_in_page_is_japanese_by_default_and_english_on_request(client):
    japanese = client.get("/admin/login/").content.decode()
    english = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="ja"' in japanese and "ShopGuard 顧客データ管理" in japanese
    assert 'lang="en"' in english and "ShopGuard customer data" in english


@pytest.mark.django_db
def test_the_language_switch_keeps_the_choice(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/login/"})
    assert response.status_code == 302
    assert "ShopGuard customer data" in client.get("/admin/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "ja", "next": "/admin/login/"})
    assert "ShopGuard 顧客データ管理" in client.get("/admin/login/").content.decode()


def test_model_names_are_translated():
    from customers.models import Customer

    with translation.override("en"):
        assert str(Customer._meta.verbose_name) == "Customer"
    with translation.override("ja"):
        assert str(Customer._meta.verbose_name) == "顧客"


ROOT = LOCALE.parents[2]
_TEMPLATE_STRING = re.compile(r'{%\s*(?:translate|trans)\s+"((?:[^"\\]|\\.)*)"')


def source_messages():
    """Every literal handed to gettext in the code and every {% translate "..." %}."""
    import ast

    found = set()
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "migrations" in path.parts or "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None))
                in ("_", "gettext", "gettext_lazy", "pgettext_lazy")
                and node.args
                and isinstance(node.args[-1], ast.Constant)
                and isinstance(node.args[-1].value, str)
            ):
                found.add(node.args[-1].value)
    for path in (ROOT / "templates").rglob("*.html"):
        found |= set(_TEMPLATE_STRING.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_message_in_the_code_is_in_the_catalogue():
    known = {msgid.replace('\\"', '"').replace("\\n", "\n") for msgid, _ in po_entries()}
    missing = sorted(m for m in source_messages() if m and m not in known)
    assert not missing, f"run `make messages` and translate: {missing[:5]}"
