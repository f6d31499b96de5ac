"""Hypothesis strategies for hostile form input: what a careless or malicious person types.

Every strategy yields values the test client can send: text is drawn from the UTF-8
codec, so lone surrogates (which no browser can put into a request body) never appear.
"""

import codecs

from hypothesis import strategies as st

FULL_WIDTH = str.maketrans("0123456789 -", "０１２３４５６７８９\u3000－")


def luhn_check_digit(body):
    """The digit that makes ``body`` + digit pass the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(body)):
        value = int(char)
        if position % 2 == 0:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return str((10 - total % 10) % 10)


@st.composite
def card_numbers(draw):
    """A Luhn-valid 13–19 digit number, written as people write them: plain, in groups
    of four with spaces or dashes, in full width, or inside a sentence."""
    length = draw(st.integers(13, 19))
    first = draw(st.sampled_from("3456"))
    body = first + "".join(
        draw(st.lists(st.sampled_from("0123456789"), min_size=length - 2, max_size=length - 2))
    )
    number = body + luhn_check_digit(body)
    separator = draw(st.sampled_from(["", " ", "-"]))
    if separator:
        number = separator.join(number[i : i + 4] for i in range(0, len(number), 4))
    if draw(st.booleans()):
        number = number.translate(FULL_WIDTH)
    before = draw(st.sampled_from(["", "カード番号は", "card: ", "Tel "]))
    after = draw(st.sampled_from(["", "です", " 12/28", "\n"]))
    return before + number + after


HTML = [
    "<script>alert('fz')</script>",
    '"><script>alert(1)</script>',
    "<img src=x onerror=alert(1)>",
    "'><svg onload=alert(1)>",
    "</textarea><script>alert(2)</script>",
    "javascript:alert(1)",
    "{{ 7*7 }}{% debug %}",
    "&lt;script&gt;",
]
# Raw in a page, these would run: none may ever come back unescaped.
RAW_MARKERS = ("<script>alert", "<img src=x", "<svg onload", "</textarea><script")
FORMULAS = [
    "=cmd|' /C calc'!A0",
    "＝cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "＋1",
]
SQL = [
    "' OR '1'='1",
    "'; DROP TABLE customers_customer; --",
    '" OR ""="',
    "1; SELECT pg_sleep(5)",
    "%",
    "_",
    "\\",
    "%' AND 1=1 --",
    "' UNION SELECT password FROM auth_user --",
]
ODD = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202e\u202dabc",  # right-to-left override
    "\u200f\u200e",  # RTL / LTR marks
    "\u200b\ufeff",  # zero width space, BOM
    "🎉👨‍👩‍👧‍👦🇯🇵",
    "𠮷野家",
    "ｶﾀｶﾅ",
    "①②③",
    "²³¹",
    "٣٤٥",
    "１２３",
    "Ｚ̤͔ͧ̑̓̏",
    "\r\n\r\n",
    "../../etc/passwd",
    "null",
    "None",
    "true",
    "NaN",
    "-1",
    "0",
    "99999999999999999999999999",
    "1e309",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "00000000-0000-0000-0000-000000000000",
]
FIELD_NAMES = [
    "is_superuser",
    "is_staff",
    "groups",
    "user_permissions",
    "status",
    "requested_by",
    "decided_by",
    "number",
    "content_hash",
    "published_at",
    "id",
    "pk",
    "next",
    "_save",
    "_continue",
    "_addanother",
    "_popup",
    "_to_field",
    "_changelist_filters",
    "csrfmiddlewaretoken",
    "decision",
    "post",
]

unicode_text = st.text(st.characters(codec="utf-8"), max_size=40)
control_text = st.text(
    st.characters(codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp"]), max_size=10
)
full_width_digits = st.text(st.sampled_from("０１２３４５６７８９－　"), min_size=1, max_size=22)
digit_runs = st.text(st.sampled_from("0123456789 -"), min_size=1, max_size=25)
# Past every max_length but the policy body's 5000; one longer value now and then.
long_text = st.one_of(
    st.builds(
        lambda piece, times: piece * times,
        st.sampled_from(["a", "あ", "🎉", "<b>", "4", "="]),
        st.integers(256, 1200),
    ),
    st.just("あ" * 6000),
)
uuids = st.uuids().map(str)

atoms = st.one_of(
    st.sampled_from(HTML),
    st.sampled_from(FORMULAS),
    st.sampled_from(SQL),
    st.sampled_from(ODD),
    card_numbers(),
    unicode_text,
    control_text,
    full_width_digits,
    digit_runs,
    uuids,
    st.integers().map(str),
)
# One value of a text input: an atom, a few glued together, or a very long one.
hostile_text = st.one_of(
    atoms,
    st.lists(atoms, min_size=2, max_size=4).map("".join),
    long_text,
)


def text_or(*good):
    """A field's value: sometimes one of the ``good`` ones, otherwise hostile text."""
    if not good:
        return hostile_text
    return st.one_of(st.sampled_from(good), hostile_text)


