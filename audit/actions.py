"""Every action and outcome the ledger knows, as code.

``record()`` refuses any other name, so a typo fails in a test instead of silently
counting as something else; alerts, limits and views compare with these constants, and
the ledger's pages and CSV show each one's label.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    # Signing in and the second factor
    SIGN_IN = "auth.sign_in", _("サインイン")
    SIGN_IN_FAILED = "auth.sign_in_failed", _("サインインの失敗")
    SIGN_OUT = "auth.sign_out", _("サインアウト")
    LOCKOUT = "auth.lockout", _("サインインの一時停止")
    SECOND_FACTOR_FAILED = "auth.2fa_failed", _("確認コードの誤り")
    SECOND_FACTOR_ENROLLED = "auth.2fa_enrolled", _("二要素認証の設定")
    RECOVERY_CODE_USED = "auth.recovery_code_used", _("復旧コードの使用")
    RECOVERY_CODES_RENEWED = "auth.recovery_codes_renewed", _("復旧コードの再発行")
    # The shop's people
    ACCOUNT_CREATE = "account.create", _("利用者の追加")
    ACCOUNT_ROLE_CHANGE = "account.role_change", _("役割の変更")
    ACCOUNT_DEACTIVATE = "account.deactivate", _("利用者の無効化")
    ACCOUNT_REACTIVATE = "account.reactivate", _("利用者の再有効化")
    ACCOUNT_PASSWORD_SET = "account.password_set", _("パスワードの設定")
    ACCOUNT_2FA_RESET = "account.2fa_reset", _("二要素認証のリセット")
    ACCOUNT_EMAIL_CHANGE = "account.email_change", _("利用者のメールアドレスの変更")
    ACCOUNT_USERNAME_CHANGE = "account.username_change", _("利用者名の変更")
    ACCOUNT_INVITE_SEND = "account.invite_send", _("招待メールの送信")
    ACCOUNT_INVITE_USE = "account.invite_use", _("招待リンクでのパスワード設定")
    ACCESS_REFUSED = "access.refused", _("アクセスの拒否")
    # Customers and purchases
    CUSTOMER_LIST = "customer.list", _("一覧の表示")
    CUSTOMER_VIEW = "customer.view", _("顧客の閲覧")
    CUSTOMER_REVEAL = "customer.reveal", _("個人情報の表示")
    CUSTOMER_ADD = "customer.add", _("顧客の追加")
    CUSTOMER_CHANGE = "customer.change", _("顧客の変更")
    CUSTOMER_CONTACT_CHANGE = "customer.contact_change", _("顧客の連絡先の変更")
    CUSTOMER_DELETE = "customer.delete", _("顧客の削除")
    CUSTOMER_ANONYMISE = "customer.anonymise", _("顧客の匿名化")
    CUSTOMER_ERASE = "customer.erase", _("顧客の消去")
    CUSTOMER_IMPORT = "customer.import", _("顧客のインポート")
    CUSTOMER_SEED_DEMO = "customer.seed_demo", _("デモデータの作成")
    CUSTOMER_UNRECORDED_READ = "customer.unrecorded_read", _("記録されない読み出し")
    PURCHASE_ADD = "purchase.add", _("購入履歴の追加")
    PURCHASE_CHANGE = "purchase.change", _("購入履歴の変更")
    PURCHASE_DELETE = "purchase.delete", _("購入履歴の削除")
    # Exports
    EXPORT_REQUEST = "export.request", _("エクスポートの申請")
    EXPORT_APPROVE = "export.approve", _("エクスポートの承認")
    EXPORT_REJECT = "export.reject", _("エクスポートの却下")
    EXPORT_WITHDRAW = "export.withdraw", _("エクスポート申請の取り下げ")
    EXPORT_CANCEL = "export.cancel", _("エクスポート申請の取り消し")
    EXPORT_DOWNLOAD = "export.download", _("エクスポートのダウンロード")
    EXPORT_EXPIRE = "export.expire", _("エクスポートの期限切れ")
    EXPORT_LEDGER_CSV = "export.ledger_csv", _("持ち出し記録のCSV出力")
    LABEL_ROUTINE_APPROVE = "label.routine_approve", _("ラベル作成の定型業務の承認")
    LABEL_ROUTINE_END = "label.routine_end", _("ラベル作成の定型業務の終了")
    LABEL_MAKE = "label.make", _("ラベルファイルの作成")
    LABEL_DOWNLOAD = "label.download", _("ラベルファイルのダウンロード")
    LABEL_EXPIRE = "label.expire", _("ラベルファイルの期限切れ")
    SHIPMENT_ADD = "shipment.add", _("出荷の登録")
    SHIPMENT_TRACKING = "shipment.tracking", _("送り状番号の取り込み")
    SHIPMENT_GIFT_CHANGE = "shipment.gift_change", _("ギフトのお届け先の変更")
    # The privacy policy and customers' requests
    POLICY_EDIT = "policy.edit", _("ポリシーの編集")
    POLICY_PUBLISH = "policy.publish", _("ポリシーの公開")
    POLICY_CONSENT = "policy.consent", _("同意の記録")
    POLICY_CONSENT_LINK = "policy.consent_link", _("同意依頼リンクの発行")
    POLICY_CONSENT_STATUS = "policy.consent_status", _("同意状況の閲覧")
    POLICY_PROVISION = "policy.provision", _("第三者提供の記録")
    POLICY_PROVISION_PURGE = "policy.provision_purge", _("第三者提供記録の削除")
    RULES_EDIT = "rules.edit", _("所内ルールの編集")
    RULES_PUBLISH = "rules.publish", _("所内ルールの公開")
    RULES_ACCEPT = "rules.accept", _("所内ルールへの同意")
    DATA_REQUEST = "policy.data_request", _("開示等の請求の受付")
    DATA_REQUEST_VIEW = "policy.data_request_view", _("開示等の請求の閲覧")
    DATA_REQUEST_STEP = "policy.data_request_step", _("開示等の請求の対応")
    DATA_REQUEST_REVEAL = "policy.data_request_reveal", _("開示等の請求の連絡先の表示")
    DATA_REQUEST_DISCLOSE = "policy.data_request_disclose", _("開示等の請求への開示")
    # Incidents (APPI art. 26)
    INCIDENT_OPEN = "incident.open", _("漏えい等の事案の登録")
    INCIDENT_CHANGE = "incident.change", _("漏えい等の事案の変更")
    INCIDENT_VIEW = "incident.view", _("漏えい等の事案の閲覧")
    INCIDENT_SCOPE = "incident.scope", _("漏えい等の対象の確定")
    INCIDENT_REPORT = "incident.report", _("報告書の下書きの保存")
    INCIDENT_NOTICE = "incident.notice", _("本人への通知")
    INCIDENT_MEASURE = "incident.measure", _("再発防止策の実施")
    INCIDENT_PUBLISH = "incident.publish", _("漏えい等の公表")
    # The ledger itself, alerts and keys
    AUDIT_READ = "audit.read", _("監査記録の閲覧")
    AUDIT_EXPORT_CSV = "audit.export_csv", _("監査記録のCSV出力")
    AUDIT_PURGE = "audit.purge", _("古い監査記録の削除")
    AUDIT_VERIFIED = "audit.verified", _("監査記録の検証")
    ACCESS_REVIEWED = "audit.review", _("アクセスの点検の完了")
    ALERT_RAISE = "alert.raise", _("警告の発生")
    ALERT_ACKNOWLEDGE = "alert.acknowledge", _("警告の確認")
    KEYS_ROTATE = "keys.rotate", _("鍵の更新")
    # Running the shop (the upkeep app): backups, scheduled jobs, retention
    BACKUP_MADE = "backup.made", _("バックアップの作成")
    BACKUP_RESTORED = "backup.restored", _("バックアップからの復元")
    JOB_RUN = "job.run", _("定期処理の実行")
    RETENTION_APPLIED = "retention.applied", _("保存期間を過ぎたデータの削除")
    SECURITY_CHECK_RECORD = "security_check.record", _("脆弱性診断・ソフトウェア更新の記録")
    # The evidence page (dashboard): what only a person knows, and the signed pack
    EVIDENCE_STATEMENT = "evidence.statement", _("確認事項の記録")
    EVIDENCE_PACK = "evidence.pack", _("証跡パッケージのダウンロード")
    # Saves without an entry of their own (audit.changes). model.access was written only
    # by the change capture before it (django-auditlog); kept so old entries read.
    MODEL_CREATE = "model.create", _("データの作成")
    MODEL_UPDATE = "model.update", _("データの変更")
    MODEL_DELETE = "model.delete", _("データの削除")
    MODEL_RELATIONS = "model.relations", _("関連の変更")
    MODEL_ACCESS = "model.access", _("データへのアクセス")


# What the bulk-viewing alert counts: opening a customer's page, revealing a field and
# changing a customer's e-mail or phone (where the customer's own requests are answered).
# List pages (masked, 50 rows a page) are recorded but not counted, or every second page
# of an ordinary shift would alert the owner. Plain strings: an index condition uses them.
COUNTED_ACTIONS = (
    Action.CUSTOMER_VIEW.value,
    Action.CUSTOMER_REVEAL.value,
    Action.CUSTOMER_CONTACT_CHANGE.value,
)
# Refused sign-in steps: what the repeated-failures alert counts.
SIGN_IN_FAILURES = (Action.SIGN_IN_FAILED, Action.LOCKOUT, Action.SECOND_FACTOR_FAILED)
# Changes to a person's account that grant or move access: each needs recent
# re-authentication, is told to the person and the other owners (accounts.notices) and
# raises an alert.
ACCOUNT_SECURITY_ACTIONS = (
    Action.ACCOUNT_CREATE,
    Action.ACCOUNT_ROLE_CHANGE,
    Action.ACCOUNT_DEACTIVATE,
    Action.ACCOUNT_REACTIVATE,
    Action.ACCOUNT_PASSWORD_SET,
    Action.ACCOUNT_2FA_RESET,
    Action.ACCOUNT_EMAIL_CHANGE,
    Action.ACCOUNT_USERNAME_CHANGE,
    Action.RECOVERY_CODES_RENEWED,
)
# Entries an alert writes about itself; they never raise another alert.
ALERT_ACTIONS = (Action.ALERT_RAISE, Action.ALERT_ACKNOWLEDGE)


class Outcome(models.TextChoices):
    OK = "ok", _("成功")
    REFUSED = "refused", _("拒否")
    FAILED = "failed", _("失敗")


def checked(choices, value):
    """``value`` as a member of ``choices``; anything else is a programming error."""
    try:
        return choices(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a ledger {choices.__name__.lower()} name.") from None
