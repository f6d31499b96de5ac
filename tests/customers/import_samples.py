"""Shopify customer CSV samples shared by the import tests (every value is made up)."""

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
):
    return (
        f"7001,{first},{last},{email},yes,,見本町1-2-3,見本ビル201,架空市,JP-13,JP,{zip_code},"
        f',{phone},no,{spent},3,"{note}",no,"vip, 常連"'
    )


def current_csv(*rows):
    return "\r\n".join([CURRENT_HEADER, *rows]) + "\r\n"


TWO_CUSTOMERS = current_csv(
    current_row(),
    current_row(first="太郎", last="佐藤", email="taro@example.com", phone="090-0000-5678"),
)
