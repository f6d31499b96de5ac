"""The one guard for text written into a CSV a person will open in a spreadsheet."""

import json
import unicodedata

# A cell starting with one of these is run as a formula by Excel, LibreOffice or Google
# Sheets (the full-width forms too: some spreadsheets fold them to ASCII first).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """One CSV cell as text: lists and dicts as JSON, None as "", and text a spreadsheet
    would run as a formula kept as text by a leading apostrophe."""
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = "" if value is None else str(value)
    if unicodedata.normalize("NFKC", text[:1]).startswith(_FORMULA_START):
        return "'" + text
    return text
