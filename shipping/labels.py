"""One label row per shipment, in a carrier's layout (``shipping.carriers``): the values
each column wants, and what stops a shipment from fitting before any file is made."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

from shipping.carriers import Layout, Source
from vault.japan import PREFECTURES, domestic_phone
from vault.spreadsheet import safe_cell, safe_text_cells

HONORIFIC = "様"
_SPACES = re.compile(r"[ \u3000]+")
_POSTAL = re.compile(r"(\d{3})-?(\d{4})")
ADDRESS_LINES = (Source.ADDRESS_1, Source.ADDRESS_2, Source.ADDRESS_3, Source.ADDRESS_4)
# What a problem names: the field to fix, in the words of the shipment's page.
FIELD_LABELS = {
    "name": _("お届け先の氏名"),
    "postal_code": _("お届け先の郵便番号"),
    "address": _("お届け先の住所"),
    "phone": _("お届け先の電話番号"),
    "item": _("品名"),
    "sender": _("差出人（お店の情報）"),
}


class Recipient(NamedTuple):
    """Where a box goes: read through the reading path, never stored in plain text. (A
    named tuple: one is made per row of a file.)"""

    name: str
    postal_code: str
    address: str
    phone: str


@dataclass(frozen=True)
class Sender:
    """The shop, as the sender of every box."""

    name: str
    postal_code: str
    address: str
    phone: str


class Problem(NamedTuple):
    """Why one shipment cannot go into the file: which field, and what to fix. Never the
    value itself (the page and the ledger both stay free of it)."""

    reference: str
    field: str
    message: str


def postal_code(text: str) -> str:
    """``1234567``, ``123-4567`` or full-width digits as ``123-4567`` ("" if not one)."""
    text = text or ""
    # Typed in ASCII (nearly always): nothing to fold.
    found = _POSTAL.fullmatch(
        (text if text.isascii() else unicodedata.normalize("NFKC", text)).strip()
    )
    return f"{found[1]}-{found[2]}" if found else ""


def address_parts(address: str) -> tuple[str, str]:
    """The address as (prefecture, city and street; building and room): split at the
    first space, as people write it."""
    text = _SPACES.sub(" ", (address or "").strip())
    first, _space, rest = text.partition(" ")
    return first, rest


def lines_of(address: str, width: int) -> list[str]:
    """The address in lines of at most ``width`` characters: the street part and the
    building each start a line."""
    lines: list[str] = []
    for part in address_parts(address):
        lines += [part[i : i + width] for i in range(0, len(part), width)]
    return lines


def has_prefecture(address: str) -> bool:
    return address_parts(address)[0].startswith(tuple(PREFECTURES))


def row_values(
    layout: Layout, reference: str, recipient: Recipient, sender: Sender, item: str, day: date
) -> dict[Source, str]:
    """Every source's value for one shipment in ``layout``."""
    return {**file_values(sender, day), **shipment_values(layout, reference, recipient, item)}


def file_values(sender: Sender, day: date) -> dict[Source, str]:
    """The sources whose value is the same on every row of a file: the shop as sender,
    the day, the honorific (worked out once a file)."""
    sender_street, sender_building = address_parts(sender.address)
    return {
        Source.SHIP_DATE: day.strftime("%Y/%m/%d"),
        Source.HONORIFIC: HONORIFIC,
        Source.SENDER_PHONE: domestic_phone(sender.phone),
        Source.SENDER_POSTAL_CODE: postal_code(sender.postal_code),
        Source.SENDER_ADDRESS: sender_street,
        Source.SENDER_ADDRESS_REST: sender_building,
        Source.SENDER_NAME: sender.name,
    }


def shipment_values(
    layout: Layout, reference: str, recipient: Recipient, item: str
) -> dict[Source, str]:
    """The sources that differ from row to row: the shipment's number, its recipient and
    its 品名."""
    street, building = address_parts(recipient.address)
    values = {
        Source.REFERENCE: reference,
        Source.PHONE: domestic_phone(recipient.phone),
        Source.POSTAL_CODE: postal_code(recipient.postal_code),
        Source.ADDRESS: street,
        Source.ADDRESS_REST: building,
        Source.NAME: _SPACES.sub(" ", recipient.name.strip()),
        Source.ITEM: item,
    }
    if layout.line:
        lines = lines_of(recipient.address, layout.line)
        for source, line in zip(ADDRESS_LINES, lines + [""] * len(ADDRESS_LINES), strict=False):
            values[source] = line
    return values


