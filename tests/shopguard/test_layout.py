"""The folders say what the code is: the library imports no app, and the apps import each
other one way only (module-level imports; a late import inside a function is how an app
reaches one that depends on it, e.g. a signal receiver)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "audit", "customers", "exports", "policy", "incidents", "devtools")
# The project's own modules in shopguard/; everything else there is the shared library.
PROJECT_MODULES = {"settings", "urls", "wsgi", "admin_site", "apps", "views", "dashboard"}
# Allowed module-level dependencies between apps (DESIGN: data flows one way).
ALLOWED = {
    "accounts": {"audit"},
    "audit": set(),
    "customers": {"accounts", "audit"},
    "policy": {"accounts", "audit", "customers"},
    "exports": {"accounts", "audit", "customers", "policy"},
    "incidents": {"accounts", "audit", "customers", "exports", "policy"},
    "devtools": {"accounts", "audit", "customers", "exports", "policy", "incidents"},
}


def module_level_imports(path):
    """Top-level packages imported at module level (not inside functions) by ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def sources(package):
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def test_the_shared_library_imports_no_app():
    offenders = []
    for path in sources("shopguard"):
        relative = path.relative_to(ROOT / "shopguard")
        if relative.parts[0] in ("management", "migrations") or path.stem in PROJECT_MODULES:
            continue
        offenders += [f"{relative} imports {app}" for app in module_level_imports(path) & {*APPS}]
    assert not offenders, offenders


def test_apps_depend_on_each_other_one_way():
    offenders = []
    for app in APPS:
        for path in sources(app):
            for other in module_level_imports(path) & {*APPS} - {app}:
                if other not in ALLOWED[app]:
                    offenders.append(f"{path.relative_to(ROOT)} imports {other}")
    assert not offenders, offenders


def test_the_allowed_dependencies_have_no_cycle():
    def reaches(start, goal, seen=()):
        return any(
            n == goal or (n not in seen and reaches(n, goal, (*seen, n))) for n in ALLOWED[start]
        )

    assert not [app for app in APPS if reaches(app, app)]
