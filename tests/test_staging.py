"""Each input made local and its results file placed: checks before anything is read, what
the user is told, results kept aside, archiving (S3 end to end: test_s3.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from recording import Recorder
from results_files import outcomes, write_results
from spreadsheets import write_csv

from importer.errors import InputFileError, UsageError
from importer.inbox import InputFile
from importer.options import RunOptions
from importer.run_summary import file_sha256
from importer.staging import Staging, no_inputs, open_staging


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def staging(recorder: Recorder, **options: object) -> Iterator[Staging]:
    with open_staging(RunOptions(**options), recorder) as opened:  # type: ignore[arg-type]
        yield opened


@pytest.fixture
def plain(recorder: Recorder) -> Iterator[Staging]:
    yield from staging(recorder)


def test_no_input_is_a_usage_error_before_anything_is_read(plain: Staging) -> None:
    with pytest.raises(UsageError, match="no INPUT given"):
        plain.find([])


def test_one_results_path_for_two_inputs_is_refused(recorder: Recorder, tmp_path: Path) -> None:
    a, b = (write_csv(tmp_path / name, [["Name"], ["x"]]) for name in ("a.csv", "b.csv"))
    for opened in staging(recorder, results=str(tmp_path / "r.csv")):
        with pytest.raises(UsageError, match="--results names one file but 2 inputs"):
            opened.find([str(a), str(b)])


def test_results_go_beside_the_input_or_into_results_dir_with_a_sandbox_name(
    recorder: Recorder, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "tasks.csv", [["Name"], ["x"]])
    item = InputFile(str(source), from_inbox=False)
    for opened in staging(recorder):
        assert opened.stage(item).results == str(tmp_path / "tasks.results.csv")
    for opened in staging(recorder, sandbox=True, results_dir=tmp_path / "out"):
        assert opened.stage(item).results == str(tmp_path / "out" / "tasks.sandbox.results.csv")
    for opened in staging(recorder, results=str(source)):
        with pytest.raises(UsageError, match="is the input file"):
            opened.stage(item)


def test_files_passed_over_are_reported(plain: Staging, recorder: Recorder, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_csv(inbox / "a.csv", [["Name"], ["x"]])
    (inbox / "~$a.csv").write_bytes(b"owner")

    found = plain.find([str(inbox)])

    assert (
        found.inputs == []
        and no_inputs(found) == "No input files to read (1 left for the next run)"
    )
    assert recorder.said("warning")[0].startswith(f"Skipped {inbox / 'a.csv'}: ")


def test_a_results_file_named_is_an_error_one_in_an_inbox_a_warning(
    plain: Staging, recorder: Recorder
) -> None:
    assert plain.report_results_file(InputFile("t.results.csv", from_inbox=False))
    assert not plain.report_results_file(InputFile("u.results.csv", from_inbox=True))
    assert [kind for kind, _ in recorder.messages] == ["error", "warning"]
    assert recorder.said("warning")[0].startswith("Skipped u.results.csv")


def test_a_real_run_s_results_are_never_replaced(plain: Staging, tmp_path: Path) -> None:
    results = write_results(tmp_path / "t.results.csv", outcomes())
    refused = r"holds the results of a run \(its line 2 records a row sent\)"
    with pytest.raises(InputFileError, match=refused):
        plain.keep_run_results(str(results), "validating")
    plain.keep_run_results(str(tmp_path / "absent.results.csv"), "validating")


def test_earlier_results_with_contact_ids_the_new_ones_lack_are_kept_aside(
    plain: Staging, recorder: Recorder, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "tasks.csv", [["Name"], ["x"]])
    staged = plain.stage(InputFile(str(source), from_inbox=False))
    write_results(Path(staged.results), outcomes())

    assert plain.keep_earlier_results(staged, {"cid-1"}) == staged
    assert recorder.messages == []
    assert plain.keep_earlier_results(staged, set()) == staged

    (warning,) = recorder.said("warning")
    assert "holds 1 ContactIds that the new results do not" in warning
    assert len(list(tmp_path.glob("tasks.results.*Z.csv"))) == 1


def test_archiving_moves_the_input_and_its_results_unless_the_input_changed(
    plain: Staging, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "tasks.csv", [["Name"], ["x"]])
    staged = plain.stage(InputFile(str(source), from_inbox=True))
    write_results(staged.local_results, outcomes())
    archive = tmp_path / "archive"

    assert plain.archive(staged, str(archive), "not its hash") is None
    target = plain.archive(staged, str(archive), file_sha256(source))

    assert target == str(archive / "tasks.csv") and not source.exists()
    assert sorted(p.name for p in archive.iterdir()) == ["tasks.csv", "tasks.results.csv"]
