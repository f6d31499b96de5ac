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


def body_blocks(text):
    """Split a body into ``{"kind": "paragraph", "text"}`` and ``{"kind": "list", "items"}``."""
    blocks = []
    for line in normalise_text(text).split("\n"):
        marker = _LIST_MARKER.match(line)
        last = blocks[-1] if blocks else None
        if not line.strip():
            blocks.append(None)  # a blank line ends the paragraph or list before it
        elif marker:
            item = line[marker.end() :].strip()
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
