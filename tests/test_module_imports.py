"""Our modules import each other at the top, where import-linter sees them; only an AppConfig's
ready() registers handlers with a late import."""

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "yoyaku"

_INDENTED_IMPORT = re.compile(r"^\s+(from yoyaku[\s.]|import yoyaku\b)")


def _indented_imports() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "apps.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if _INDENTED_IMPORT.match(line):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    return found


def test_no_module_of_yoyaku_imports_yoyaku_inside_a_function():
    found = _indented_imports()
    assert not found, "move these imports to the top of their module:\n" + "\n".join(found)
