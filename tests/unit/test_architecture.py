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


def _top_level_imports(path: Path) -> set[str]:
    """Modules imported at module level (not inside a function): what importing it loads."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", ORDER)
def test_splink_and_bench_stay_out_of_the_product_path(package: str) -> None:
    """Splink is a benchmark-only dependency: only ``bench`` imports it, and only the CLI's
    ``radar bench`` commands reach ``bench``, inside the command functions."""
    offenders = []
    for path in _modules(package):
        name = str(path.relative_to(ROOT))
        if _imports(path) & {"splink"}:
            offenders.append(f"{name} imports splink")
        if _imports(path) & {"bench"} and not name.startswith("radar/cli"):
            offenders.append(f"{name} imports bench")
        if _top_level_imports(path) & {"bench", "splink"}:
            offenders.append(f"{name} imports bench or splink at module level")
    assert offenders == []


def test_bench_imports_splink_only_inside_functions() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in _modules("bench")
        if _top_level_imports(path) & {"splink"}
    ]
    assert offenders == []
