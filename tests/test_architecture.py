"""Dependencies point one way: app -> memory, summarizer. The core never imports Slack code."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
FORBIDDEN = ("slack_bolt", "slack_sdk", "app")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["memory", "summarizer"])
def test_core_packages_do_not_import_slack_or_app(package: str) -> None:
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in imported_modules(path):
            if name.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_no_module_reads_os_environ() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for pkg in ("app", "memory", "summarizer")
        for p in (ROOT / pkg).rglob("*.py")
        if "os.environ" in p.read_text(encoding="utf-8") or "getenv(" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []


@pytest.mark.parametrize("package", ["app", "memory", "summarizer"])
def test_modules_stay_small(package: str) -> None:
    too_long = [
        f"{p.relative_to(ROOT)}: {n} lines"
        for p in (ROOT / package).rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    ]
    assert too_long == []
