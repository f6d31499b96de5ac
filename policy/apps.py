from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "policy"
    verbose_name = _("プライバシーポリシー")

    def ready(self):
        from django.db.models.signals import post_save

        from policy.models import ShopProfile, shop_identity
        from vault import mail

        # Every mail names the shop from 事業者情報 (vault.mail); a saved profile is
        # read again at the next mail.
        mail.set_shop_identity(shop_identity)
        post_save.connect(
            lambda **kwargs: mail.forget_shop_identity(),
            sender=ShopProfile,
            weak=False,
            dispatch_uid="policy.shop_identity",
        )
