"""scripts/dev.py (make demo, make test): when .venv must be made or the project installed
into it again. A project tree of a few files stands in for the repository."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "dev.py"


@pytest.fixture(scope="module")
def dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project: pyproject.toml, a package with data, tests; a .venv with a python in it."""
    files = {
        "pyproject.toml": "[project]\nname = 'x'\n",
        "importer/__init__.py": "",
        "importer/cli.py": "def main(): ...\n",
        "importer/data/schema.json": "{}",
        "tests/test_x.py": "def test(): ...\n",
        "README.md": "# x\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def installed(dev: ModuleType, root: Path) -> Path:
    """.venv as after an install from the tree as it is now."""
    venv = root / ".venv"
    python = dev.venv_script(venv, "python")
    python.parent.mkdir(parents=True, exist_ok=True)
    python.write_text("")
    dev.write_stamp(venv, dev.source_digest(root))
    return venv


def test_no_venv_or_no_record_of_an_install_is_stale(dev: ModuleType, root: Path) -> None:
    venv = root / ".venv"
    assert dev.is_stale(venv, root)
    installed(dev, root)
    assert not dev.is_stale(venv, root)
    (venv / dev.STAMP).unlink()  # made by hand, or an install that failed
    assert dev.is_stale(venv, root)
    installed(dev, root)
    dev.venv_script(venv, "python").unlink()  # a broken .venv
    assert dev.is_stale(venv, root)


@pytest.mark.parametrize(
    "change",
    [
        "edit importer/cli.py",
        "edit pyproject.toml",
        "add importer/new.py",
        "delete importer/data/schema.json",
    ],
)
def test_a_change_to_what_is_installed_makes_it_stale(
    dev: ModuleType, root: Path, change: str
) -> None:
    venv = installed(dev, root)
    action, name = change.split(" ", 1)
    if action == "delete":
        (root / name).unlink()
    else:
        (root / name).write_text("changed = True\n")
    assert dev.is_stale(venv, root)


def test_changes_to_what_is_not_installed_keep_it_fresh(dev: ModuleType, root: Path) -> None:
    venv = installed(dev, root)
    (root / "tests/test_x.py").write_text("def test(): assert True\n")
    (root / "README.md").write_text("# changed\n")
    (root / "importer/__pycache__").mkdir()
    (root / "importer/__pycache__/cli.cpython-311.pyc").write_bytes(b"\0")
    assert not dev.is_stale(venv, root)
