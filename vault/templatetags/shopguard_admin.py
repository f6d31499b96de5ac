"""The admin side menu's list of apps, written once for each thing it depends on.

Django's ``admin/app_list.html`` in the side menu of every admin page was a sixth of the
customer list's time (about 40 links, each a few template look-ups, issue #26). Its HTML
depends only on the apps and models the person may see (names, links), the language and
which links the current path is under: those make the key of a small per-process cache,
so the same menu is not written again until one of them changes.
"""

from typing import Any

from django import template
from django.template.defaultfilters import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

# Bounded: the key holds no path, only which menu links the path is under, so a handful
# of keys per role and language; the bound only guards against surprises.
_MAX_MENUS = 256
_menus: dict[tuple[Any, ...], SafeString] = {}


def _key(apps: list[dict[str, Any]], path: str) -> tuple[Any, ...]:
    """Everything admin/app_list.html reads (with show_changelinks off)."""
    here = urlencode(path)
    return (
        get_language(),
        tuple(
            (
                app["app_label"],
                str(app["name"]),
                app["app_url"],
                app["app_url"] in here,
                tuple(
                    (
                        model["object_name"],
                        str(model["name"]),
                        model.get("admin_url"),
                        model.get("add_url"),
                        bool(model.get("admin_url")) and model["admin_url"] in here,
                    )
                    for model in app["models"]
                ),
            )
            for app in apps
        ),
    )


@register.simple_tag(takes_context=True)
def side_menu_apps(context: template.Context) -> SafeString:
    """``{% include 'admin/app_list.html' with app_list=available_apps
    show_changelinks=False %}``, from the cache when nothing it reads has changed."""
    apps = context.get("available_apps") or []
    request = context.get("request")
    key = _key(apps, request.path if request is not None else "")
    html = _menus.get(key)
    if html is None:
        assert context.template is not None  # a tag renders inside a template
        included = context.template.engine.get_template("admin/app_list.html")
        with context.push(app_list=apps, show_changelinks=False):
            html = SafeString(included.render(context))
        if len(_menus) >= _MAX_MENUS:
            _menus.clear()  # one step, safe beside another thread writing a menu
        _menus[key] = html
    return html
