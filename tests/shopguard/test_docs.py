"""The documents name only files that exist, and the README stays a short front door.

Three kinds of names are checked in README.md and every docs/*.md:

* the target of a Markdown link or image, from the document's own folder;
* a repository path written in the text, such as ``vault/limits.py``, ``tests/e2e/`` or
  ``shopguard/formats/ja``, from the repository's root (paths starting with ``/`` or
  ``.`` are URLs or files of a server or an installation, not of the repository);
* a bare ``name.py`` or ``name.md``, which must be the name of some file here.
"""

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 250
LINK = re.compile(r"\]\(([^)\s]+)\)")
# A relative path: segments separated by "/", not part of a URL, an absolute path or a
# word; is_repository_path says which of them name the repository's files.
PATH = re.compile(r"(?<![\w./:@~#*<>-])((?:[A-Za-z0-9_][\w.-]*/)+[\w.-]*)")
FILE_EXTENSIONS = {
    "cfg", "css", "html", "ini", "js", "json", "md", "mo", "png", "po", "py", "sh",
    "sql", "toml", "txt", "yaml", "yml",
}  # fmt: skip
BARE_NAME = re.compile(r"(?<![\w./-])([\w-]+\.(?:py|md))\b")
NOT_SCANNED = {".git", ".venv", "node_modules", "staticfiles", "build", "__pycache__"}


def names_in_repository():
    names = set()
    for _folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in NOT_SCANNED]
        names.update(files)
    return names


def is_repository_path(token):
    """A folder (``tests/e2e/``), a file of a known kind, or anything under one of the
    repository's own top-level folders (``shopguard/formats/ja``)."""
    last = token.rsplit("/", 1)[-1]
    if token.endswith("/") or (ROOT / token.split("/", 1)[0]).is_dir():
        return True
    return "." in last and last.rsplit(".", 1)[-1] in FILE_EXTENSIONS


def missing_names(text, folder, known_names):
    """The names in ``text`` (a document in ``folder``) that point at nothing."""
    missing = set()
    for target in LINK.findall(text):
        target = target.split("#", 1)[0]
        if not target or re.match(r"[a-z][a-z+]*:", target):
            continue  # an anchor in the same page, or a URL
        if not (folder / target).exists():
            missing.add(target)
    prose = LINK.sub("]", text)
    for token in PATH.findall(prose):
        if is_repository_path(token) and not (ROOT / token).exists():
            missing.add(token)
    for name in BARE_NAME.findall(prose):
        if name not in known_names:
            missing.add(name)
    return missing


def test_every_document_names_only_files_that_exist():
    known = names_in_repository()
    problems = {
        document.relative_to(ROOT).as_posix(): sorted(
            missing_names(document.read_text(encoding="utf-8"), document.parent, known)
        )
        for document in DOCUMENTS
    }
    assert {name: found for name, found in problems.items() if found} == {}


def test_it_catches_names_of_files_that_do_not_exist():
    text = (
        "Deadlines come from `policy/deadlines.py`, see [the design](DESIGN.md) and"
        " shared/DESIGN.md, the folder `helm/` and ![a picture](screenshots/none.png);"
        " `vault/limits.py`, `shopguard/formats/ja`, [the glossary](glossary.md) and"
        " `tests/e2e/` exist, `customers/reading` does not, and"
        " `/admin/customers/customer/`, https://example.com/a/b.py and `.venv/bin/python`"
        " are not repository files."
    )
    found = missing_names(text, ROOT / "docs", names_in_repository())
    assert found == {
        "policy/deadlines.py",
        "DESIGN.md",
        "shared/DESIGN.md",
        "helm/",
        "screenshots/none.png",
        "customers/reading",
    }


def test_the_readme_is_at_most_250_lines():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES


def test_the_readme_starts_with_the_two_commands_of_the_makefile():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()[1:]]
    assert [c for c in commands if c] == ["make run", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run:", makefile, re.MULTILINE)
    assert re.search(r"^test:", makefile, re.MULTILINE)


def test_the_docs_folder_keeps_the_glossary_and_the_guides():
    for name in ("glossary.md", "owner-guide.md", "operations.md", "benchmarks.md"):
        assert (ROOT / "docs" / name).is_file(), name
