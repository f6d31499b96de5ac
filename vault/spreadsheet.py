"""The one guard for text written into a CSV a person will open in a spreadsheet."""

import json
import unicodedata
from collections.abc import Iterable

# A cell starting with one of these is run as a formula by Excel, LibreOffice or Google
# Sheets (the full-width forms too: some spreadsheets fold them to ASCII first).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """One CSV cell as text: lists and dicts as JSON, None as "", and text a spreadsheet
    would run as a formula kept as text by a leading apostrophe."""
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = "" if value is None else str(value)
    if unicodedata.normalize("NFKC", text[:1]).startswith(_FORMULA_START):
        return "'" + text
    return text


# Whether a cell starting with this character needs the guard, per first character seen:
# one dict lookup per cell instead of a normalisation (exports write millions of cells).
_RISKY_FIRST: dict[str, bool] = {}


def safe_text_cells(values: Iterable[str | None]) -> list[str]:
    """``[safe_cell(v) for v in values]`` for decrypted values (text or None), faster.

    The same guard: a cell whose first character NFKC-folds to a formula start gets the
    apostrophe; anything that is not text goes through ``safe_cell`` itself.
    """
    cells = []
    for value in values:
        if value.__class__ is not str or not value:
            cells.append(safe_cell(value))
            continue
        first = value[0]
        risky = _RISKY_FIRST.get(first)
        if risky is None:
            risky = _RISKY_FIRST[first] = unicodedata.normalize("NFKC", first).startswith(
                _FORMULA_START
            )
        cells.append("'" + value if risky else value)
    return cells
