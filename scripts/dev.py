"""Set up ``.venv`` when it is missing or stale, then run the demo or the test suite.

    python3 scripts/dev.py demo [OPTIONS]       # run the sample data against the sandbox
    python3 scripts/dev.py test [PYTEST ARGS]   # ruff, then the test suite (what CI runs)

The Makefile's ``make demo`` and ``make test`` call it; on Windows ``py scripts\\dev.py demo``
does the same. Only the standard library, so it runs on a machine that has nothing but
Python 3.11+.

The project is installed into ``.venv`` as a user installs it, not editable
(``pip install '.[test]'``), so a file missing from the wheel fails here as in CI. It is
installed again whenever what it was installed from changed: a digest of pyproject.toml and
of every file under importer/ is kept in ``.venv`` and compared each time, so ``make test``
after an edit tests the edit, and is quick (a digest of a few hundred kilobytes) when
nothing changed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP = "installed-from.sha256"
"""In .venv: the digest of the sources the project was last installed from."""
SOURCES = ("pyproject.toml", "importer")
"""What the installed project is made from, relative to the repository's root."""
DEMO = ("run", "sample_data/tasks.xlsx", "--sandbox")
LINT = (("ruff", "check", "."), ("ruff", "format", "--check", "."))


def venv_script(venv_dir: Path, name: str) -> Path:
    """A program installed in the virtualenv, where this OS puts it."""
    if os.name == "nt":
        return venv_dir / "Scripts" / f"{name}.exe"
    return venv_dir / "bin" / name


def source_digest(root: Path) -> str:
    """A digest of every source file the installed project is made from."""
    digest = hashlib.sha256()
    for path in sorted(_source_files(root)):
        content = path.read_bytes()
        digest.update(f"{path.relative_to(root).as_posix()}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def _source_files(root: Path) -> Iterator[Path]:
    for name in SOURCES:
        path = root / name
        if path.is_file():
            yield path
        for file in path.rglob("*") if path.is_dir() else ():
            if file.is_file() and "__pycache__" not in file.parts:
                yield file


def is_stale(venv_dir: Path, root: Path) -> bool:
    """Whether the virtualenv is missing, or the project in it was installed from other
    sources than those in ``root`` now."""
    stamp = venv_dir / STAMP
    if not venv_script(venv_dir, "python").exists() or not stamp.is_file():
        return True
    return stamp.read_text(encoding="ascii").strip() != source_digest(root)


def write_stamp(venv_dir: Path, digest: str) -> None:
    (venv_dir / STAMP).write_text(digest + "\n", encoding="ascii")


def ensure_venv(venv_dir: Path = VENV, root: Path = ROOT) -> None:
    """Make the virtualenv and install the project into it, when missing or stale."""
    if not is_stale(venv_dir, root):
        return
    python = venv_script(venv_dir, "python")
    if not python.exists():
        print(f"Creating {venv_dir} ...", flush=True)
        try:
            venv.EnvBuilder(with_pip=True, clear=venv_dir.exists()).create(venv_dir)
        except (OSError, subprocess.CalledProcessError) as problem:
            sys.exit(
                f"Cannot create {venv_dir}: {problem}. On Debian or Ubuntu, install the "
                "python3-venv package first."
            )
    digest = source_digest(root)  # before installing: an edit meanwhile installs again
    # setuptools copies the package to build/lib and never removes a file from it there: a
    # module deleted or renamed in importer/ would still be installed from the old copy.
    shutil.rmtree(root / "build", ignore_errors=True)
    print(f"Installing the project into {venv_dir} (pip install '.[test]') ...", flush=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if run([*pip, ".[test]"], root) != 0:
        sys.exit("pip install failed (see above); nothing was run")
    write_stamp(venv_dir, digest)


def run(command: Sequence[str], cwd: Path) -> int:
    """Run ``command`` to its end and return its exit code. A Ctrl-C reaches the command too
    (the same console), which stops cleanly on its own: wait for it, never kill it."""
    process = subprocess.Popen(command, cwd=cwd)
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue


def demo(args: Sequence[str]) -> int:
    return run([str(venv_script(VENV, "task-importer")), *DEMO, *args], ROOT)


def test(args: Sequence[str]) -> int:
    """ruff check and ruff format --check, then pytest (the installed project, not the
    source tree: pytest's own script, unlike ``python -m pytest``, leaves the root off
    sys.path)."""
    for command in LINT:
        code = run([str(venv_script(VENV, command[0])), *command[1:]], ROOT)
        if code != 0:
            return code
    return run([str(venv_script(VENV, "pytest")), *args], ROOT)


COMMANDS = {"demo": demo, "test": test}


def main(argv: Sequence[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 (this script runs on whatever python is first)
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    if not argv or argv[0] not in COMMANDS:
        sys.exit(f"usage: {Path(__file__).name} {{{','.join(COMMANDS)}}} [ARGS...]")
    ensure_venv()
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
