"""What bench_run.py's sections share: isolation from AWS, rows, and running ours.

Nothing here contacts AWS: every client is given a sandbox's 127.0.0.1 endpoint, and
:func:`isolate_from_aws` leaves only dummy credentials and no AWS configuration files.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from importer.aws import make_client, task_submitter
from importer.executor import Executor, ExecutorSettings, RunReport
from importer.journal import Journal
from importer.model import Outcome, PreparedRow, SourceRow, Status
from importer.row_journal import TaskJournal
from importer.sandbox import defaults

REGION = defaults.REGION
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 30.0
LOCAL_URL = "http://127.0.0.1:"

AWS_ENV_REMOVED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_CONNECT",
    "AWS_RETRY_MODE",
    "AWS_MAX_ATTEMPTS",
    "AWS_CA_BUNDLE",
    *(f"{scheme}_proxy" for scheme in ("http", "https", "all", "HTTP", "HTTPS", "ALL")),
)


def isolate_from_aws(scratch: Path) -> None:
    """Dummy credentials, no AWS config files, no proxies: nothing can reach a real account.

    Every client is also given the sandbox's 127.0.0.1 endpoint explicitly.
    """
    for name in AWS_ENV_REMOVED:
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_CONFIG_FILE": str(scratch / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "127.0.0.1",
        }
    )


def refuse_remote(url: str) -> None:
    """Exit if ``url`` is not the local sandbox's."""
    if not url.startswith(LOCAL_URL):
        raise SystemExit(f"refusing a sandbox URL that is not local: {url}")


def make_rows(n: int, prefix: str) -> list[PreparedRow]:
    """``n`` valid rows with distinct ClientTokens, built as tests/test_executor.py does."""
    rows = []
    for index in range(n):
        request = {
            "InstanceId": defaults.INSTANCE_ID,
            "ContactFlowId": defaults.CONTACT_FLOW_IDS[0],
            "Name": f"Bench task {index}",
            "Description": f"bench_run.py row {index}",
            "ClientToken": f"{prefix}-{index:05d}",
        }
        source = SourceRow(index + 2, {"Name": request["Name"]})
        rows.append(PreparedRow(source, request, request["ClientToken"]))
    return rows


@dataclass
class OursRun:
    """One Executor run: its report, rows by status, send time, CPU time, limiter cuts."""

    report: RunReport
    statuses: Counter[Status]
    elapsed: float
    cpu: float
    cuts: int


def run_ours(
    url: str,
    rows: list[PreparedRow],
    settings: ExecutorSettings,
    journal_path: Path,
    deadline_s: float,
) -> OursRun:
    """The Executor as `task-importer run` uses it: a client from make_client sent through
    by task_submitter (botocore's retries off), a journal at ``journal_path``. ``cpu`` is
    this process's CPU time during the run (all threads)."""
    client = make_client(
        region=REGION,
        endpoint_url=url,
        concurrency=settings.concurrency,
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
    )
    statuses: Counter[Status] = Counter()

    def count(outcome: Outcome) -> None:
        statuses[outcome.status] += 1

    with Journal(journal_path) as journal:
        executor = Executor(task_submitter(client), TaskJournal(journal), settings, batch_id="b")
        deadline = threading.Timer(deadline_s, executor.request_stop, args=("benchmark deadline",))
        deadline.daemon = True
        deadline.start()
        try:
            cpu = time.process_time()
            start = time.monotonic()
            report = executor.run(rows, count)
            elapsed = time.monotonic() - start
            cpu = time.process_time() - cpu
        finally:
            deadline.cancel()
    return OursRun(report, statuses, elapsed, cpu, executor.limiter.cuts)


def met(ok: bool) -> str:
    """A target's verdict as every section prints it."""
    return "MET" if ok else "MISSED"
