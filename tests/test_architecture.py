"""The house: every module imports only from its own floor or the floors below it, and no circles."""

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "vaescan"

FLOORS = ("basics", "stats", "data", "pages", "digitize", "models", "explain", "analysis", "report", "workflows",
          "cli")
"""Bottom to top; a module's floor is its folder under vaescan/ (top-level modules are the basics)."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor_of(module: str) -> str:
    """``vaescan.models.vae`` -> ``models``; ``vaescan.errors`` and ``vaescan`` -> ``basics``."""
    parts = module.split(".")
    if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()):
        return parts[1]
    return "cli" if parts[-1] == "__main__" else "basics"


@functools.cache
def import_graph() -> dict[str, set[str]]:
    """Module -> the vaescan modules it imports (at the top or inside functions; ``TYPE_CHECKING`` blocks too)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1] if node.level else []
                root = ".".join(base + ([node.module] if node.module else []))
                targets = [f"{root}.{a.name}" if f"{root}.{a.name}" in modules else root for a in node.names]
            else:
                continue
            deps.update(t for t in targets if t.split(".")[0] == "vaescan" and t != name)
        graph[name] = deps
    return graph


def test_every_folder_has_a_floor():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert folders == set(FLOORS) - {"basics"}


@pytest.mark.parametrize("module", sorted(import_graph()))
def test_no_module_imports_a_floor_above_its_own(module):
    rank = {floor: i for i, floor in enumerate(FLOORS)}
    own = rank[floor_of(module)]
    above = sorted(d for d in import_graph()[module] if rank[floor_of(d)] > own)
    assert not above, f"{module} ({floor_of(module)}) imports from a floor above it: {above}"


def test_no_import_circles():
    graph = import_graph()
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycle = path[path.index(dep):] + [dep] if dep in path else [node, dep]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep, path + [dep])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_the_checks_see_a_violation():
    """The floor rule itself: a model importing the report, or the library importing the CLI, is above."""
    rank = {floor: i for i, floor in enumerate(FLOORS)}
    assert rank[floor_of("vaescan.report.ecg_plots")] > rank[floor_of("vaescan.models.vae")]
    assert rank[floor_of("vaescan.cli.options")] > rank[floor_of("vaescan.data.synth.cohort")]
    assert floor_of("vaescan.errors") == "basics" and floor_of("vaescan") == "basics"
