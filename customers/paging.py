"""Keyset paging for the customer list: "newer / older" links instead of page numbers.

Page numbers cost a ``COUNT(*)`` over the whole table on every page and an ``OFFSET``
that reads and throws away every row before the page (125 ms for the last page of a
million customers). Keyset paging walks the ``customer_newest_first`` index from where
the page before ended, so every page costs the same, and the list says how many rows it
shows ("50 件表示"), not how many exist.

The cursor in the URL (``?c=``) is a direction and the position of a row: its creation
time in microseconds and its id, both already in the page's links. No personal data.
"""

import uuid
from datetime import UTC, datetime, timedelta

from django.db.models import Q

from customers.services import SEARCH_TOKEN_VAR

CURSOR_VAR = "c"
OLDER, NEWER = "o", "n"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_token(direction, customer):
    """The ``?c=`` value for the rows ``direction`` (OLDER/NEWER) of ``customer``."""
    micros = (customer.created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{direction}{micros}.{customer.pk.hex}"


def read_cursor(token):
    """(direction, created_at, id) from a ``?c=`` value; None for none or a damaged one."""
    if len(token) < 3 or token[0] not in (OLDER, NEWER):
        return None
    micros, _, pk = token[1:].partition(".")
    try:
        return token[0], _EPOCH + timedelta(microseconds=int(micros)), uuid.UUID(hex=pk)
    except (ValueError, OverflowError):
        return None


def page_of(queryset, cursor, size):
    """Up to ``size`` + 1 rows, newest first, from the cursor's position (one extra row
    says whether there is another page that way)."""
    if cursor is None:
        return list(queryset.order_by("-created_at", "-id")[: size + 1])
    direction, created_at, pk = cursor
    # "at or before, and not the same row or newer": the first part is the index range
    # both databases can walk, the second only drops the rows sharing the cursor's time.
    if direction == OLDER:
        rows = queryset.filter(
            Q(created_at__lt=created_at) | Q(id__lt=pk), created_at__lte=created_at
        )
        return list(rows.order_by("-created_at", "-id")[: size + 1])
    rows = queryset.filter(Q(created_at__gt=created_at) | Q(id__gt=pk), created_at__gte=created_at)
    return list(rows.order_by("created_at", "id")[: size + 1])[::-1]


class KeysetChangeList:
    """Mixin for a ChangeList: ``get_results`` by keyset, with ``newer_url``/``older_url``."""

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        lookup_params.pop(CURSOR_VAR, None)
        return lookup_params

    def get_results(self, request):
        size = self.list_per_page
        cursor = read_cursor(request.GET.get(CURSOR_VAR, ""))
        rows = page_of(self.queryset, cursor, size)
        more = len(rows) > size
        if cursor is not None and cursor[0] == NEWER:
            rows, has_newer, has_older = rows[-size:], more, True
        else:
            rows, has_newer, has_older = rows[:size], cursor is not None, more
        self.result_list = rows
        self.result_count = len(rows)  # shown on this page: nothing counts the table
        self.full_result_count = None
        self.show_full_result_count = False
        self.show_admin_actions = True
        self.can_show_all = self.multi_page = False
        self.paginator = None
        self.newer_url = self.cursor_url(NEWER, rows[0]) if rows and has_newer else None
        self.older_url = self.cursor_url(OLDER, rows[-1]) if rows and has_older else None

    def cursor_url(self, direction, row):
        keep = {SEARCH_TOKEN_VAR} & set(self.params)
        return self.get_query_string(
            {CURSOR_VAR: cursor_token(direction, row)},
            remove=[name for name in self.params if name not in keep],
        )
