"""The house rules' facts and the gate before customer pages (人的安全管理措置).

Every person accepts the version in force before their first use of customer pages, again
after a material change, and again after ``settings.RULES_ACCEPTANCE_DAYS``. Until then
``policy.middleware.HouseRulesMiddleware`` answers every customer page with the rules
and an accept button.

Which pages are customer pages is read from the code, not listed by hand: the back-office
pages (under ``/admin/``) of every app whose code reads personal data through the one
reading path, ``customers.reading`` (customers, shipping, exports, data requests,
incidents today). A new app that reads customers is gated the day it imports it.

Facts for other pages (the dashboard, the evidence page): ``acceptance_due(person)``,
``people_without_acceptance()`` and ``acceptance_cutoff()``.
"""

import ast
import threading
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet, Subquery
from django.urls import ResolverMatch, reverse
from django.utils import timezone

from policy.models import HouseRulesVersion, RulesAcceptance

READING_PATH = "customers.reading"


def acceptance_cutoff() -> datetime:
    """Acceptances older than this no longer count (the yearly reading)."""
    return timezone.now() - timedelta(days=settings.RULES_ACCEPTANCE_DAYS)


def valid_acceptances() -> QuerySet[RulesAcceptance]:
    """Acceptances that still count: of the last material change or newer (a subquery,
    so asking costs one query), and recent."""
    required = (
        HouseRulesVersion.objects.published()
        .filter(Q(material_change=True) | Q(number=1))
        .order_by("-number")
        .values("number")[:1]
    )
    return RulesAcceptance.objects.filter(
        version__number__gte=Subquery(required), accepted_at__gte=acceptance_cutoff()
    )


def acceptance_due(person) -> bool:
    """True when ``person`` must (again) accept the rules in force before customer pages
    (one query for someone who has accepted: the gate asks it on every customer page)."""
    if valid_acceptances().filter(person=person).exists():
        return False
    return HouseRulesVersion.objects.in_force() is not None


def people_without_acceptance() -> QuerySet:
    """Active people with a role who have not accepted the rules in force (or whose
    acceptance is past the last material change or a year old), by username."""
    people = get_user_model().objects.filter(is_active=True, groups__isnull=False).distinct()
    if HouseRulesVersion.objects.in_force() is None:
        return people.none()
    accepted = valid_acceptances().values("person_id")
    return people.exclude(pk__in=accepted).order_by("username")


def last_acceptance(person) -> RulesAcceptance | None:
    return person.rules_acceptances.select_related("version").first()


# Which pages are customer pages ---------------------------------------------------------


def _imports_reading_path(source: str) -> bool:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == READING_PATH:
                return True
            if node.module == "customers" and any(a.name == "reading" for a in node.names):
                return True
        elif isinstance(node, ast.Import):
            if any(alias.name == READING_PATH for alias in node.names):
                return True
    return False


# Parsing is done by one thread at a time: CPython 3.11's parser is not safe to run in
# parallel threads ("AST constructor recursion depth mismatch" under 50 parallel requests).
_PARSING = threading.Lock()


def apps_reading_customers() -> frozenset[str]:
    """The labels of the project's apps whose code (migrations aside) imports the
    reading path: the apps whose pages show customers' personal data. Worked out once
    (the middleware asks as it is loaded); every later call returns the same set."""
    with _PARSING:
        return _apps_reading_customers()


@cache
def _apps_reading_customers() -> frozenset[str]:
    root = Path(settings.BASE_DIR).resolve()
    labels = set()
    for config in apps.get_app_configs():
        folder = Path(config.path).resolve()
        if folder.parent != root:
            continue  # Django's own and installed packages' apps
        for file in folder.rglob("*.py"):
            if "migrations" in file.parts:
                continue
            if _imports_reading_path(file.read_text(encoding="utf-8")):
                labels.add(config.label)
                break
    return frozenset(labels)


def app_of_page(match: ResolverMatch) -> str | None:
    """The app a back-office page belongs to: a ModelAdmin page's model's app (its URL
    is named ``<app>_<model>_<page>``), or a view's namespace (its app's label)."""
    if match.namespace != "admin":
        return match.namespaces[0] if match.namespaces else None
    if "app_label" in match.kwargs:  # the admin's page of one app
        return match.kwargs["app_label"]
    name = match.url_name or ""
    for model in admin.site._registry:
        if name.startswith(f"{model._meta.app_label}_{model._meta.model_name}_"):
            return model._meta.app_label
    return None


def is_customer_page(path: str, match: ResolverMatch | None) -> bool:
    """True for a back-office page of an app that reads customers' personal data."""
    if match is None or not path.startswith(reverse("admin:index")):
        return False
    return app_of_page(match) in apps_reading_customers()
