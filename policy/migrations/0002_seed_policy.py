"""Seed the shop profile with clearly fake example values and publish version 1,
effective from the day ShopGuard is installed."""

# Frozen: the text and the hashing below are copies of policy.default_text and
# policy.content as they stood when this migration was written, so every database gets
# the same version 1 with the same content hash, whatever the live code says later.
# Migrations are history and never import live code that may change.

import hashlib
import json

from django.db import migrations
from django.utils import timezone

TEXT_KEYS = ("title_ja", "title_en", "body_ja", "body_en")

# The shop's first privacy policy, written for ShopGuard in its own words, following the
# seven-article structure of issue 6. The facts the law asks a shop to publish come from
# the shop profile the owner edits and are shown below the articles.
ARTICLES = [
    {
        "number": 1,
        "title_ja": "個人情報の取得",
        "title_en": "How we obtain personal information",
        "body_ja": (
            "当店は、お客様の個人情報を、偽りその他の不正な手段を用いることなく、"
            "適法かつ公正な方法によって取得します。"
        ),
        "body_en": (
            "We obtain your personal information only in lawful and fair ways, and never "
            "through deception or any other improper means."
        ),
    },
    {
        "number": 2,
        "title_ja": "個人情報の管理",
        "title_en": "How we look after personal information",
        "body_ja": (
            "当店は、お預かりした個人情報を正確で最新の内容に保つよう努めます。\n"
            "また、不正なアクセス、紛失、破損、改ざん及び漏えいから個人情報を守るため、"
            "セキュリティシステムを維持し、管理の体制を整え、従業員の教育を徹底するなど、"
            "必要な措置を講じて安全に管理します。"
        ),
        "body_en": (
            "We try to keep the personal information you entrust to us correct and up to "
            "date.\n"
            "To protect it from unauthorised access, loss, damage, alteration and leakage, "
            "we keep our security systems in place, maintain a clear structure of "
            "responsibility for managing it, train our staff thoroughly, and take the other "
            "steps needed to keep it safe."
        ),
    },
    {
        "number": 3,
        "title_ja": "個人情報の利用目的",
        "title_en": "What we use personal information for",
        "body_ja": (
            "当店は、お預かりした個人情報を次の目的にのみ利用します。\n"
            "(1) お客様へのご連絡\n"
            "(2) 催し物のご案内\n"
            "(3) 商品及びサービスに関する情報のご案内\n"
            "(4) お問い合わせへのご回答\n"
            "これらのご連絡やご案内は、電子メール又は郵便でお送りします。"
            "当店は、上記以外の目的で個人情報を利用することはありません。"
        ),
        "body_en": (
            "We use the personal information you entrust to us only for the following "
            "purposes:\n"
            "(1) getting in touch with you;\n"
            "(2) telling you about events;\n"
            "(3) telling you about our products and services;\n"
            "(4) answering your questions.\n"
            "We send these messages by e-mail or by post. We do not use your personal "
            "information for any purpose other than those above."
        ),
    },
    {
        "number": 4,
        "title_ja": "第三者への開示・提供の禁止",
        "title_en": "No disclosure to third parties",
        "body_ja": (
            "当店は、お預かりした個人情報を適切に管理し、次のいずれかに当たる場合を除いて、"
            "第三者に開示し、又は提供することはありません。\n"
            "(1) お客様の同意がある場合\n"
            "(2) お客様へのサービスの提供に必要な範囲で、当店が業務を委託する事業者に"
            "提供する場合\n"
            "(3) 法令に基づいて開示又は提供が求められる場合\n"
            "(4) 人の生命、身体又は財産を守るために必要であり、お客様の同意を得ることが"
            "難しい場合\n"
            "(5) 第三者への提供を利用目的とすること、提供する個人情報の項目、提供の方法、"
            "及びご本人のお申し出があれば提供を停止することを、あらかじめ公表している場合"
        ),
        "body_en": (
            "We manage the personal information you entrust to us with care, and we do not "
            "disclose or provide it to any third party except in the following cases:\n"
            "(1) when you have agreed to it;\n"
            "(2) when we entrust work to a contractor in order to serve you, to the extent "
            "that work requires;\n"
            "(3) when the law requires us to disclose or provide it;\n"
            "(4) when it is needed to protect a person's life, body or property and it is "
            "difficult to obtain your consent;\n"
            "(5) when we have announced in advance that providing it to third parties is one "
            "of our purposes, which items we provide, how we provide them, and that we will "
            "stop providing them if the person concerned asks us to."
        ),
    },
    {
        "number": 5,
        "title_ja": "個人情報の安全対策",
        "title_en": "Keeping personal information safe",
        "body_ja": (
            "当店は、個人情報の正確さと安全を確保するため、漏えいや紛失などを防ぐ安全対策を"
            "講じます。講じている措置の概要は、このポリシーの末尾にある"
            "「安全管理措置の概要」に記載しています。"
        ),
        "body_en": (
            "To keep personal information accurate and safe, we take security measures "
            "against leakage, loss and similar incidents. A summary of those measures is "
            'given at the end of this policy under "Summary of safety measures".'
        ),
    },
    {
        "number": 6,
        "title_ja": "ご本人の照会",
        "title_en": "Your own information",
        "body_ja": (
            "お客様がご自身の個人情報の開示、訂正又は削除を希望される場合は、"
            "ご本人であることを確認したうえで、速やかに対応します。"
            "お申し出の窓口、手続及び手数料は、このポリシーの末尾にある"
            "「開示等のご請求・苦情のお申し出」に記載しています。"
        ),
        "body_en": (
            "If you would like to see, correct or delete your own personal information, we "
            "will respond promptly once we have confirmed that you are the person concerned. "
            "Where to ask, how, and any fee are given at the end of this policy under "
            '"Requests and complaints".'
        ),
    },
    {
        "number": 7,
        "title_ja": "法令、規範の遵守と見直し",
        "title_en": "Compliance with laws and regular review",
        "body_ja": (
            "当店は、個人情報の取扱いについて適用される日本の法令その他の規範を守るとともに、"
            "このポリシーの内容を定期的に見直し、その改善に努めます。"
        ),
        "body_en": (
            "We comply with the Japanese laws and other rules that apply to how personal "
            "information is handled, and we review this policy regularly to improve it."
        ),
    },
]