@st.composite
def form_posts(draw, fields):
    """POST data for a form whose fields are ``{name: strategy}``: each field present,
    missing, or sent several times, plus a few fields the form does not have."""
    data = {}
    for name, values in fields.items():
        shape = draw(st.integers(0, 9))
        if shape == 0:
            continue
        data[name] = draw(st.lists(values, min_size=2, max_size=3)) if shape == 1 else draw(values)
    extra = draw(
        st.dictionaries(
            st.one_of(st.sampled_from(FIELD_NAMES), st.from_regex(r"[a-z_]{1,12}", fullmatch=True)),
            hostile_text,
            max_size=2,
        )
    )
    for name, value in extra.items():
        data.setdefault(name, value)
    return data


def _encode(text, encoding):
    if encoding == "cp932":
        return text.encode("cp932", errors="replace")
    return codecs.encode(text, encoding)


CSV_HEADERS = [
    "First Name",
    "Last Name",
    "Email",
    "Phone",
    "Default Address Address1",
    "Default Address City",
    "Default Address Province Code",
    "Default Address Zip",
    "Default Address Phone",
    "Accepts Email Marketing",
    "Total Spent",
    "Total Orders",
    "Note",
    "Tags",
    "Tax Exempt",
    "Customer ID",
    "ｅｍａｉｌ",
    "=cmd|' /C calc'!A0",
]
CSV_CELLS = st.one_of(
    st.sampled_from(["山田", "花子", "hanako@example.com", "090-1234-5678", "13", "JP-13"]),
    st.sampled_from(["yes", "no", "1,234", "-5", "'090-1234-5678", "160-0023", "x@y"]),
    hostile_text,
)
# One cell past the csv module's field limit (131,072 characters).
HUGE_CELL = "x" * 140_000


@st.composite
def csv_files(draw):
    """A customer CSV as bytes: a plausible header and rows of hostile cells, in UTF-8
    (with or without BOM) or CP932, sometimes spliced with bytes that decode as neither."""
    header = draw(st.lists(st.sampled_from(CSV_HEADERS), min_size=0, max_size=8))
    rows = draw(st.lists(st.lists(CSV_CELLS, max_size=9), max_size=4))
    if draw(st.integers(0, 19)) == 0:
        rows.append([HUGE_CELL])
    quote = draw(st.booleans())

    def cell(value):
        if quote or any(c in value for c in ',"\r\n'):
            return '"' + value.replace('"', '""') + '"'
        return value

    newline = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    text = newline.join(",".join(cell(v) for v in row) for row in [header, *rows])
    data = _encode(text, draw(st.sampled_from(["utf-8", "utf-8-sig", "cp932"])))
    splice = draw(st.sampled_from([b"", b"\xff\xfe", b"\x80", b"\xed\xa0\x80", b"\x00", b"\x82"]))
    if splice:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + splice + data[at:]
    return draw(st.one_of(st.just(data), st.just(data), st.binary(max_size=300)))
