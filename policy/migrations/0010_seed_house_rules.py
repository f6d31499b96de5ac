# The first version of the shop's house rules (所内ルール), published so that every person
# accepts it before their first use of customer pages. The owner edits it into a new
# version (管理メニュー → 所内ルール). The hash is computed here as policy.models.rules_hash
# did when this was written: migrations never import live code.

import hashlib
import json

from django.db import migrations

RULES_JA = """この店の顧客データ（お客様の氏名、住所、電話番号、メールアドレス、購入履歴など）を扱うすべての人が守るルールです。

(1) 顧客データは ShopGuard の画面の中だけで扱います。私物のパソコン・スマートフォン、USBメモリ、外付けディスク、個人のクラウドには保存しません。
(2) 顧客データをメールやチャットに書き写したり、画面を撮影したりしません。お客様への連絡は ShopGuard と店の決められた送り先だけから行います。
(3) 顧客データを店の外へ出すときは、ShopGuard のエクスポート（二人目の確認つき）と、オーナーが承認した配送ラベルの手順だけを使います。
(4) 個人情報の表示（「表示する」ボタン）は、その時の仕事に必要なときだけ、理由を書いて行います。
(5) パスワードと二要素認証の端末は本人だけが使います。席を離れるときは画面をロックし、共用の端末ではサインアウトします。
(6) 紛失・誤送信・不審な操作に気づいたら、すぐにオーナーに知らせます。小さなことでも隠しません。

ShopGuard はすべての表示と持ち出しを記録しています。ルールに反する取り扱いがあったときは、権限を止め、就業規則や契約に従って処分や損害の請求を行うことがあります。故意に顧客データを持ち出すことは、個人情報保護法の罰則（第179条）の対象にもなります。"""

RULES_EN = """These rules bind everyone who handles this shop's customer data (customers' names, addresses, phone numbers, e-mail addresses, purchase history and the like).

(1) Customer data is handled only inside ShopGuard's pages. It is never stored on personal computers or phones, USB sticks, external disks or personal cloud storage.
(2) Customer data is never copied into mail or chat, and screens are never photographed. Customers are contacted only through ShopGuard and the shop's own addresses.
(3) Customer data leaves the shop only through ShopGuard's exports (with a second person's check) and the label routines the owner approved.
(4) A personal value is revealed (the "reveal" button) only when the work at hand needs it, with the reason written.
(5) Passwords and second-factor devices are one's own. Lock the screen when leaving the desk, and sign out on shared machines.
(6) A loss, a misdirected mail or anything suspicious is told to the owner at once. Nothing is hidden, however small.

ShopGuard records every look at customer data and every copy taken out. Handling against these rules may lead to withdrawn access and to discipline or claims for damages under the work rules or the contract; taking customer data out on purpose is also an offence under the APPI (art. 179)."""


def content_hash(body_ja, body_en):
    payload = json.dumps(
        {"ja": body_ja, "en": body_en}, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def seed(apps, schema_editor):
    HouseRulesVersion = apps.get_model("policy", "HouseRulesVersion")
    if HouseRulesVersion.objects.exists():
        return
    from django.utils import timezone

    HouseRulesVersion.objects.create(
        number=1,
        status="published",
        body_ja=RULES_JA,
        body_en=RULES_EN,
        content_hash=content_hash(RULES_JA, RULES_EN),
        published_at=timezone.now(),
    )


class Migration(migrations.Migration):
    dependencies = [("policy", "0009_house_rules")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
