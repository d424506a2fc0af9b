"""Each input file of a use case, made local: found, downloaded if on S3, and its results
file's place decided; afterwards the results are uploaded and the input archived. What the
user should know (a file skipped, open in Excel, results kept aside) goes to the Reporter."""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import tempfile
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from importer.aws import make_client
from importer.errors import InputFileError, ResultsFileGiven, UsageError
from importer.exit_policy import unsaved_results_exit
from importer.inbox import RESULTS_MARK, Found, InputFile, excel_owner_file, find_inputs
from importer.locations import (
    CASE_NOTE,
    Locations,
    file_key,
    inside,
    is_s3,
    location_name,
    sibling,
)
from importer.options import RunOptions
from importer.reporter import Reporter
from importer.results import (
    ResultsWriter,
    contact_ids,
    default_results_path,
    first_sent_line,
    is_sandbox_results,
    sandbox_results_name,
)
from importer.run_summary import FileSummary, file_sha256

SANDBOX_ADVICE = (
    "A sandbox run never replaces a real run's results; without --results it writes them "
    "beside its input (or retry's RESULTS_FILE) under a name with .sandbox.results. in it. "
)
"""What to do when a sandbox run would replace real results (see keep_run_results)."""


@dataclass(frozen=True)
class StagedFile:
    input: InputFile
    local: Path
    """The file to read: the input itself, or its downloaded copy."""
    results: str
    """Where the results file belongs: a local path or an s3:// URL."""
    local_results: Path
    """Where the results file is written first (the same path unless on S3)."""

    @property
    def results_beside_input(self) -> bool:
        return self.results == sibling(self.input.location, location_name(self.results))


