"""The folders say what the code is (docs/architecture.md).

* The project package (the one ``settings.ROOT_URLCONF`` lives in) holds settings, urls,
  wsgi, the admin site and the error pages; no app imports it.
* The library (``vault``) imports no app and not the project.
* The apps depend on each other one way only, counting every import, at module level
  and inside functions alike: where an app must react to another's event, the receiver
  is connected in that app's ``AppConfig.ready()`` without importing back.
"""

import ast
from pathlib import Path

from django.apps import apps as registry
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PROJECT = settings.ROOT_URLCONF.split(".")[0]
LIBRARY = "vault"
# What each app may import, besides the library. This is the architecture, drawn once:
# data flows from the pages down to the ledger, and the home page sits on top of all.
ALLOWED = {
    "audit": set(),
    "accounts": {"audit"},
    "customers": {"accounts", "audit"},
    "policy": {"accounts", "audit", "customers"},
    "datarequests": {"accounts", "audit", "customers", "policy"},
    "shipping": {"accounts", "audit", "customers", "policy"},
    "exports": {"accounts", "audit", "customers", "policy", "shipping"},
    "incidents": {"accounts", "audit", "customers", "exports", "policy"},
    # Backups, retention, scheduled jobs and test copies act on every app's data.
    "upkeep": {
        "accounts",
        "audit",
        "customers",
        "datarequests",
        "exports",
        "incidents",
        "policy",
        "shipping",
    },
    "dashboard": {
        "accounts",
        "audit",
        "customers",
        "datarequests",
        "exports",
        "incidents",
        "policy",
        "upkeep",
        "shipping",
    },
    "devtools": {
        "accounts",
        "audit",
        "customers",
        "datarequests",
        "exports",
        "incidents",
        "policy",
        "shipping",
        "upkeep",
    },
}


def local_packages():
    """The project's own top-level packages: the installed apps that live in this
    checkout, and the project package."""
    found = {
        config.name.split(".")[0]
        for config in registry.get_app_configs()
        if Path(config.path).resolve().parent == ROOT
    }
    return found | {PROJECT}


def imports_of(path):
    """Every top-level package ``path`` imports, wherever the import stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def sources(package):
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def dependencies():
    """{package: {local packages it imports}}, read from the code."""
    local = local_packages()
    return {
        package: set().union(*(imports_of(path) for path in sources(package))) & local - {package}
        for package in local
    }


def test_the_scan_sees_imports_inside_functions():
    source = ROOT / "shopguard" / "admin_site.py"
    assert "accounts" in imports_of(source)  # imported inside AdminSite methods only


def test_every_app_is_placed():
    assert local_packages() - {PROJECT, LIBRARY} == set(ALLOWED)


def test_the_library_imports_no_app_and_not_the_project():
    assert dependencies()[LIBRARY] == set()


def test_no_app_imports_the_project_package():
    offenders = [p for p, found in dependencies().items() if PROJECT in found and p != PROJECT]
    assert not offenders


def test_apps_depend_on_each_other_one_way():
    found = dependencies()
    offenders = {
        app: sorted(found[app] - ALLOWED[app] - {LIBRARY})
        for app in ALLOWED
        if found[app] - ALLOWED[app] - {LIBRARY}
    }
    assert not offenders, offenders


def test_the_allowed_dependencies_have_no_cycle():
    def reaches(start, goal, seen=()):
        return any(
            n == goal or (n not in seen and reaches(n, goal, (*seen, n))) for n in ALLOWED[start]
        )

    assert not [app for app in ALLOWED if reaches(app, app)]
