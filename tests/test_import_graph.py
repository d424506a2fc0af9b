"""The shape of importer/: no import circle; the core never imports the sandbox (an oracle
that imports nothing from the core) nor the CLI; no CLI command imports another, and the
CLI takes no rule (tokens, idempotency, sending, exit codes) from the core, only the use
cases that apply them. Read from the source with ast. And every module imports where
POSIX-only modules do not exist (Windows)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import importer

ROOT = Path(importer.__file__).resolve().parent


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The importer modules a module imports anywhere in it (in functions too): ``from P
    import name`` counts as P.name when that is a module, else as P."""
    found: set[str] = set()
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's package, one level up per extra dot
                anchor = package
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return found & known


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(path, set(found)) - {name} for name, path in found.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(edges.get(module, ())):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return groups


def test_the_circle_finder_finds_a_circle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(edges) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_module_of_importer_imports_itself_back_through_others() -> None:
    assert circles(graph()) == []


def test_the_core_imports_neither_the_sandbox_nor_the_cli_and_the_sandbox_no_core() -> None:
    edges = graph()
    assert "importer.reading.table" in edges["importer.reading.excel"], "the graph sees imports"

    def inside(module: str, package: str) -> bool:
        return module == package or module.startswith(package + ".")

    def is_core(module: str) -> bool:
        return not inside(module, "importer.sandbox") and not inside(module, "importer.cli")

    upward = {
        (module, target)
        for module, targets in edges.items()
        if is_core(module) and module != "importer.__main__"
        for target in targets
        if not is_core(target)
    }
    assert upward == set()
    from_sandbox = {
        (module, target)
        for module, targets in edges.items()
        if inside(module, "importer.sandbox")
        for target in targets
        if not inside(target, "importer.sandbox")
    }
    assert from_sandbox == set()


POSIX_ONLY = ("fcntl", "termios", "pwd", "grp", "resource")
"""Modules Windows does not have."""
IMPORT_ALL = f"""
import importlib, sys
for name in {POSIX_ONLY!r}:
    sys.modules[name] = None  # importing it raises ImportError, as on Windows
for name in sys.argv[1:]:
    importlib.import_module(name)
"""


def test_every_module_imports_without_the_posix_only_modules() -> None:
    """No module of importer/ (nor what it imports) needs one at import time: on Windows a
    POSIX-only module may only be imported where it is used, behind a check of the OS."""
    names = sorted(set(modules()) - {"importer.__main__"})  # __main__ runs the CLI
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, *names], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_no_command_of_the_cli_imports_another() -> None:
    from importer.cli import COMMANDS

    commands = {command.handler.__module__ for command in COMMANDS}
    assert len(commands) == len(COMMANDS) >= 6
    edges = graph()
    assert {(module, target) for module in commands for target in edges[module] & commands} == set()


RULES = (
    "importer.tokens",
    "importer.journal",
    "importer.reconcile",
    "importer.lost_answers",
    "importer.retry_plan",
    "importer.executor",
    "importer.row_sender",
    "importer.stop_rules",
    "importer.exit_policy",
)
"""The modules that hold the rules of tokens, idempotency, sending and exit codes."""


def test_the_cli_takes_no_rule_from_the_core_only_constants_for_its_texts() -> None:
    taken = set()
    for name, path in modules().items():
        if not name.startswith("importer.cli"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                taken.update((name, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                taken.update(
                    (name, f"{node.module}.{alias.name}")
                    for alias in node.names
                    if not alias.name.isupper()
                )
    assert {
        (module, target)
        for module, target in taken
        if any(target == rule or target.startswith(rule + ".") for rule in RULES)
    } == set()


def test_the_command_line_starts_without_boto3() -> None:
    """boto3 (with s3transfer) and botocore's session take a third of a second to import:
    they load when a command makes a client, so validate, which sends nothing, never pays."""
    script = (
        "import sys, importer.cli\n"
        "heavy = ('boto3', 's3transfer', 'botocore.session', 'botocore.client')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
