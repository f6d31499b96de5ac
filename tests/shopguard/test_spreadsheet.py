import pytest

from shopguard.spreadsheet import safe_cell


@pytest.mark.parametrize(
    "text", ["=HYPERLINK(1)", "-1+1", "+1", "@SUM(A1)", "\tx", "\rx", "＝HYPERLINK(1)", "＋1"]
)
def test_it_keeps_formula_starts_as_text(text):
    assert safe_cell(text) == "'" + text


def test_it_writes_lists_as_json_and_none_as_empty():
    assert safe_cell(["a"]) == '["a"]'
    assert safe_cell({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'
    assert safe_cell(None) == ""
    assert safe_cell("山田 花子") == "山田 花子"
