"""Attachments end to end: Attachment1..Attachment5 columns, s3:// locations presigned with
boto3 against moto's S3 server, https:// links passed through, the limits, check's
HeadObject, and re-runs that never make a second task although every run signs anew."""

from __future__ import annotations

import itertools
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from cli_runs import (
    FLOW,
    check_args,
    cli_args,
    edit_results,
    results_of,
    statuses,
    tasks_by_token,
    validate_args,
    write_input,
)
from spreadsheets import read_results

from importer.attachments import Presigner
from importer.cli import main
from importer.outbound import RESIGNED
from importer.results import default_results_path
from importer.sandbox import Sandbox

BUCKET = "task-files"
PASSED_THROUGH = (
    "https://elsewhere.s3.amazonaws.com/scans/Scan%2007.png?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Signature=0123abcd"
)
HEADER = ["Name", "Attachment1", "Attachment2"]


@pytest.fixture
def s3(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A bucket holding two files on the moto server; the importer reaches it through
    AWS_ENDPOINT_URL_S3."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_url)
    client = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    client.put_object(Bucket=BUCKET, Key="invoices/order 42.pdf", Body=b"%PDF invoice 42")
    client.put_object(Bucket=BUCKET, Key="photos/site.jpg", Body=b"jpeg bytes")
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def attachments_by_name(sb: Sandbox) -> dict[str, list[dict[str, str]]]:
    return {task["request"]["Name"]: task["request"].get("Attachments") for task in sb.tasks()}


def rows(n: int) -> list[list[str]]:
    return [
        [f"Task {i}", f"s3://{BUCKET}/invoices/order 42.pdf", PASSED_THROUGH if i % 2 else ""]
        for i in range(n)
    ]


def test_s3_files_are_sent_as_working_presigned_links_and_https_links_as_given(
    s3: Any, sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    source = write_input(
        tmp_path / "tasks.csv",
        [
            ["two files", f"S3://{BUCKET}/invoices/order 42.pdf", PASSED_THROUGH],
            ["one file", f"s3://{BUCKET}/photos/site.jpg", ""],
            ["no file", "", ""],
        ],
        HEADER,
    )

    assert main(cli_args("run", source, sb, tmp_path, "--attachment-url-hours", "2")) == 0

    assert "X-Amz-Signature" not in capsys.readouterr().err  # links are never logged
    assert statuses(results_of(source)) == {"created": 3}
    sent = attachments_by_name(sb)
    signed, passed = sent["two files"]
    assert signed["FileName"] == "order 42.pdf"
    assert passed == {"FileName": "Scan 07.png", "S3Url": PASSED_THROUGH}
    assert sent["one file"][0]["FileName"] == "site.jpg"
    assert sent["no file"] is None
    query = parse_qs(urlsplit(signed["S3Url"]).query)
    assert query["X-Amz-Expires"] == ["7200"]
    assert "X-Amz-Signature" in query
    with urllib.request.urlopen(signed["S3Url"], timeout=10) as answer:  # a GET link
        assert answer.read() == b"%PDF invoice 42"


def test_rerunning_the_same_file_makes_one_task_per_row_though_links_are_signed_anew(
    s3: Any, sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", rows(6), HEADER)
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    first = {line["row"]: line["client_token"] for line in results_of(source)}
    requests = sb.counters()["requests"]

    # the same journal: every row is known, nothing is sent
    assert main(cli_args("run", source, sb, tmp_path, "--attachment-url-hours", "3")) == 0
    assert statuses(results_of(source)) == {"already_created": 6}
    assert sb.counters()["requests"] == requests

    # another journal: the same ClientTokens reach Amazon Connect (links signed for another
    # lifetime, so other parameters): no second task, and the rows say why
    other_journal = [*cli_args("run", source, sb, tmp_path), "--journal", str(tmp_path / "b.db")]
    assert main([*other_journal, "--attachment-url-hours", "3"]) == 1
    lines = results_of(source)
    assert {line["row"]: line["client_token"] for line in lines} == first
    assert len(tasks_by_token(sb)) == 6
    assert set(tasks_by_token(sb)) == set(first.values())
    assert statuses(lines) == {"failed": 6}
    assert {line["error_code"] for line in lines} == {"IdempotentParameterMismatchException"}
    assert all(line["error_message"].startswith(RESIGNED) for line in lines)


@pytest.mark.usefixtures("quick_backoff")
def test_a_retried_attempt_sends_the_same_links_so_a_lost_answer_finds_its_task(
    s3: Any, sandbox: Callable[..., Sandbox], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox(drop_after_rate=0.5, seed=7)
    signings = itertools.count()
    sign = Presigner.sign
    # Two signings a second apart differ; here every signing does, whatever the timing.
    monkeypatch.setattr(Presigner, "sign", lambda *a: f"{sign(*a)}&n={next(signings)}")
    source = write_input(tmp_path / "tasks.csv", rows(12), HEADER)

    assert main(cli_args("run", source, sb, tmp_path, "--max-attempts", "20")) == 0

    lines = results_of(source)
    assert statuses(lines) == {"created": 12}
    assert sb.counters()["dropped_after"] > 0
    assert sb.counters()["replays"] == sb.counters()["dropped_after"]  # same token, same body
    assert len(tasks_by_token(sb)) == 12


def test_retry_and_a_rerun_do_not_take_rows_with_links_for_edited_ones(
    s3: Any, sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    source = write_input(
        tmp_path / "tasks.csv", [*rows(4), ["", f"s3://{BUCKET}/x.pdf", ""]], HEADER
    )
    assert main(cli_args("run", source, sb, tmp_path)) == 1  # the last row has no Name
    results = default_results_path(source)
    assert edit_results(results, lambda line: {"Name": "fixed"} if not line["Name"] else None)
    s3.put_object(Bucket=BUCKET, Key="x.pdf", Body=b"x")

    assert main(cli_args("retry", results, sb, tmp_path)) == 0

    lines = results_of(source)
    assert statuses(lines) == {"created": 5}
    assert len(tasks_by_token(sb)) == 5
    assert main(cli_args("run", source, sb, tmp_path)) == 0  # lacking the Name, still known
    assert statuses(results_of(source)) == {"already_created": 5}
    assert len(tasks_by_token(sb)) == 5


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ftp://files.example.com/a.pdf", "is neither an S3 location (s3://BUCKET/KEY)"),
        ("invoice.pdf", "is neither an S3 location"),
        ("https://files.example.com/a b.pdf", "is neither an S3 location"),
        ("s3://Bad_Bucket/a.pdf", "'Bad_Bucket' is not an S3 bucket name"),
        ("s3://bucket-1/folder/", "names no file (it ends with '/')"),
        ("s3://bucket-1/" + "k" * 1025, "longer than the 1,024 bytes S3 allows"),
        ("s3://bucket-1/" + "n" * 257, "the file name has 257 characters, more than the 256"),
        ("https://f.example.com/a.pdf?" + "q" * 2000, "more than the 2,000 Amazon Connect takes"),
        ("https://f.example.com/a%E2%80%8B.pdf", "file name holds an invisible character (U+200B)"),
    ],
)
def test_bad_attachment_cells_are_row_errors_naming_the_column(
    tmp_path: Path, value: str, expected: str
) -> None:
    source = write_input(tmp_path / "tasks.csv", [["T", value]], ["Name", "Attachment 1"])

    assert main(validate_args(source)) == 1

    (line,) = results_of(source)
    assert line["error_message"].startswith("Attachment 1: ")
    assert expected in line["error_message"]


def test_more_than_five_attachments_is_a_row_error(tmp_path: Path) -> None:
    header = ["Name", *(f"Attachment{n}" for n in range(1, 8))]
    files = [f"s3://{BUCKET}/f{n}.pdf" for n in range(1, 8)]
    source = write_input(
        tmp_path / "tasks.csv", [["six", *files[:6], ""], ["five", *files[:5], "", ""]], header
    )

    assert main(validate_args(source)) == 1

    six, five = results_of(source)
    assert six["error_message"] == (
        "Attachment6: this row has 6 attachments (Attachment1, Attachment2, Attachment3, "
        "Attachment4, Attachment5, Attachment6); a task takes at most 5: leave the others empty"
    )
    assert five["status"] == "valid"


def test_check_heads_every_object_and_names_the_missing_ones(
    s3: Any,
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sb = sandbox()
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sb.url)
    source = write_input(
        tmp_path / "tasks.csv",
        [
            ["a", f"s3://{BUCKET}/invoices/order 42.pdf", f"s3://{BUCKET}/missing.pdf"],
            ["b", f"s3://{BUCKET}/photos/site.jpg", f"s3://{BUCKET}/missing.pdf"],
            ["c", PASSED_THROUGH, ""],
        ],
        HEADER,
    )
    args = check_args(source, sb)

    assert main(args) == 2

    err = capsys.readouterr().err
    assert (
        f"FAILED: attachments: 1 of 3 S3 objects cannot be attached: s3://{BUCKET}/missing.pdf "
        "(no such object; rows 2, 3)"
    ) in err
    s3.put_object(Bucket=BUCKET, Key="missing.pdf", Body=b"now here")
    assert main(args) == 0
    assert "ok: attachments: 3 S3 objects found" in capsys.readouterr().err
    assert sb.tasks() == []


def test_a_link_too_long_for_connect_is_a_row_error_before_anything_is_sent(
    s3: Any, sandbox: Callable[..., Sandbox], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox()
    monkeypatch.setenv("AWS_SESSION_TOKEN", "t" * 1800)  # temporary credentials' long token
    source = write_input(tmp_path / "tasks.csv", [*rows(2), ["plain", "", ""]], HEADER)

    assert main(cli_args("run", source, sb, tmp_path)) == 1

    lines = {line["Name"]: line for line in results_of(source)}
    assert lines["plain"]["status"] == "created"
    for name in ("Task 0", "Task 1"):
        assert lines[name]["status"] == "invalid"
        message = lines[name]["error_message"]
        assert message.startswith(f"Attachment1: the presigned link to s3://{BUCKET}/invoices")
        assert "more than the 2,000 Amazon Connect takes" in message
    assert [task["request"]["Name"] for task in sb.tasks()] == ["plain"]


@pytest.mark.parametrize("hours", ["0", "169", "-1"])
def test_a_link_lifetime_sigv4_cannot_give_is_refused_before_sending(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str], hours: str
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", rows(1), HEADER)

    assert main(cli_args("run", source, sb, tmp_path, "--attachment-url-hours", hours)) == 2

    assert "at most 168 hours (7 days" in capsys.readouterr().err
    assert sb.tasks() == []


def test_a_sandbox_run_signs_with_dummy_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    source = write_input(tmp_path / "tasks.csv", rows(2), HEADER)

    assert main(["run", str(source), "--sandbox", "--contact-flow-id", FLOW, "--no-progress"]) == 0

    lines = read_results(tmp_path / "tasks.sandbox.results.csv")
    assert statuses(lines) == {"created": 2}
