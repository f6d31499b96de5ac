import json
import logging

from shopguard.log import JsonFormatter, PersonalDataFilter

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
    from shopguard.log import request_id_var

    token = request_id_var.set("req-1")
    try:
        data = json.loads(emit("hello"))
    finally:
        request_id_var.reset(token)
    assert data["request_id"] == "req-1" and data["level"] == "INFO"
