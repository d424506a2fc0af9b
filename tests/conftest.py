"""Shared fixtures: dummy AWS credentials for every test, a sandbox factory, a boto3 factory."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

import importer.options
from importer.executor import ExecutorSettings
from importer.sandbox import Sandbox, SandboxConfig

NOWHERE = "http://127.0.0.1:9"
"""A local port nothing listens on (discard): the proxy for anything bound off this machine."""

RAM_TEMP = Path("/dev/shm")
"""Linux's RAM file system: the tests' temporary files go there when it has room."""
RAM_TEMP_ROOM = 1 << 30
"""Free bytes RAM_TEMP needs (some containers give it only 64 MB); a run writes ~20 MB."""

FAST = {"rate": 100_000.0, "burst": 100_000}
"""Quota for tests that do not test the quota: effectively unlimited."""


@pytest.fixture(autouse=True)
def aws_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Dummy credentials, no AWS config files, and every request not bound for 127.0.0.1 sent
    to a proxy that is not there: no test can reach a real account, even by mistake."""
    missing = tmp_path_factory.getbasetemp() / "no-aws-config"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(missing / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(missing / "credentials"))
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_CONNECT",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_STS",
        *(f"{scheme}_proxy" for scheme in ("http", "https", "all", "no", "ALL")),
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", NOWHERE)
    monkeypatch.setenv("HTTPS_PROXY", NOWHERE)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 (tests point the importer at it with
    AWS_ENDPOINT_URL_S3)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Factory: ``sandbox(**config_overrides)`` starts a sandbox; all are stopped at teardown."""
    started: list[Sandbox] = []

    def start(**overrides: Any) -> Sandbox:
        emulator = Sandbox(SandboxConfig(**{**FAST, **overrides}), port=0).start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


def make_connect_client(url: str) -> Any:
    """A boto3 Connect client for ``url`` with botocore's own retries off (one attempt)."""
    return boto3.client(
        "connect",
        endpoint_url=url,
        region_name="us-east-1",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=5),
    )


@pytest.fixture
def connect_client() -> Callable[[str], Any]:
    """Factory: ``connect_client(url)`` builds a boto3 Connect client for that endpoint."""
    return make_connect_client


@pytest.fixture(autouse=True)
def _journal_in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A run that forgets --journal must not write to the real ~/.local/state (nor the
    limits cache to the real ~/.cache)."""
    monkeypatch.setenv("TASK_IMPORTER_JOURNAL", str(tmp_path / "default-journal.sqlite3"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def soffice_profile(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A LibreOffice user profile (``-env:UserInstallation=`` value) for every soffice run of
    this test process: made by the first run, reused by the next. One per pytest-xdist
    worker, as each has its own base temp folder: soffice runs one at a time on a profile."""
    return (tmp_path_factory.mktemp("soffice-profile") / "profile").as_uri()


def pytest_configure(config: pytest.Config) -> None:
    """Temporary files (tmp_path, the CLI children's, tempfile's) in RAM when RAM_TEMP has
    room, unless TMPDIR or --basetemp says where: journals and results files are fsynced
    at every commit, ~1.5 ms each on a disk (several seconds for some tests, and more on a
    busy machine) and next to nothing in RAM. What the tests assert is the same on both;
    `TMPDIR=/tmp pytest` runs them on the disk."""
    if os.environ.get("TMPDIR") or config.option.basetemp:
        return
    usable = RAM_TEMP.is_dir() and os.access(RAM_TEMP, os.W_OK | os.X_OK)
    if usable and shutil.disk_usage(RAM_TEMP).free >= RAM_TEMP_ROOM:
        os.environ["TMPDIR"] = str(RAM_TEMP)  # inherited by xdist workers and children
        tempfile.tempdir = None  # gettempdir() looks again


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``early`` first, the rest in their order: pytest-xdist hands each worker
    a share of the queue and idle workers take the end of busy ones' queues, so the long
    tests start at once and the short ones fill the end."""
    items.sort(key=lambda item: item.get_closest_marker("early") is None)


@pytest.fixture
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process CLI runs retry after 0-50 ms, doubling up to 0.5 s, rather than 0.5 s up to
    20 s: for tests that count retries and outcomes, never how long a retry waits."""
    monkeypatch.setattr(
        importer.options,
        "ExecutorSettings",
        functools.partial(ExecutorSettings, backoff_base=0.05, backoff_max=0.5),
    )