class Staging:
    """Finds a use case's inputs and moves files between S3, the work folder and archives."""

    def __init__(self, options: RunOptions, workdir: Path, reporter: Reporter) -> None:
        self._options = options
        self._workdir = workdir
        self.reporter = reporter
        self.locations = Locations(
            lambda: make_client(service="s3", region=options.region, profile=options.profile)
        )

    def find(self, inputs: Sequence[str], with_results: bool = True) -> Found:
        """Every input named, globbed or in an inbox (files still being written are left),
        with its results path checked (a local one can be written; no two inputs share one),
        so a bad path stops the run before anything is sent; ``with_results=False`` for a
        use case that writes no results."""
        if not inputs:
            raise UsageError(
                "no INPUT given: name a file, glob, folder or s3:// URL, or set inputs in --config"
            )
        found = find_inputs(
            [str(location) for location in inputs],
            lambda: self.locations.s3,
            settle_seconds=self._options.settle_seconds,
        )
        if with_results:
            self._check_results_paths(found)
        for location, why in found.skipped:
            self.reporter.warning(f"Skipped {location}: {why}")
        return found

    def _check_results_paths(self, found: Found) -> None:
        if self._options.results and len(found.inputs) > 1:
            raise UsageError(
                f"--results names one file but {len(found.inputs)} inputs were found; "
                "use --results-dir DIR to put each input's results file in a folder"
            )
        results_dir = _text(self._options.results_dir)
        if results_dir and not is_s3(results_dir) and _is_not_a_folder(Path(results_dir)):
            raise UsageError(
                f"--results-dir {results_dir} is a file; name a folder (it is made if missing)"
            )
        owners: dict[str, tuple[str, str]] = {}
        for item in found.inputs:
            results = self._results_location(item.location)
            missing = not is_s3(item.location) and not Path(item.location).exists()
            if not is_s3(results) and not missing:  # a missing input: its own error, later
                check_results_path(Path(results))
            same = results if is_s3(results) else file_key(results)
            if same in owners:
                owner, earlier = owners[same]
                case = CASE_NOTE if earlier != results else ""
                raise UsageError(
                    f"{owner} and {item.location} would both write their results to "
                    f"{results}{case}; rename one of them, or run them separately"
                )
            owners[same] = (item.location, results)

    def stage(self, item: InputFile) -> StagedFile:
        """Download an S3 input; decide the results file. Errors are InputFileErrors."""
        results = self._results_location(item.location)
        local = self.locations.fetch(item.location, self._workdir)
        if not item.from_inbox and not is_s3(item.location):
            owner = excel_owner_file(local)
            if owner is not None:
                self.reporter.warning(
                    f"{item.location} is open in Excel ({owner.name} beside it): "
                    "unsaved changes there are not read"
                )
        return StagedFile(item, local, results, self.local_results_for(results))

    def local_results_for(self, results: str) -> Path:
        """Where a results file is written first: itself, or a work file to upload to S3."""
        local = (
            self._workdir / f"results-{len(list(self._workdir.iterdir()))}" / location_name(results)
            if is_s3(results)
            else Path(results)
        )
        local.parent.mkdir(parents=True, exist_ok=True)
        check_results_path(local)
        return local

    def publish(self, staged: StagedFile) -> None:
        """Upload the results file if it belongs on S3."""
        self.locations.publish(staged.local_results, staged.results)

    def publish_results(self, local_results: Path, results: str, file: FileSummary) -> None:
        """Upload the results if they belong on S3 and name them in ``file``. If the upload
        fails, keep a copy in the current folder, say where, and make the file's exit code 1
        (a stop's 3 stays): the rows were sent, and the journal has every outcome."""
        try:
            self.locations.publish(local_results, results)
        except InputFileError as problem:
            kept = self._keep_locally(local_results, location_name(results))
            self.reporter.error(
                f"{problem}; {kept}. Every outcome is in the journal: running the same "
                "command again writes these results again without sending anything twice"
            )
            file.exit_code = int(unsaved_results_exit(file.exit_code))
            unsaved = f"results not saved: {problem}; {kept}"
            file.reason = f"{file.reason}; {unsaved}" if file.reason else unsaved
            return
        file.results = results

    def keep_earlier_results(self, staged: StagedFile, kept_ids: Collection[str]) -> StagedFile:
        """Before a run replaces a results file: if that file holds ContactIds the new
        results (``kept_ids``) do not, or cannot be read as results, copy it beside itself
        under a stamped name and say so. If it cannot be copied, the new results go to that
        name instead and the file stays. Returns the staged file with its results' place."""
        location = staged.results
        if not self.locations.exists(location):
            return staged
        target = sibling(location, _stamped(location_name(location)))
        try:
            earlier = self.fetch(location)
        except InputFileError as problem:
            return self._results_elsewhere(staged, target, f"cannot be read ({problem})")
        try:
            lost = len(contact_ids(earlier) - set(kept_ids))
        except InputFileError as problem:
            why = f"cannot be read as results ({problem})"
        else:
            if not lost:
                return staged
            why = f"holds {lost:,} ContactIds that the new results do not"
        try:
            if is_s3(location):
                self.locations.publish(earlier, target)
            else:
                shutil.copy2(earlier, target)
        except (InputFileError, OSError) as problem:
            return self._results_elsewhere(
                staged, target, f"{why}; it cannot be copied ({problem})"
            )
        self.reporter.warning(
            f"{location} {why} (a new file under an earlier file's name, or lines added to it "
            f"by retry): it is kept as {target}, and the new results replace it"
        )
        return staged

    def _results_elsewhere(self, staged: StagedFile, target: str, why: str) -> StagedFile:
        self.reporter.error(
            f"{staged.results} {why}; so it stays, and the new results are written to {target}"
        )
        return dataclasses.replace(
            staged, results=target, local_results=self.local_results_for(target)
        )

    def _keep_locally(self, local_results: Path, name: str) -> str:
        target = self._free_name(str(Path.cwd()), name)
        try:
            shutil.copyfile(local_results, target)
        except OSError as problem:
            return f"no local copy could be written either ({target}: {problem.strerror})"
        return f"the results are kept in {target}"

    def fetch(self, location: str) -> Path:
        """A local copy of any file (downloaded if on S3)."""
        return self.locations.fetch(location, self._workdir)

    def archive(self, staged: StagedFile, archive_dir: str, sha256: str) -> str | None:
        """Move the input, and its results when they sit beside it, into ``archive_dir``;
        None (nothing moved) when the input no longer holds what was read (``sha256``)."""
        location = staged.input.location
        if file_sha256(self.fetch(location) if is_s3(location) else staged.local) != sha256:
            return None
        target = self._free_name(archive_dir, location_name(location))
        self.locations.move(location, staged.local, target)
        if staged.results_beside_input:
            name = _archived_results_name(location_name(target), location_name(staged.results))
            results_target = self._free_name(archive_dir, name)
            self.locations.move(staged.results, staged.local_results, results_target)
        return target

    def _results_location(self, location: str) -> str:
        if self._options.results:
            results = str(self._options.results)
            if results == location or (
                not is_s3(results) and file_key(results) == file_key(location)
            ):
                case = CASE_NOTE if results != location else ""
                raise UsageError(
                    f"results file {results} is the input file{case}; the results would "
                    "replace it. Pick another --results path"
                )
            return results
        name = default_results_path(location_name(location), self._options.sandbox).name
        results_dir = _text(self._options.results_dir)
        return inside(results_dir, name) if results_dir else sibling(location, name)

    def keep_run_results(self, results: str, replacing: str, advice: str = "") -> None:
        """Refuse to replace ``results`` if it holds a real run's results (their ContactIds
        would be lost) or cannot be read as results at all; ``replacing`` says what would
        replace it ("validating"), ``advice`` is said first in what to do. A sandbox run's
        results file (named ``*.sandbox.results.*``) holds no real run's results."""
        if is_sandbox_results(location_name(results)) or not self.locations.exists(results):
            return
        keep = f"{advice}Name another file with --results PATH, or move that one away first"
        try:
            sent = first_sent_line(self.fetch(results))
        except InputFileError as problem:
            raise InputFileError(
                f"{results} exists and cannot be read as results ({problem}); {replacing} "
                f"would replace it. {keep}"
            ) from None
        if sent is not None:
            raise InputFileError(
                f"{results} holds the results of a run (its line {sent} records a row sent); "
                f"{replacing} would replace it and lose their ContactIds. {keep}"
            )

    def _free_name(self, folder: str, name: str) -> str:
        """``folder/name``, or ``folder/stem.<UTC time>.ext`` when an earlier file has it."""
        target = inside(folder, name)
        if not self.locations.exists(target):
            return target
        return inside(folder, _stamped(name))

    def report_results_file(self, item: InputFile) -> bool:
        """Say that an input is a results file; whether that is an error (a file named one
        by one) rather than a file passed over (found in an inbox, with a warning)."""
        problem = ResultsFileGiven(item.location)
        if item.from_inbox:
            self.reporter.warning(f"Skipped {problem}")
            return False
        self.reporter.error(str(problem))
        return True