Template = tuple[list[str], list[tuple[int, Source]]]


def template(layout: Layout, same: dict[Source, str] | None = None) -> Template:
    """(every column's fixed value, and the value of ``same``'s sources, guarded; the
    columns left, whose source differs by row, by position): made once per file, so a
    row guards only its own values."""
    same = same or {}
    base = [
        safe_cell(column.fixed if column.source is None else same.get(column.source, ""))
        for column in layout.columns
    ]
    sourced = [
        (i, c.source)
        for i, c in enumerate(layout.columns)
        if c.source is not None and c.source not in same
    ]
    return base, sourced


def row(layout: Layout, values: dict[Source, str], made: Template | None = None) -> list[str]:
    """The CSV row of one shipment: each column's source value, or its fixed value,
    through the CSV cell guard (checked values never need it; the shop's own may).
    ``made``: the layout's ``template``, when the caller writes many rows."""
    base, sourced = made if made is not None else template(layout)
    cells = base.copy()
    guarded = safe_text_cells([values.get(source, "") for _index, source in sourced])
    for (index, _source), cell in zip(sourced, guarded, strict=True):
        cells[index] = cell
    return cells


def problems_of(
    layout: Layout, reference: str, recipient: Recipient, values: dict[Source, str]
) -> list[Problem]:
    """What stops this shipment from fitting ``layout``, by field (empty: it fits)."""
    found: list[Problem] = []

    def problem(field: str, message: object) -> None:
        found.append(Problem(reference, str(FIELD_LABELS[field]), str(message)))

    if not values[Source.NAME]:
        problem("name", _("氏名がありません。"))
    if not values[Source.POSTAL_CODE]:
        problem("postal_code", _("郵便番号がないか、7けたの数字ではありません。"))
    if not recipient.address.strip():
        problem("address", _("住所がありません。"))
    elif not has_prefecture(recipient.address):
        problem("address", _("住所は都道府県から書いてください。"))
    if Source.PHONE in layout.sources and not values[Source.PHONE]:
        problem("phone", _("電話番号がありません。"))
    for source, limit in layout.limits.items():
        if len(values.get(source, "")) > limit:
            field = _FIELD_OF.get(source, "address")
            problem(field, _("%(limit)s文字を超えています。短くしてください。") % {"limit": limit})
    used = [s for s in ADDRESS_LINES if s in layout.sources]
    if used and len(lines_of(recipient.address, layout.line)) > len(used):
        problem(
            "address",
            _("%(lines)s行（1行%(width)s文字）に収まりません。建物名などを短くしてください。")
            % {"lines": len(used), "width": layout.line},
        )
    for field, text in (
        ("name", values[Source.NAME]),
        ("address", recipient.address),
        ("phone", values[Source.PHONE]),
        ("item", values[Source.ITEM]),
    ):
        if not encodable(text, layout.encoding):
            problem(field, _("配送業者のファイル（Shift_JIS）で使えない文字があります。"))
        if safe_cell(text) != text:
            # A spreadsheet would run it as a formula: fixed at the source, never marked
            # on the label the carrier prints.
            problem(field, _("先頭に「=」「+」「-」「@」などの記号があります。消してください。"))
    return found


_FIELD_OF = {
    Source.NAME: "name",
    Source.ADDRESS: "address",
    Source.ADDRESS_REST: "address",
    Source.ITEM: "item",
    Source.SENDER_NAME: "sender",
    Source.SENDER_ADDRESS: "sender",
}


def encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def sender_problems(layout: Layout, sender: Sender) -> list[Problem]:
    """What is missing from the shop's own facts for ``layout`` (checked once a file)."""
    missing = not (sender.name and postal_code(sender.postal_code) and sender.address)
    if Source.SENDER_NAME in layout.sources and missing:
        message = _("お店の名称・郵便番号・住所を「お店の情報」に入れてください。")
        return [Problem("", str(FIELD_LABELS["sender"]), str(message))]
    return []
