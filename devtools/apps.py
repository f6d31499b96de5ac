from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Demo data and the benchmark commands (``seed_demo``, ``bench``, ``bench_export``,
    ``bench_audit``); no models."""

    name = "devtools"
    verbose_name = "ShopGuard devtools"
