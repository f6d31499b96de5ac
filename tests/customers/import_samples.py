"""Shopify customer CSV samples shared by the import tests (every value is made up)."""

import zlib

CURRENT_HEADER = (
    "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,"
    "Default Address Address1,Default Address Address2,Default Address City,"
    "Default Address Province Code,Default Address Country Code,Default Address Zip,"
    "Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,"
    "Tax Exempt,Tags"
)
OLD_HEADER = (
    "First Name,Last Name,Email,Company,Address1,Address2,City,Province,Province Code,"
    "Country,Country Code,Zip,Phone,Accepts Marketing,Total Spent,Total Orders,Tags,Note,"
    "Tax Exempt"
)


def current_row(
    first="花子",
    last="山田",
    email="hanako@example.jp",
    phone="'+81 90-0000-1234",
    note="",
    zip_code="'000-0001",
    spent="1200.00",
    customer_id=None,
):
    # Shopify gives every customer its own id: by default one made from the e-mail.
    if customer_id is None:
        customer_id = 7000 + zlib.crc32(email.encode())
    return (
        f"{customer_id},{first},{last},{email},yes,,見本町1-2-3,見本ビル201,架空市,JP-13,JP,{zip_code},"
        f',{phone},no,{spent},3,"{note}",no,"vip, 常連"'
    )


def current_csv(*rows):
    return "\r\n".join([CURRENT_HEADER, *rows]) + "\r\n"


TWO_CUSTOMERS = current_csv(
    current_row(),
    current_row(first="太郎", last="佐藤", email="taro@example.com", phone="090-0000-5678"),
)


def luhn_valid_id(prefix="657882327465"):
    """A 13-digit Shopify-like customer id that passes the Luhn check (a card number's)."""
    for last in "0123456789":
        digits = prefix + last
        total = sum(
            (int(d) * 2 - 9 if int(d) > 4 else int(d) * 2) if i % 2 else int(d)
            for i, d in enumerate(reversed(digits))
        )
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable: one check digit always fits")
