"""s3:// inputs, results and archives, against moto's S3 server on 127.0.0.1."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from cli_runs import FLOW, HEADER, INSTANCE, cli_args, statuses, task_rows, tasks_by_token
from spreadsheets import read_results, write_csv

from importer.cli import main
from importer.sandbox import Sandbox

BUCKET = "ops-drop"


@pytest.fixture
def s3(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An empty bucket on the moto server; the importer finds it via AWS_ENDPOINT_URL_S3."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_url)
    client = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def put_csv(s3: Any, key: str, rows: list[list[str]], tmp_path: Any) -> None:
    local = write_csv(tmp_path / key.replace("/", "_"), [HEADER, *rows])
    s3.upload_file(str(local), BUCKET, key)


def keys(s3: Any) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def results_in(s3: Any, key: str, tmp_path: Any) -> list[dict[str, str]]:
    local = tmp_path / "downloaded.results.csv"
    s3.download_file(BUCKET, key, str(local))
    return read_results(local)


def test_an_s3_input_gets_its_results_beside_it_on_s3(
    s3: Any, sandbox: Callable[..., Sandbox], tmp_path: Any
) -> None:
    sb = sandbox()
    put_csv(s3, "in/tasks.csv", task_rows(5), tmp_path)

    assert main(cli_args("run", f"s3://{BUCKET}/in/tasks.csv", sb, tmp_path)) == 0

    assert keys(s3) == ["in/tasks.csv", "in/tasks.results.csv"]
    lines = results_in(s3, "in/tasks.results.csv", tmp_path)
    assert statuses(lines) == {"created": 5}
    assert {line["client_token"] for line in lines} == set(tasks_by_token(sb))


def test_an_s3_inbox_is_archived_on_s3_and_a_failing_file_stays(
    s3: Any, sandbox: Callable[..., Sandbox], tmp_path: Any
) -> None:
    sb = sandbox()
    put_csv(s3, "inbox/a.csv", task_rows(3), tmp_path)
    put_csv(s3, "inbox/b.csv", [*task_rows(2, start=10), ["", "no name", "1", "low"]], tmp_path)
    put_csv(s3, "inbox/old/ignored.csv", task_rows(1, start=50), tmp_path)
    s3.put_object(Bucket=BUCKET, Key="inbox/notes.txt", Body=b"not an input")
    args = cli_args(
        "run",
        f"s3://{BUCKET}/inbox/",
        sb,
        tmp_path,
        "--archive-dir",
        f"s3://{BUCKET}/done/",
        "--results-dir",
        f"s3://{BUCKET}/results",
    )

    assert main(args) == 1

    assert keys(s3) == [
        "done/a.csv",
        "inbox/b.csv",
        "inbox/notes.txt",
        "inbox/old/ignored.csv",
        "results/a.results.csv",
        "results/b.results.csv",
    ]
    assert statuses(results_in(s3, "results/b.results.csv", tmp_path)) == {
        "created": 2,
        "invalid": 1,
    }
    assert len(tasks_by_token(sb)) == 5


def test_a_missing_s3_object_or_bucket_is_a_clear_error(
    s3: Any, sandbox: Callable[..., Sandbox], tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()

    assert main(cli_args("run", f"s3://{BUCKET}/nope.csv", sb, tmp_path)) == 2
    assert f"cannot read s3://{BUCKET}/nope.csv: no such object" in capsys.readouterr().err

    assert main(cli_args("run", "s3://no-such-bucket/in/", sb, tmp_path)) == 2
    assert "cannot list s3://no-such-bucket/in/: the bucket does not exist" in (
        capsys.readouterr().err
    )
    assert sb.counters()["requests"] == 0


def test_validate_reads_s3_and_writes_results_to_a_local_folder(
    s3: Any, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    buffer = io.StringIO()
    buffer.write(",".join(["InstanceId", "ContactFlowId", *HEADER]) + "\n")
    buffer.write(f"{INSTANCE},{FLOW},Task,Call,1,low\n")
    buffer.write(f"{INSTANCE},{FLOW},,No name,2,low\n")
    s3.put_object(Bucket=BUCKET, Key="v/tasks.csv", Body=buffer.getvalue().encode())

    code = main(["validate", f"s3://{BUCKET}/v/tasks.csv", "--results-dir", str(tmp_path)])

    assert code == 1
    assert statuses(read_results(tmp_path / "tasks.results.csv")) == {"valid": 1, "invalid": 1}
    assert f"copied from s3://{BUCKET}/v/tasks.csv" in capsys.readouterr().err


def test_retry_of_an_s3_results_file_writes_it_back_and_its_summary(
    s3: Any, sandbox: Callable[..., Sandbox], tmp_path: Any
) -> None:
    sb = sandbox()
    put_csv(s3, "in/tasks.csv", [*task_rows(3), ["", "no name", "1", "low"]], tmp_path)
    assert main(cli_args("run", f"s3://{BUCKET}/in/tasks.csv", sb, tmp_path)) == 1
    local = tmp_path / "fix.csv"
    s3.download_file(BUCKET, "in/tasks.results.csv", str(local))
    local.write_text(local.read_text(encoding="utf-8-sig").replace(",,no name,", ",Fixed,no name,"))
    s3.upload_file(str(local), BUCKET, "in/tasks.results.csv")
    summary = tmp_path / "retry.json"

    args = cli_args("retry", f"s3://{BUCKET}/in/tasks.results.csv", sb, tmp_path)
    assert main([*args, "--summary-json", str(summary)]) == 0

    assert statuses(results_in(s3, "in/tasks.results.csv", tmp_path)) == {"created": 4}
    assert len(tasks_by_token(sb)) == 4
    report = json.loads(summary.read_text(encoding="utf-8"))
    assert report["command"] == "retry"
    assert report["counts"]["created"] == 4 and report["api_calls"] == 1
    assert report["results"] == [f"s3://{BUCKET}/in/tasks.results.csv"]


def test_undo_of_an_s3_results_file_writes_it_back(
    s3: Any, sandbox: Callable[..., Sandbox], tmp_path: Any
) -> None:
    sb = sandbox()
    put_csv(s3, "in/tasks.csv", task_rows(3), tmp_path)
    assert main(cli_args("run", f"s3://{BUCKET}/in/tasks.csv", sb, tmp_path)) == 0
    results = f"s3://{BUCKET}/in/tasks.results.csv"
    journal = str(tmp_path / "j.sqlite3")

    args = ["undo", results, "--endpoint-url", sb.url, "--journal", journal, "--yes"]
    assert main([*args, "--no-progress"]) == 0

    assert statuses(results_in(s3, "in/tasks.results.csv", tmp_path)) == {"stopped": 3}
    assert {task["State"] for task in sb.tasks()} == {"stopped"}


def test_s3_results_holding_contact_ids_the_new_results_lack_are_kept_beside_them(
    s3: Any, sandbox: Callable[..., Sandbox], tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    put_csv(s3, "in/callbacks.csv", task_rows(3), tmp_path)
    source = f"s3://{BUCKET}/in/callbacks.csv"
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    monday = results_in(s3, "in/callbacks.results.csv", tmp_path)
    put_csv(s3, "in/callbacks.csv", task_rows(3, start=100), tmp_path)  # a new file, same name
    capsys.readouterr()

    assert main(cli_args("run", source, sb, tmp_path)) == 0

    (kept,) = [key for key in keys(s3) if key.startswith("in/callbacks.results.2")]
    assert f"it is kept as s3://{BUCKET}/{kept}" in capsys.readouterr().err
    assert results_in(s3, kept, tmp_path) == monday
    assert statuses(results_in(s3, "in/callbacks.results.csv", tmp_path)) == {"created": 3}
    assert len(tasks_by_token(sb)) == 6
