"""Where a URL is added: the one rule written in shopguard/urls.py.

A ModelAdmin's ``get_urls`` adds only pages that are its own methods; every other page
is in its app's ``urls.py``, which the project's URLconf includes (and it does nothing
else); the admin site adds none.
"""

import ast
import importlib
from pathlib import Path

from django.conf import settings
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.urls import URLResolver

ROOT = Path(__file__).resolve().parents[2]
# The apps that have pages of their own besides their ModelAdmins.
APPS_WITH_PAGES = ("accounts", "customers", "datarequests", "exports", "incidents", "policy")


def project_urlconf():
    return importlib.import_module(settings.ROOT_URLCONF)


def test_the_project_urlconf_only_includes_the_apps_urlconfs():
    own = [p for p in project_urlconf().urlpatterns if not isinstance(p, URLResolver)]
    # The site's root only redirects to the policy (a RedirectView, not a page).
    assert [p.name for p in own] == ["home"]
    included = {
        p.urlconf_name if isinstance(p.urlconf_name, str) else p.urlconf_name.__name__
        for p in project_urlconf().urlpatterns
        if isinstance(p, URLResolver) and p.app_name != "admin"
    }
    assert {f"{app}.urls" for app in APPS_WITH_PAGES} <= included


def test_the_project_urlconf_imports_no_view():
    tree = ast.parse((ROOT / "shopguard" / "urls.py").read_text(encoding="utf-8"))
    modules = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
    }
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert all(module.split(".")[0] == "django" for module in modules), modules


def test_every_app_with_pages_has_a_real_urlconf():
    for app in APPS_WITH_PAGES:
        urls = importlib.import_module(f"{app}.urls")
        assert isinstance(urls.app_name, str) and urls.urlpatterns, app


def test_the_admin_site_adds_no_url_of_its_own():
    assert admin.site.get_urls.__func__ is AdminSite.get_urls


def owner_of(view):
    """The object a bound method somewhere in ``view``'s chain of wrappers belongs to."""
    while view is not None:
        if getattr(view, "__self__", None) is not None:
            return view.__self__
        view = getattr(view, "__wrapped__", None)
    return None


def test_a_model_admin_adds_only_pages_that_are_its_own_methods():
    stray = []
    for model, model_admin in admin.site._registry.items():
        standard = {p.name for p in admin.ModelAdmin(model, admin.site).get_urls()}
        for pattern in model_admin.get_urls():
            if pattern.name in standard:
                continue
            if owner_of(pattern.callback) is not model_admin:
                stray.append(f"{model._meta.label}: {pattern.pattern}")
    assert not stray, "view functions belong in their app's urls.py: " + ", ".join(stray)