@contextlib.contextmanager
def open_staging(options: RunOptions, reporter: Reporter) -> Iterator[Staging]:
    """A Staging with its own work folder, removed (downloads and all) on the way out."""
    with tempfile.TemporaryDirectory(prefix="task-importer-") as workdir:
        yield Staging(options, Path(workdir), reporter)


def written_back(source: str, options: RunOptions) -> str:
    """Where retry and undo write the results of the results file ``source``: ``results``,
    else for a sandbox the sandbox results beside it (``tasks.sandbox.results.csv`` for
    ``tasks.results.csv``; ``source`` itself if it is a sandbox run's), else ``source``."""
    if options.results:
        return str(options.results)
    if options.sandbox:
        return sibling(source, sandbox_results_name(location_name(source)))
    return source


def no_inputs(found: Found) -> str:
    """What a use case says when it found no file to read."""
    left = f" ({len(found.skipped)} left for the next run)" if found.skipped else ""
    return f"No input files to read{left}"


def check_results_path(path: Path) -> None:
    """Refuse a results path that cannot be written (suffix, directory) before reading.

    Found only when the results are written, it would end a run that sent every row with
    exit 2 ("nothing was sent") and no results file.
    """
    ResultsWriter(path, []).abort()


def _stamped(name: str) -> str:
    """``stem.<UTC time>.ext``: a name for another version of the file ``name``."""
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}{dot}{suffix}"


def _archived_results_name(archived_input: str, results: str) -> str:
    """A default results name follows its input's archived name (``tasks.<time>.results.csv``
    beside ``tasks.<time>.csv``); any other name is kept."""
    if RESULTS_MARK not in results:
        return results
    return archived_input.rpartition(".")[0] + results[results.index(RESULTS_MARK) :]


def _is_not_a_folder(path: Path) -> bool:
    return path.exists() and not path.is_dir()


def _text(location: str | Path | None) -> str | None:
    return None if location is None else str(location)