# Clearly fake example values; the owner replaces them in the admin before going live.
EXAMPLE_PROFILE = {
    "business_name_ja": "株式会社サンプル商店（例）",
    "business_name_en": "Sample Shop K.K. (example)",
    "address_ja": "〒100-0000 東京都千代田区見本町1-2-3 サンプルビル4階（例）",
    "address_en": "4F Sample Bldg., 1-2-3 Mihon-cho, Chiyoda-ku, Tokyo 100-0000 (example)",
    "representative_ja": "代表取締役 見本 太郎（例）",
    "representative_en": "Taro Mihon, Representative Director (example)",
    "contact_desk_ja": "個人情報お問い合わせ窓口",
    "contact_desk_en": "Personal information desk",
    "contact_email": "privacy@shop.example",
    "contact_phone": "03-0000-0000",
    "contact_hours_ja": "平日 10:00〜17:00（土日祝日・年末年始を除く）",
    "contact_hours_en": "Weekdays 10:00-17:00 JST (closed on weekends and public holidays)",
    "request_procedure_ja": (
        "このサイトの「個人情報に関するご請求」フォーム、電子メール又は郵便でお申し出ください。"
        "ご本人確認のため、ご登録のメールアドレスへの確認又は本人確認書類の写しの提示を"
        "お願いすることがあります。確認後、原則として2週間以内にご回答します。"
    ),
    "request_procedure_en": (
        'Please use the "Requests about your information" form on this site, e-mail or '
        "post. To confirm your identity we may contact you at your registered e-mail "
        "address or ask for a copy of an identity document. We normally answer within two "
        "weeks of confirming your identity."
    ),
    "request_fee_ja": "無料",
    "request_fee_en": "Free of charge",
    "safety_measures_ja": (
        "(1) 個人情報の取扱いに関する基本方針と規程を定めています。\n"
        "(2) 個人情報を取り扱う担当者と責任者を定め、取扱いの記録を残しています。\n"
        "(3) 従業員に定期的な研修を行っています。\n"
        "(4) 顧客データを暗号化して保存し、閲覧できる者を限定して、すべての閲覧を記録しています。\n"
        "(5) 持ち出しや外部記録媒体の利用を制限しています。"
    ),
    "safety_measures_en": (
        "(1) We have a basic policy and internal rules for handling personal information.\n"
        "(2) We name who handles personal information and who is responsible, and we keep "
        "records of how it is handled.\n"
        "(3) Our staff receive regular training.\n"
        "(4) Customer data is stored encrypted, only named people may see it, and every "
        "look at it is recorded.\n"
        "(5) We restrict taking data out of the shop and the use of removable media."
    ),
}


def normalise_text(text):
    """Unix line ends, no trailing spaces on lines, no blank lines at either end."""
    lines = str(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def canonical_articles(articles):
    """The articles sorted by number, with exactly the stored keys and normalised text."""
    canonical = []
    for article in sorted(articles, key=lambda a: int(a["number"])):
        item = {"number": int(article["number"])}
        item.update({key: normalise_text(article.get(key, "")) for key in TEXT_KEYS})
        canonical.append(item)
    return canonical


def content_hash(articles):
    """SHA-256 (hex) of the canonical JSON of every article in both languages."""
    payload = json.dumps(
        canonical_articles(articles), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def seed(apps, schema_editor):
    ShopProfile = apps.get_model("policy", "ShopProfile")
    PolicyVersion = apps.get_model("policy", "PolicyVersion")
    if not ShopProfile.objects.exists():
        ShopProfile.objects.create(pk=1, **EXAMPLE_PROFILE)
    if not PolicyVersion.objects.exists():
        articles = canonical_articles(ARTICLES)
        PolicyVersion.objects.create(
            number=1,
            status="published",
            effective_date=timezone.localdate(),
            change_summary_ja="",
            change_summary_en="",
            material_change=False,
            articles=articles,
            content_hash=content_hash(articles),
            published_at=timezone.now(),
        )


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
