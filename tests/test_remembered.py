"""retry takes the settings of the run that wrote its results file: which, and what it says
(a real journal in tmp_path; the end-to-end tests are in test_cli_retry_settings.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from recording import Recorder

from importer.errors import UsageError
from importer.journal import Journal
from importer.options import RunOptions
from importer.reconcile import Continued
from importer.remembered import take_run_settings, taken_settings


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "journal.sqlite3") as opened:
        yield opened


def recorded(journal: Journal, **settings: object) -> Continued:
    """A run that recorded ``settings``; the batch it wrote, found."""
    run_id = journal.start_run({"command": "run", **settings})
    return Continued("tasks.csv", "found", run_id)


def test_the_settings_taken_are_those_not_given_and_not_set_by_the_run_s_mapping() -> None:
    settings = {
        "mapping": "/m.toml",
        "instance_id": "i-run",
        "contact_flow_id": "f-run",
        "key_column": "Order",
        "timezone": None,
        "batch_id": "",
        "rate": "9",
        "from_mapping": ["key_column"],
    }
    given = RunOptions(contact_flow_id="f-here")
    assert taken_settings(given, settings) == {"mapping": "/m.toml", "instance_id": "i-run"}


def test_the_run_s_settings_fill_in_the_options_and_retry_says_which(
    journal: Journal, tmp_path: Path
) -> None:
    continued = recorded(journal, instance_id="i-run", contact_flow_id="f-run", timezone="UTC")
    recorder = Recorder()

    options = take_run_settings(
        RunOptions(contact_flow_id="f-here"), journal, continued, "tasks.results.csv", recorder
    )

    assert (options.instance_id, options.contact_flow_id, options.timezone) == (
        "i-run",
        "f-here",
        "UTC",
    )
    (said,) = recorder.said("info")
    assert said.startswith("Settings of run 1 (run on ")
    assert said.endswith(
        "which wrote tasks.results.csv: --instance-id i-run, --timezone UTC "
        "(options given here win)"
    )


def test_without_the_run_only_the_options_given_apply_and_retry_says_so(
    journal: Journal,
) -> None:
    recorder = Recorder()
    options = RunOptions(instance_id="i")
    unknown = Continued("tasks.results.csv", "named after the file")

    assert take_run_settings(options, journal, unknown, "tasks.results.csv", recorder) is options
    (said,) = recorder.said("info")
    assert said.startswith("No run that wrote tasks.results.csv is in the journal")


def test_a_mapping_changed_since_the_run_is_named_in_a_warning_and_one_gone_is_an_error(
    journal: Journal, tmp_path: Path
) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('[fields]\nName = "{A}"\n', encoding="utf-8")
    settings = RunOptions(mapping=mapping).effective_settings()
    continued = recorded(journal, **settings)
    recorder = Recorder()

    take_run_settings(RunOptions(), journal, continued, "r.csv", recorder)
    assert recorder.said("warning") == []

    mapping.write_text('[fields]\nName = "{B}"\n', encoding="utf-8")
    take_run_settings(RunOptions(), journal, continued, "r.csv", recorder)
    (warned,) = recorder.said("warning")
    assert warned.startswith(f"mapping file {mapping} changed since run 1 (run on ")

    other = tmp_path / "other.toml"
    other.write_text('[fields]\nName = "{C}"\n', encoding="utf-8")
    take_run_settings(RunOptions(mapping=other), journal, continued, "r.csv", recorder)
    assert len(recorder.said("warning")) == 1, "a mapping given here is no changed one"

    mapping.unlink()
    with pytest.raises(UsageError, match=f"mapping file {mapping} of run 1 .* cannot be read"):
        take_run_settings(RunOptions(), journal, continued, "r.csv", recorder)
