"""Each personal field's facts are declared once (customers.fields) and everything that
needs them agrees: the model, the masks, exports, provision records and the log filter."""

import logging

from customers import fields
from customers.models import PERSONAL_FIELDS, Customer
from exports import services
from exports.forms import ExportRequestForm
from policy.models import ThirdPartyProvision
from vault import log
from vault.encryption import encrypted_values


def test_the_table_declares_every_personal_field_of_the_model_in_order():
    sealed = [f.name for f in encrypted_values(Customer) if f.record == "sealed"]
    assert list(PERSONAL_FIELDS) == [f.name for f in fields.FIELDS]
    assert set(sealed) == set(PERSONAL_FIELDS)


def test_the_model_labels_come_from_the_table():
    for field in fields.FIELDS:
        assert Customer._meta.get_field(field.name).verbose_name == field.label


def test_every_personal_field_has_a_mask():
    assert set(fields.MASKS) == set(PERSONAL_FIELDS)


def test_card_data_is_never_exportable():
    assert not {"card_token", "card_brand", "card_last4", "card_exp"} & {
        *services.EXPORTABLE_FIELDS
    }
    assert services.EXPORTABLE_FIELDS == [f.name for f in fields.FIELDS if f.exportable]


def test_every_exportable_field_names_a_provision_item_the_policy_app_knows():
    for name in services.EXPORTABLE_FIELDS:
        assert fields.PROVISION_ITEMS[name] in ThirdPartyProvision.DataItem.values, name


def test_the_export_form_offers_exactly_the_exportable_fields_with_their_labels():
    choices = ExportRequestForm().fields["fields"].choices
    assert choices == [(name, fields.label(name)) for name in services.EXPORTABLE_FIELDS]


def test_every_personal_field_is_scrubbed_from_logs():
    assert set(PERSONAL_FIELDS) <= log.PERSONAL_KEYS
    # "name" is the logger's own name on every record; every other field can be an extra.
    extras = {name: "secret value 山田" for name in PERSONAL_FIELDS if name != "name"}
    record = logging.makeLogRecord({"msg": "saved", **extras})
    log.PersonalDataFilter().filter(record)
    assert not set(extras) & set(vars(record))
