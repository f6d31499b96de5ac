import json
import logging

from vault.log import JsonFormatter, PersonalDataFilter

MARKERS = ["hanako.marker@example.com", "090-1234-5678", "4242 4242 4242 4242", "+81 3 1234 5678"]


def emit(message, *args, **extra):
    record = logging.makeLogRecord(
        {"name": "shop", "levelname": "INFO", "levelno": 20, "msg": message, "args": args}
    )
    for key, value in extra.items():
        setattr(record, key, value)
    assert PersonalDataFilter().filter(record) is True  # scrubbed, never dropped silently
    return JsonFormatter().format(record)


def test_it_scrubs_personal_data_from_messages():
    line = emit("customer %s phoned from %s, card %s, %s", *MARKERS)
    for marker in MARKERS:
        assert marker not in line
    data = json.loads(line)
    assert data["message"] == "customer [email] phoned from [number], card [number], [number]"


def test_it_scrubs_full_width_digits():
    line = emit("電話 ０９０－１２３４－５６７８")
    assert "１２３４" not in line and "1234" not in line


def test_it_drops_personal_extra_fields_and_scrubs_the_rest():
    line = emit(
        "saved", email="hanako.marker@example.com", address="山田花子方", note="call 090-1234-5678"
    )
    data = json.loads(line)
    assert "email" not in data and "address" not in data
    assert "山田花子" not in line and "090-1234-5678" not in line


def test_it_keeps_only_the_exception_type():
    try:
        raise ValueError("hanako.marker@example.com")
    except ValueError:
        import sys

        record = logging.makeLogRecord({"msg": "failed", "exc_info": sys.exc_info()})
    PersonalDataFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "hanako" not in line and json.loads(line)["exception"] == "ValueError"


def test_it_writes_one_json_object_per_line_with_the_request_id():
    from vault.log import request_id_var

    token = request_id_var.set("req-1")
    try:
        data = json.loads(emit("hello"))
    finally:
        request_id_var.reset(token)
    assert data["request_id"] == "req-1" and data["level"] == "INFO"


CUSTOMER_ID = "3f2a8b1c-1234-4567-8901-234567890abc"
REQUEST_ID = "0b5e4f7a-9c21-4123-8456-789012345678"  # digit runs an old scrub ate


def test_it_keeps_uuids_in_paths_whole():
    path = f"/admin/customers/customer/{CUSTOMER_ID}/change/"
    data = json.loads(emit("GET %s 200", path, path=path))
    assert data["message"] == f"GET {path} 200"
    assert data["path"] == path


def test_it_keeps_the_request_id_whole():
    upper = REQUEST_ID.upper()
    data = json.loads(emit("request %s failed", REQUEST_ID, request_id_seen=upper))
    assert data["message"] == f"request {REQUEST_ID} failed"
    assert data["request_id_seen"] == upper


def test_it_still_scrubs_numbers_next_to_a_uuid():
    line = emit(f"customer {CUSTOMER_ID} phoned from 090-1234-5678, card 4242-4242-4242-4242")
    data = json.loads(line)
    assert data["message"] == f"customer {CUSTOMER_ID} phoned from [number], card [number]"
    assert json.loads(emit(f"/x/{CUSTOMER_ID}/09012345678"))["message"] == (
        f"/x/{CUSTOMER_ID}/[number]"
    )


def test_digits_shaped_like_a_uuid_are_still_scrubbed():
    shaped = "42424242-4242-4242-4242-424242424242"
    assert "4242" not in emit(f"value {shaped}")
    assert "4242" not in emit("value ４２４２４２４２-4242-4242-4242-424242424242")
