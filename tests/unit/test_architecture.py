"""Dependencies point one way: radar core → pseudonymise → linkage → expectations → flows.

Stage packages never import Prefect; nothing imports ``flows`` but the CLI entry point.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ORDER = ["radar", "pseudonymise", "linkage", "expectations", "publish", "flows"]
#: Modules allowed to reach up the chain: entry points and tools that orchestrate.
ENTRY_POINTS = {"radar/cli", "radar/bench.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else []


@pytest.mark.parametrize("package", ["radar", "pseudonymise", "linkage", "expectations", "publish"])
def test_stage_packages_do_not_import_prefect_or_flows(package: str) -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in _modules(package)
        if not any(str(path.relative_to(ROOT)).startswith(e) for e in ENTRY_POINTS)
        and _imports(path) & {"prefect", "prefect_dask", "flows"}
    ]
    assert offenders == []


@pytest.mark.parametrize("package", ORDER)
def test_dependencies_point_one_way(package: str) -> None:
    later = set(ORDER[ORDER.index(package) + 1 :])
    offenders = [
        f"{path.relative_to(ROOT)} imports {sorted(_imports(path) & later)}"
        for path in _modules(package)
        if not any(str(path.relative_to(ROOT)).startswith(e) for e in ENTRY_POINTS)
        and _imports(path) & later
    ]
    assert offenders == []


def test_flow_modules_do_not_shadow_packages() -> None:
    """Prefect loads a deployment's entrypoint as a script, with ``flows/`` on ``sys.path``:
    a module there named like a top-level package would hide that package."""
    names = {path.stem for path in (ROOT / "flows").glob("*.py")}
    assert names.isdisjoint(ORDER)
