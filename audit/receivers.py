"""Sign-in events, recorded from Django's signals, and unrecorded reads.

The password never reaches the ledger. A failed sign-in keeps the typed name only when it
is a shop person's account name, otherwise a keyed tag of it (vault/typed_names.py). The
lockout (auth.lockout) is recorded where the limit refuses, in accounts.backends.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from audit.actions import Action, Outcome
from audit.ledger import record
from vault.typed_names import kept_name


def signed_in(sender, request, user, **kwargs):
    record(Action.SIGN_IN, request=request, actor=user, target=user)


def signed_out(sender, request, user, **kwargs):
    record(Action.SIGN_OUT, request=request, actor=user, target=user)


def sign_in_failed(sender, credentials, request=None, **kwargs):
    record(
        Action.SIGN_IN_FAILED,
        request=request,
        outcome=Outcome.REFUSED,
        username=_typed_username(credentials),
        detail={"reason": "credentials"},
    )


def _typed_username(credentials):
    field = get_user_model().USERNAME_FIELD
    return kept_name(credentials.get(field) or credentials.get("username"))


def unrecorded_read(instance, field):
    """A decryption outside the reading path (production mode of vault.reads): its
    model, field and row, and the customer it belongs to; never the value."""
    from audit.middleware import current_request

    data, label = instance.__dict__, instance._meta.label_lower
    customer = data.get("id") if label == "customers.customer" else data.get("customer_id")
    record(
        Action.CUSTOMER_UNRECORDED_READ,
        request=current_request(),
        target=(label, instance.pk),
        customers=[customer] if customer else [],
        detail={"model": label, "field": field.name},
    )


def connect():
    from vault import reads

    reads.set_recorder(unrecorded_read)

    user_logged_in.connect(signed_in, dispatch_uid="audit_sign_in")
    user_logged_out.connect(signed_out, dispatch_uid="audit_sign_out")
    user_login_failed.connect(sign_in_failed, dispatch_uid="audit_sign_in_failed")
