"""Layering, read from the source (no module is imported): domain code in pipelines/ knows nothing
of Dagster; Dagster glue lives in assets/; non-public Dagster names come from one module."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_ENTRY = Path("pipelines/cli.py")  # may import assets/ inside the functions that run jobs
DAGSTER_INTERNALS = Path("assets/dagster_internals.py")
ORCHESTRATION = ("dagster", "dagster_dbt", "assets")
NON_PUBLIC = ("dagster._core", "dagster_dbt.asset_utils", "dagster_dbt.core")


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str  # the dotted name imported: `from a.b import c` imports "a.b.c"
    in_function: bool

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.module}"


def modules(*folders: str) -> list[Path]:
    return sorted(p.relative_to(ROOT) for folder in folders for p in (ROOT / folder).rglob("*.py"))


def imports_of(path: Path) -> list[Import]:
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend(Import(path, child.lineno, a.name, in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                # Relative imports would hide what they import from the rules below.
                assert child.level == 0, f"{path}:{child.lineno}: a relative import"
                found.extend(
                    Import(path, child.lineno, f"{child.module}.{a.name}", in_function)
                    for a in child.names
                )
            visit(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    visit(ast.parse((ROOT / path).read_text(), filename=str(path)), in_function=False)
    return found


def is_within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(f"{p}.") for p in packages)


def test_domain_code_imports_no_dagster_and_nothing_from_assets():
    domain = modules("pipelines")
    assert APP_ENTRY in domain
    violations = [
        str(i)
        for path in domain
        for i in imports_of(path)
        if is_within(i.module, ORCHESTRATION)
        and not (path == APP_ENTRY and i.in_function and is_within(i.module, ("assets",)))
    ]
    assert not violations, "\n".join(violations)


def test_non_public_dagster_names_come_only_from_dagster_internals():
    code = modules("pipelines", "assets", "tests", "benchmarks")
    assert DAGSTER_INTERNALS in code
    violations = [
        str(i)
        for path in code
        if path != DAGSTER_INTERNALS
        for i in imports_of(path)
        if is_within(i.module, NON_PUBLIC)
    ]
    assert not violations, "\n".join(violations)
