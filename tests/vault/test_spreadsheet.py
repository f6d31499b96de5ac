from pathlib import Path

import pytest

from vault.spreadsheet import safe_cell


@pytest.mark.parametrize(
    "text",
    [
        "=HYPERLINK(1)",
        "-1+1",
        "+1",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "＝HYPERLINK(1)",
        "＋1",
        "－1",
        "＠A1",
    ],
)
def test_it_keeps_formula_starts_as_text(text):
    assert safe_cell(text) == "'" + text


def test_it_writes_lists_as_json_and_none_as_empty():
    assert safe_cell(["a"]) == '["a"]'
    assert safe_cell({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'
    assert safe_cell(None) == ""
    assert safe_cell("山田 花子") == "山田 花子"


def test_every_csv_the_app_writes_goes_through_the_guard():
    """Each CSV writer is listed here, calls safe_cell (or safe_text_cells), and has its
    own formula test (tests/exports/test_exports.py, tests/audit/test_ledger_csv.py,
    tests/shipping/test_carriers.py, tests/dashboard/test_evidence.py)."""
    root = Path(__file__).resolve().parents[2]
    sources = [
        path
        for path in root.glob("*/**/*.py")
        if not {".venv", "tests", "migrations"} & set(path.relative_to(root).parts)
    ]
    writers = sorted(
        str(path.relative_to(root))
        for path in sources
        if "csv.writer(" in (text := path.read_text()) or "csv.DictWriter(" in text
    )
    assert writers == [
        "audit/admin.py",
        "dashboard/pack.py",
        "exports/archive.py",
        "exports/takeout.py",
        "shipping/services.py",
    ]
    guards = ("safe_cell(", "safe_text_cells(")
    # The label file's rows are guarded where they are built (shipping/labels.py).
    guarded = {path: path.replace("services.py", "labels.py") for path in writers}
    assert all(any(g in (root / guarded[path]).read_text() for g in guards) for path in writers)


def test_the_fast_guard_for_decrypted_text_agrees_with_safe_cell():
    from vault.spreadsheet import safe_cell, safe_text_cells

    values = ["=1+1", "＝SUM(A1)", "+81", "－5", "@x", "\tx", "\rx", "山田", "", None, "a=b"]
    values += ["ｰ", "﹦x", "＠", "-", "0120-00"]
    assert safe_text_cells(values) == [safe_cell(v) for v in values]
    assert safe_text_cells(values) == [safe_cell(v) for v in values]  # from the cache too
