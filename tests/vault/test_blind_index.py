import pytest

from vault import blind_index as bi
from vault.keys import decode_key, new_raw_key


@pytest.mark.parametrize(
    "spelling",
    [
        "hanako@example.jp",
        " Hanako@Example.JP ",
        "ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ",
        "HANAKO@EXAMPLE.JP\t",
    ],
)
def test_email_spellings_share_one_index(spelling):
    assert bi.blind_index("email", spelling) == bi.blind_index("email", "hanako@example.jp")


@pytest.mark.parametrize(
    "spelling",
    [
        "090-1234-5678",
        "09012345678",
        "+81 90 1234 5678",
        "+819012345678",
        "０９０－１２３４－５６７８",
    ],
)
def test_phone_spellings_share_one_index(spelling):
    assert bi.normalise("phone", spelling) == "+819012345678"
    assert bi.blind_index("phone", spelling) == bi.blind_index("phone", "090-1234-5678")


@pytest.mark.parametrize("spelling", ["山田 花子", "山田　花子", "山田花子", " 山田  花子 "])
def test_name_spellings_share_one_index(spelling):
    assert bi.blind_index("name", spelling) == bi.blind_index("name", "山田花子")


def test_full_width_latin_names_meet_half_width_ones():
    assert bi.blind_index("name", "ＹＡＭＡＤＡ Ｈａｎａｋｏ") == bi.blind_index(
        "name", "YAMADAHanako"
    )


def test_different_values_get_different_indexes():
    assert bi.blind_index("email", "a@example.jp") != bi.blind_index("email", "b@example.jp")
    assert bi.blind_index("phone", "090-1234-5678") != bi.blind_index("phone", "090-1234-5679")


def test_the_kind_is_part_of_the_index():
    assert bi.blind_index("email", "0901234") != bi.blind_index("name", "0901234")


def test_the_index_depends_on_the_key(settings):
    before = bi.blind_index("email", "hanako@example.jp")
    settings.BLIND_INDEX_KEY = decode_key("BLIND_INDEX_KEY", new_raw_key())
    after = bi.blind_index("email", "hanako@example.jp")
    assert before != after
    other_key = decode_key("k", new_raw_key())
    assert bi.blind_index("email", "hanako@example.jp", key=other_key) not in {before, after}


def test_the_index_keeps_32_bits():
    value = bi.blind_index("email", "hanako@example.jp")
    assert bi.INDEX_BITS == 32
    assert len(value) == 8
    assert int(value, 16) < 2**32


def test_empty_values_have_no_index():
    assert bi.blind_index("email", "") == ""
    assert bi.blind_index("email", "   ") == ""
    assert bi.blind_index("phone", None) == ""
