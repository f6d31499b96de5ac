"""What mypy checks (docs/architecture.md, "Types"; ``make lint`` runs it): the library and
every app's services module, each with every function annotated. A new app's
services.py that is not named in ``[tool.mypy] files`` would escape the check silently."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def mypy_config():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]


def test_every_services_module_is_checked_by_mypy():
    services = {path.relative_to(ROOT).as_posix() for path in ROOT.glob("*/services.py")}
    assert "customers/services.py" in services
    assert services - set(mypy_config()["files"]) == set()


def test_services_modules_have_every_function_annotated():
    strict = [o for o in mypy_config()["overrides"] if "*.services" in o["module"]]
    assert [o.get("disallow_untyped_defs") for o in strict] == [True]
