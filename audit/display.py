"""How ledger entries read for a shop owner: labels for roles, fields and detail keys,
and one date format.

The ledger stores codes (``customer.reveal``, ``phone``, ``owner``) so that it never
changes meaning; every page and the CSV turn them into words here. The audit app imports
no other app, so the customers app hands over its field labels at start-up
(``register_field_labels``) instead of being imported.
"""

from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from audit.actions import Action, Outcome
from vault.roles import ROLE_LABELS

JAPAN = ZoneInfo("Asia/Tokyo")
# The times the ledger shows are Japan time, and its column says so.
WHEN = _("日時（日本時間）")


def in_english():
    return (get_language() or "ja").startswith("en")


def join_words(words):
    """Words as one list: 氏名、メールアドレス / Name, E-mail address."""
    return (", " if in_english() else "、").join(str(word) for word in words)


# Field name -> label, filled by the apps that own the fields (see module docstring).
_FIELD_LABELS = {}


def register_field_labels(labels):
    """Let the ledger name fields in words: ``labels`` maps a field name to its label."""
    _FIELD_LABELS.update(labels)


# Reason code -> label, filled the same way (a reveal records "code" or "code: note").
_REASON_LABELS = {}


def register_reason_labels(labels):
    """Let the ledger say a recorded reason in words: ``labels`` maps a code to its label."""
    _REASON_LABELS.update(labels)


def reason_words(recorded):
    """A recorded reason in words: the code's label, then the person's note if any."""
    code, _sep, note = str(recorded or "").partition(": ")
    label = _REASON_LABELS.get(code)
    if label is None:
        return str(recorded or "")
    return f"{label}: {note}" if note else str(label)


def field_label(name):
    """The label of a recorded field name; a name nobody registered is shown as it is."""
    return _FIELD_LABELS.get(name, name)


def choice_label(choices, value):
    """The label of a ledger name; names from before a rename are shown as they are.
    (A look-up by value, not ``value in choices.values``, which builds the list of
    every name on each call: a ledger page asks for a label per row and column.)"""
    try:
        return choices(value).label
    except ValueError:
        return value


def action_label(value):
    return choice_label(Action, value)


def outcome_label(value):
    return choice_label(Outcome, value)


def role_label(role):
    return ROLE_LABELS.get(role, role)


_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def format_when(moment):
    """A time as people read it, in Japan time: 2026年12月2日 14:05 / 2 Dec 2026, 14:05."""
    if moment is None:
        return ""
    local = timezone.localtime(moment, JAPAN)
    if in_english():
        return f"{local.day} {_MONTHS[local.month - 1]} {local.year}, {local:%H:%M}"
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def format_csv_time(moment):
    """A time for a spreadsheet, in Japan time (the header names the zone)."""
    return timezone.localtime(moment, JAPAN).strftime("%Y-%m-%d %H:%M:%S")


# What each detail key means. Keys not listed are shown with the key itself as label.
DETAIL_LABELS = {
    "field": _("項目"),
    "fields": _("項目"),
    "items": _("項目"),
    "reason": _("理由"),
    "reason_code": _("理由"),
    "model": _("画面"),
    "view": _("画面"),
    "search": _("検索"),
    "shown": _("表示した件数"),
    "filters": _("絞り込み"),
    "purpose": _("利用目的"),
    "recipient": _("提供先"),
    "rows": _("件数"),
    "count": _("件数"),
    "customers": _("顧客数"),
    "purchases": _("購入履歴の件数"),
    "purchases_kept": _("残した購入履歴の件数"),
    "self_approved": _("自己承認"),
    "role": _("役割"),
    "old": _("変更前の役割"),
    "new": _("変更後の役割"),
    "sessions_ended": _("終了したセッション数"),
    "own": _("本人による操作"),
    "usable": _("パスワードの利用"),
    "left": _("残りの復旧コード"),
    "step": _("段階"),
    "kind": _("種類"),
    "number": _("版"),
    "version": _("版"),
    "based_on": _("元の版"),
    "effective_date": _("施行日"),
    "material_change": _("重要な変更"),
    "channel": _("同意の方法"),
    "basis": _("根拠"),
    "deleted": _("削除した件数"),
    "removed": _("削除した件数"),
    "retention_years": _("保存年数"),
    "format": _("形式"),
    "created": _("追加した件数"),
    "updated": _("更新した件数"),
    "problems": _("問題の件数"),
    "encoding": _("文字コード"),
    "re_encrypted": _("再暗号化した件数"),
    "blind_indexes_rebuilt": _("作り直した検索用索引の件数"),
    "cause_seq": _("原因の監査記録"),
    "alert_seq": _("警告の監査記録"),
    "subject_id": _("対象の利用者ID"),
    "method": _("リクエストの方法"),
    "path": _("ページ"),
    "before": _("基準日時"),
    "import": _("取り込みの番号"),
    "part": _("分けた記録の何番目"),
    "parts": _("分けた記録の数"),
    "unchanged": _("変更のなかった件数"),
    "kept_lost": _("失われた文字のため残した値の数"),
    "period": _("期間"),
    "period_start": _("期間の始まり"),
    "period_end": _("期間の終わり（この日を含まない）"),
    "findings": _("所見"),
}
# Facts only a verifier uses (keys, hashes, chain anchors): folded into "technical details".
TECHNICAL_KEYS = frozenset({"key_id", "anchor", "first_seq", "after", "sha256", "archive_sha256"})
# Recorded codes that have words of their own.
VALUE_LABELS = {
    "credentials": _("名前またはパスワードの誤り"),
    "lockout": _("一時停止中"),
    "quota": _("表示回数の上限"),
    "internal": _("社内"),
    "third_party": _("第三者"),
    "list": _("一覧"),
    "entry": _("1件の詳細"),
    "csv": _("CSV"),
    "review": _("アクセスの点検"),
    "none": _("なし"),
}
_FIELD_KEYS = frozenset({"field", "fields", "items"})


def detail_value(key, value):
    """One recorded value as words: yes/no, counts with separators, field labels."""
    if isinstance(value, bool):
        return _("はい") if value else _("いいえ")
    if isinstance(value, int):
        return f"{value:,}"
    if key in _FIELD_KEYS:
        names = value if isinstance(value, list) else [value]
        return join_words(field_label(n) for n in names) or "—"
    if key == "role" or key in ("old", "new"):
        return role_label(value) if value else "—"
    if isinstance(value, dict):
        return join_words(f"{k}: {v}" for k, v in value.items()) or "—"
    if isinstance(value, list):
        return join_words(value) or "—"
    if value in (None, ""):
        return "—"
    if key == "reason":
        return reason_words(value)
    return VALUE_LABELS.get(value, value)


def detail_rows(detail):
    """(plain rows, technical rows) of an entry's detail, each a list of (label, value)."""
    plain, technical = [], []
    for key, value in (detail or {}).items():
        rows = technical if key in TECHNICAL_KEYS else plain
        rows.append((DETAIL_LABELS.get(key, key), detail_value(key, value)))
    return plain, technical
