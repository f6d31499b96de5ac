"""What ShopGuard keeps of a name typed at sign-in.

A failed sign-in's name is kept when it is a shop person's account name: that is who was
being tried. Anything else may be a password typed into the wrong box or a customer's
e-mail address, so it is kept only as a keyed tag (``未登録の名前 #1a2b3c4d``): repeated
tries of the same unknown name still meet in the ledger and in the password-guess limit,
while the text itself is stored nowhere.
"""

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth import get_user_model

UNKNOWN_MARK = "未登録の名前 #"
TAG_CHARS = 8


def kept_name(typed: object) -> str:
    """The account name if ``typed`` names an account, else its keyed tag ('' stays '')."""
    typed = str(typed or "")
    if not typed or typed.startswith(UNKNOWN_MARK):
        return typed
    model = get_user_model()
    if model._default_manager.filter(**{model.USERNAME_FIELD: typed}).exists():
        return typed
    message = b"sign-in-name\x00" + typed.encode()
    digest = hmac.new(settings.BLIND_INDEX_KEY, message, hashlib.sha256).hexdigest()
    return UNKNOWN_MARK + digest[:TAG_CHARS]
