"""The measures ShopGuard recommends after an incident, by cause; the owner ticks each."""

from django.utils.translation import gettext_lazy as _

from incidents.models import Incident

C = Incident.Cause
MEASURES = {
    "verify_audit": _("監査記録の改ざんがないか確かめる（manage.py verify_audit）"),
    "review_ledger": _("対象期間の監査記録（閲覧・表示・エクスポート）を見直す"),
    "rotate_keys": _("暗号鍵を更新する（manage.py rotate_keys）"),
    "reset_passwords": _("全員のパスワードと二要素認証を設定し直す"),
    "revoke_person": _("関わった人のアカウントを無効にする"),
    "end_sessions": _("紛失した端末のサインイン中の状態を終わらせる"),
    "review_exports": _("最近のエクスポートと持ち出し記録を見直す"),
    "second_check": _("エクスポートの二重チェック（別の人の承認）を徹底する"),
    "recipient_check": _("送信先・アップロード先を確かめる手順を決める"),
    "recall_mail": _("誤って送った相手に削除を依頼し、その結果を記録する"),
    "card_company": _("カード会社・決済代行会社に連絡する"),
    "inspect_site": _("注文フォームなど入力画面の改ざんを調べる"),
    "police": _("警察に相談する"),
    "train_people": _("関わった人に取り扱いのルールを説明し直す"),
}
BY_CAUSE = {
    C.OUTSIDE_ATTACK: [
        "rotate_keys",
        "reset_passwords",
        "verify_audit",
        "review_ledger",
        "inspect_site",
        "police",
    ],
    C.LOST_MEDIUM: ["review_exports", "second_check", "review_ledger", "police", "train_people"],
    C.LOST_COMPUTER: ["end_sessions", "reset_passwords", "review_ledger", "police"],
    C.MISDIRECTED: ["recall_mail", "recipient_check", "second_check", "review_exports"],
    C.INSIDER: ["revoke_person", "review_ledger", "review_exports", "verify_audit", "police"],
    C.SKIMMING: ["card_company", "inspect_site", "rotate_keys", "reset_passwords", "police"],
    C.OTHER: ["review_ledger", "train_people"],
}


def recommended(incident):
    """[(key, label, Measure or None)] for the incident's cause, in order."""
    done = {measure.key: measure for measure in incident.measures.all()}
    return [(key, MEASURES[key], done.get(key)) for key in BY_CAUSE[incident.cause]]
