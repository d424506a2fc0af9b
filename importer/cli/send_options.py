"""The options of the commands that send rows (`run`, `retry`): rate, retries, stop rules,
timeouts, journal and AWS target, and the executor settings they make."""

from __future__ import annotations

import argparse
import math

from importer.aws import CONNECT_TIMEOUT, READ_TIMEOUT
from importer.cli.target import add_target_options
from importer.executor import ExecutorSettings
from importer.reconcile import EDITED_CODE


def add_submit_options(parser: argparse.ArgumentParser) -> None:
    """Options for sending rows: rate, retries, stop rules, journal, AWS target."""
    group = parser.add_argument_group(
        "sending",
        "Ctrl-C or SIGTERM stops sending: the requests in flight finish, the results are "
        "written and the exit code is 3. A second one stops waiting for those requests: "
        "their rows are failed, saying a task may have been created, and the next run "
        "reconciles them.",
    )
    group.add_argument("--rate", type=float, default=2.0, help="requests/second (default 2)")
    group.add_argument("--burst", type=int, default=5, help="burst size (default 5)")
    group.add_argument(
        "--concurrency", type=int, default=4, help="requests in flight at once (default 4)"
    )
    group.add_argument(
        "--max-attempts", type=int, default=8, help="attempts per row, first included (default 8)"
    )
    group.add_argument(
        "--max-failures",
        metavar="N|N%",
        type=parse_max_failures,
        help="stop the run once more than N rows (or N%% of rows) failed",
    )
    group.add_argument(
        "--connect-timeout",
        metavar="SECONDS",
        type=positive_seconds,
        default=CONNECT_TIMEOUT,
        help=f"give up connecting to the endpoint after this long; the attempt is retried "
        f"(default {CONNECT_TIMEOUT:g})",
    )
    group.add_argument(
        "--read-timeout",
        metavar="SECONDS",
        type=positive_seconds,
        default=READ_TIMEOUT,
        help="give up waiting for an answer after this long; the attempt is retried with the "
        "same ClientToken. If the run's first requests all get no answer, the run stops "
        f"(default {READ_TIMEOUT:g})",
    )
    group.add_argument(
        "--quota-pause",
        metavar="SECONDS",
        type=float,
        default=30.0,
        help="when the active-task quota refuses a task, pause this long before trying once "
        "more; still refused: the run stops (default 30)",
    )
    group.add_argument(
        "--journal",
        metavar="PATH",
        help="journal of what was sent (default: $TASK_IMPORTER_JOURNAL, else "
        "$XDG_STATE_HOME/connect-task-importer/journal.sqlite3)",
    )
    group.add_argument(
        "--send-edited",
        action="store_true",
        help="send rows changed since their task was created as new tasks (by default they "
        f"are not sent: failed, {EDITED_CODE}), and rows changed since a send whose answer was "
        "lost under their own ClientToken (by default they are sent with that send's, which "
        "cannot make a second task)",
    )
    group.add_argument("--no-progress", action="store_true", help="no progress bar or lines")
    group.add_argument(
        "--summary-json",
        metavar="FILE",
        help="write a JSON summary (counts, timings, exit code, audit record) to FILE, "
        "or to stdout with '-'",
    )
    add_target_options(parser)


def positive_seconds(text: str) -> float:
    """A number of seconds above 0."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < math.inf:  # also refuses nan
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds above 0")
    return seconds


def parse_max_failures(text: str) -> tuple[int | None, float | None]:
    """``N`` -> (N, None); ``N%`` -> (None, N/100)."""
    try:
        if text.endswith("%"):
            percent = float(text[:-1])
            if not 0 < percent <= 100:
                raise ValueError
            return None, percent / 100
        count = int(text)
        if count < 0:
            raise ValueError
        return count, None
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a count or a percentage (e.g. 50 or 5%)"
        ) from None


def executor_settings(args: argparse.Namespace) -> ExecutorSettings:
    max_failures, fraction = args.max_failures or (None, None)
    return ExecutorSettings(
        concurrency=args.concurrency,
        rate=args.rate,
        burst=args.burst,
        max_attempts=args.max_attempts,
        max_failures=max_failures,
        max_failure_fraction=fraction,
        quota_pause_seconds=args.quota_pause,
    )
