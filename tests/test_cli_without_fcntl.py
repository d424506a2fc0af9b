"""The CLI where ``fcntl`` does not exist, as on Windows: a whole run against the sandbox, a
second run refused (exit 4) while another holds the journal, and a killed holder's lock taken
over. Each in a child process that makes ``fcntl`` unimportable before importing the tool
(CI runs Linux only: this is how the journal lock without ``flock`` is tested here)."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from cli_runs import WAIT_S, cli_args, results_of, statuses, task_rows, write_input

from importer.sandbox import Sandbox

WITHOUT_FCNTL = 'import sys\nsys.modules["fcntl"] = None  # importing it fails, as on Windows\n'
CLI = WITHOUT_FCNTL + "from importer.cli import main\nsys.exit(main(sys.argv[1:]))\n"
HOLDER = WITHOUT_FCNTL + (
    "from importer.journal import Journal\n"
    "journal = Journal(sys.argv[1])\n"
    'print("ready", flush=True)\n'
    "sys.stdin.read()\n"
)


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=WAIT_S
    )


def test_without_fcntl_the_lock_holds_a_dead_holders_lock_is_taken_over_and_the_run_completes(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(5))
    args = cli_args("run", source, sb, tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "j.sqlite3")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"

        refused = run_cli(args, tmp_path)

        assert refused.returncode == 4, refused.stderr
        assert f"in use by another run (pid {holder.pid} on " in refused.stderr
        assert sb.counters()["requests"] == 0
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=WAIT_S)
        for stream in (holder.stdin, holder.stdout):
            if stream is not None:
                stream.close()

    done = run_cli(args, tmp_path)

    assert done.returncode == 0, done.stderr
    assert statuses(results_of(source)) == {"created": 5}
    assert sb.counters()["created"] == 5
    assert run_cli(args, tmp_path).returncode == 0  # the lock was released
    assert sb.counters()["created"] == 5
