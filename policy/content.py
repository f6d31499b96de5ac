"""The policy text as data: its canonical hash, its paragraphs and lists, and what changed.

Articles are stored as a list of ``{number, title_ja, title_en, body_ja, body_en}``.
Bodies are plain text: blank lines separate paragraphs, and lines starting with a marker
such as ``(1)``, ``（1）`` or ``1.`` form a numbered list. Nothing in a body is markup;
templates render it with autoescaping, so anything like HTML is shown as text.
"""

import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field

from policy.countries import BY_CODE, foreign_countries_named

LANGUAGES = ("ja", "en")
TEXT_KEYS = ("title_ja", "title_en", "body_ja", "body_en")

_LIST_MARKER = re.compile(r"^\s*(?:[(（]\s*[0-9０-９]+\s*[)）]|[0-9０-９]+\s*[.．)）])\s*")
# English is compared word by word; Japanese, written without spaces, character by character.
_TOKEN = re.compile(r"[A-Za-z0-9]+|\s+|.", re.DOTALL)


def normalise_text(text):
    """Unix line ends, no trailing spaces on lines, no blank lines at either end."""
    lines = str(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def canonical_articles(articles):
    """The articles sorted by number, with exactly the stored keys and normalised text."""
    canonical = []
    for article in sorted(articles, key=lambda a: int(a["number"])):
        item = {"number": int(article["number"])}
        item.update({key: normalise_text(article.get(key, "")) for key in TEXT_KEYS})
        canonical.append(item)
    return canonical


def content_hash(articles):
    """SHA-256 (hex) of the canonical JSON of every article in both languages."""
    payload = json.dumps(
        canonical_articles(articles), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def list_item(line, marker):
    """One list line as ``{"marker", "number", "text"}``: the marker exactly as the owner
    wrote it (``(9)``, ``（２）``, ``3.``), so the public page shows the numbers of the
    approved text (the diff's) and never renumbers a list from 1."""
    written = line[: marker.end()].strip()
    digits = re.search(r"[0-9０-９]+", written).group()
    return {"marker": written, "number": int(digits), "text": line[marker.end() :].strip()}


def body_blocks(text):
    """Split a body into ``{"kind": "paragraph", "text"}`` and ``{"kind": "list", "items"}``
    (items from ``list_item``)."""
    blocks = []
    for line in normalise_text(text).split("\n"):
        marker = _LIST_MARKER.match(line)
        last = blocks[-1] if blocks else None
        if not line.strip():
            blocks.append(None)  # a blank line ends the paragraph or list before it
        elif marker:
            item = list_item(line, marker)
            if last and last["kind"] == "list":
                last["items"].append(item)
            else:
                blocks.append({"kind": "list", "items": [item]})
        elif last and last["kind"] == "paragraph":
            last["text"] += "\n" + line.strip()
        else:
            blocks.append({"kind": "paragraph", "text": line.strip()})
    return [block for block in blocks if block]


def localised_articles(articles, language):
    """Articles in one language, bodies split into blocks, ready for a template."""
    suffix = "en" if language == "en" else "ja"
    return [
        {
            "number": article["number"],
            "title": article[f"title_{suffix}"],
            "blocks": body_blocks(article[f"body_{suffix}"]),
        }
        for article in canonical_articles(articles)
    ]


def diff_segments(old, new):
    """What turns ``old`` into ``new``, as a list of ``(op, text)`` with op equal/insert/delete."""
    a, b = _TOKEN.findall(normalise_text(old)), _TOKEN.findall(normalise_text(new))
    segments = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(("equal", "".join(b[j1:j2])))
            continue
        if i1 < i2:
            segments.append(("delete", "".join(a[i1:i2])))
        if j1 < j2:
            segments.append(("insert", "".join(b[j1:j2])))
    return segments


@dataclass
class ArticleChange:
    """One article of a comparison: its status and the marked-up title and body."""

    number: int
    status: str  # "unchanged", "changed", "added" or "removed"
    title: list = field(default_factory=list)
    body: list = field(default_factory=list)

    @property
    def changed(self):
        return self.status != "unchanged"

    @property
    def changed_in_other_language_only(self):
        """Changed, but not in the language shown (only the translation was edited)."""
        segments = self.title + self.body
        return self.status == "changed" and all(op == "equal" for op, _ in segments)


def compare_articles(old_articles, new_articles, language):
    """Compare two versions article by article (matched by number) in one language."""
    suffix = "en" if language == "en" else "ja"
    old = {a["number"]: a for a in canonical_articles(old_articles)}
    new = {a["number"]: a for a in canonical_articles(new_articles)}
    empty = dict.fromkeys(TEXT_KEYS, "")
    changes = []
    for number in sorted(old.keys() | new.keys()):
        before, after = old.get(number, empty), new.get(number, empty)
        if number not in old:
            status = "added"
        elif number not in new:
            status = "removed"
        elif before == after:
            status = "unchanged"
        else:
            status = "changed"
        changes.append(
            ArticleChange(
                number=number,
                status=status,
                title=diff_segments(before[f"title_{suffix}"], after[f"title_{suffix}"]),
                body=diff_segments(before[f"body_{suffix}"], after[f"body_{suffix}"]),
            )
        )
    return changes


# Where the policy states its purposes of use (APPI art. 17, 21) and its rules on giving
# personal data to third parties (art. 27): the seed's Articles 3 and 4.
PURPOSES_ARTICLE = 3
THIRD_PARTY_ARTICLE = 4
# Words that name a third party or a provision to one, in either language.
_THIRD_PARTY_WORDS = re.compile(r"第三者|提供先|third[- ]part", re.IGNORECASE)


@dataclass(frozen=True)
class MaterialChange:
    """One reason a new version may be a material change, for the owner's prompt."""

    kind: str  # "purpose_added", "third_party_added" or "register_changed" (policy.forms)
    article: int
    text: str  # the new list item as written (policy text, never PII); "" for a mention


def _article(articles, number):
    return next((a for a in canonical_articles(articles) if a["number"] == number), None)


def _list_items(article, language):
    if article is None:
        return []
    blocks = body_blocks(article[f"body_{language}"])
    return [item for block in blocks if block["kind"] == "list" for item in block["items"]]


def _new_items(old_article, new_article):
    """List items of ``new_article`` whose number the old article's lists did not have
    (in either language): an added item, not a reworded one."""
    found = []
    for language in LANGUAGES:
        known = {item["number"] for item in _list_items(old_article, language)}
        found += [
            item["text"]
            for item in _list_items(new_article, language)
            if item["number"] not in known
        ]
    return found


def _third_party_mentions(article):
    if article is None:
        return 0
    return sum(len(_THIRD_PARTY_WORDS.findall(article[f"body_{lang}"])) for lang in LANGUAGES)


def _new_third_party_mentions(old_articles, new_articles):
    """Articles other than Article 4 that name a third party more often than before."""
    return [
        article["number"]
        for article in canonical_articles(new_articles)
        if article["number"] != THIRD_PARTY_ARTICLE
        and _third_party_mentions(article)
        > _third_party_mentions(_article(old_articles, article["number"]))
    ]


def material_changes(old_articles, new_articles):
    """What in ``new_articles`` may be a material change against ``old_articles``: a new
    purpose of use (a new item in Article 3's list) or a new third party or provision to
    one (a new item in Article 4's list, or more mentions of a third party elsewhere).
    A reworded item keeps its number and is not reported: rewording is the owner's call."""
    changes = [
        MaterialChange("purpose_added", PURPOSES_ARTICLE, text)
        for text in _new_items(
            _article(old_articles, PURPOSES_ARTICLE), _article(new_articles, PURPOSES_ARTICLE)
        )
    ]
    changes += [
        MaterialChange("third_party_added", THIRD_PARTY_ARTICLE, text)
        for text in _new_items(
            _article(old_articles, THIRD_PARTY_ARTICLE), _article(new_articles, THIRD_PARTY_ARTICLE)
        )
    ]
    changes += [
        MaterialChange("third_party_added", number, "")
        for number in _new_third_party_mentions(old_articles, new_articles)
    ]
    return changes


# Both languages name the same things -----------------------------------------------------


@dataclass(frozen=True)
class LanguageGap:
    """Something one language of a version names and the other does not."""

    article: int
    kind: str  # "item" (a numbered list item: a purpose, a third-party case), "country"
    only_in: str  # "ja" or "en": the language that has it
    text: str  # the item as written, or the country's name in that language


def language_gaps(articles):
    """Where the Japanese and English texts of ``articles`` differ in structure: a list
    item (by its number: the purposes of Article 3, the third-party cases of Article 4,
    any other list) only one language has, or a foreign country only one language names.
    Wording is free; what is promised must be the same in both."""
    gaps = []
    for article in canonical_articles(articles):
        items = {lang: {i["number"]: i for i in _list_items(article, lang)} for lang in LANGUAGES}
        for lang, other in (("ja", "en"), ("en", "ja")):
            gaps += [
                LanguageGap(article["number"], "item", lang, item["marker"] + " " + item["text"])
                for number, item in sorted(items[lang].items())
                if number not in items[other]
            ]
        named = {
            lang: foreign_countries_named(
                article[f"title_{lang}"] + "\n" + article[f"body_{lang}"], lang
            )
            for lang in LANGUAGES
        }
        for lang, other in (("ja", "en"), ("en", "ja")):
            gaps += [
                LanguageGap(article["number"], "country", lang, BY_CODE[code].name(lang))
                for code in sorted(named[lang] - named[other])
            ]
    return gaps
