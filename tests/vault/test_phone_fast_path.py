"""The fast path for Japanese phone numbers gives exactly phonenumbers' answers.

Every generated number (well-formed, oddly written and invalid) is normalised and
validated both ways, through ShopGuard and through phonenumbers alone.
"""

import random
import unicodedata

import phonenumbers
import pytest
from django.core.exceptions import ValidationError

from customers.validators import validate_phone
from vault.blind_index import normalise_phone, well_formed_japanese_e164

# At least 100,000 numbers: enough to meet every prefix class and separator many times.
GENERATED = 100_000
FULL_WIDTH = str.maketrans("0123456789-()+ ", "０１２３４５６７８９－（）＋　")


def reference(value):
    """(normalised, possible) as before the fast path: phonenumbers for everything."""
    if not value:
        return "", True  # a blank phone is allowed; it has no index
    unstripped = unicodedata.normalize("NFKC", value)
    text = unstripped.strip()
    try:
        number = phonenumbers.parse(text, "JP")
    except phonenumbers.NumberParseException:
        return "".join(ch for ch in text if ch.isdigit() or ch == "+"), False
    if unstripped != text:  # the validator parses the value as typed
        number_as_typed = phonenumbers.parse(unstripped, "JP")
    else:
        number_as_typed = number
    possible = phonenumbers.is_possible_number(number_as_typed)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), possible


def shopguard(value):
    try:
        validate_phone(value)
    except ValidationError:
        return normalise_phone(value), False
    return normalise_phone(value), True


def digits(rng, count):
    return "".join(rng.choice("0123456789") for _ in range(count))


def national(rng):
    """A national number as digit groups: mobile, IP, free dial, landlines, odd ones."""
    kind = rng.randrange(10)
    if kind == 0:
        return [rng.choice(["070", "080", "090"]), digits(rng, 4), digits(rng, 4)]
    if kind == 1:
        return ["050", digits(rng, 4), digits(rng, 4)]
    if kind == 2:
        return [rng.choice(["0120", "0570"]), digits(rng, 3), digits(rng, 3)]
    if kind == 3:
        return ["0800", digits(rng, 3), digits(rng, 4)]
    if kind in (4, 5, 6):
        area_digits = rng.randint(1, 4)  # area codes of 1-4 digits after the 0
        area = "0" + rng.choice("123456789") + digits(rng, area_digits - 1)
        rest = 9 - area_digits
        local = rng.randint(1, 4) if rest > 4 else 1
        subscriber = digits(rng, rest)
        return [area, subscriber[:local], subscriber[local:]]
    if kind == 7:  # wrong lengths, international prefix, leading zeros
        head = rng.choice(["0", "00", "010", "01", "0" + digits(rng, 1), ""])
        return [head + digits(rng, rng.randint(0, 13))]
    if kind == 8:  # any digits at all
        return [digits(rng, rng.randint(1, 14))]
    return [rng.choice(["090", "03", "0120"]), digits(rng, rng.randint(0, 6)), digits(rng, 4)]


def written(rng, groups):
    """The groups as a person might type them."""
    style = rng.randrange(12)
    if style == 0:
        text = "".join(groups)
    elif style == 1:
        text = " ".join(groups)
    elif style == 2 and len(groups) == 3:
        text = f"({groups[0]}) {groups[1]}-{groups[2]}"
    elif style == 3 and len(groups) == 3:
        text = f"{groups[0]}({groups[1]}){groups[2]}"
    elif style == 4:
        text = "+81 " + "-".join(
            [groups[0][1:] if groups[0][:1] == "0" else groups[0], *groups[1:]]
        )
    elif style == 5:
        text = "+81" + "".join(groups).removeprefix("0")
    elif style == 6:
        text = "+81 (0)" + "-".join([groups[0][1:], *groups[1:]])
    elif style == 7:  # noise: other separators, letters, extensions, other countries
        noise = rng.choice(["ー", ".", "/", "x12", " ext. 3", "#", "a", "--", "+82 ", "tel:", "\t"])
        text = "-".join(groups)
        position = rng.randrange(len(text) + 1)
        text = text[:position] + noise + text[position:]
    elif style == 8:  # digits of another script
        text = "-".join(groups).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    else:
        text = "-".join(groups)
    if rng.random() < 0.2:
        text = text.translate(FULL_WIDTH)
    if rng.random() < 0.05:
        text = f" {text} "
    return text


@pytest.mark.slow
def test_the_fast_path_normalises_and_validates_exactly_as_phonenumbers():
    rng = random.Random(20261201)
    numbers = [written(rng, national(rng)) for _ in range(GENERATED)]
    disagreements = [n for n in numbers if shopguard(n) != reference(n)]
    assert disagreements[:20] == []
    taken = sum(
        well_formed_japanese_e164(unicodedata.normalize("NFKC", n).strip()) is not None
        for n in numbers
    )
    assert taken > GENERATED // 3  # the usual shapes really take the fast path


@pytest.mark.parametrize(
    "text",
    ["090-1234-5678", "03-1234-5678", "0120-123-456", "+81 90 1234 5678", "(045)123-4567"],
)
def test_well_formed_numbers_take_the_fast_path(text):
    assert well_formed_japanese_e164(text) == reference(text)[0]


@pytest.mark.parametrize(
    "text", ["010-1234-5678", "090-1234-56", "+82 10 1234 5678", "03-1234-5678 x1"]
)
def test_other_numbers_go_to_phonenumbers(text):
    assert well_formed_japanese_e164(text) is None
