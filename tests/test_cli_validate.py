"""`task-importer validate`: exit codes, what it prints, the results file it writes."""

from __future__ import annotations

import codecs
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import python_calamine
from cli_runs import after_header, log_messages
from spreadsheets import FLOW, INSTANCE, read_results, write_csv, write_xlsx

from importer.cli import main

HEADER = ["InstanceId", "ContactFlowId", "Name", "Attributes.customer_id"]


def valid_file(path: Path) -> Path:
    return write_csv(
        path, [HEADER, [INSTANCE, FLOW, "Call back", "00042"], [INSTANCE, FLOW, "Refund", "7"]]
    )


def mixed_file(path: Path) -> Path:
    return write_csv(
        path,
        [
            HEADER,
            [INSTANCE, FLOW, "Call back", "00042"],
            [INSTANCE, FLOW, "", "00043"],
            [INSTANCE, FLOW, "Refund", "00044"],
        ],
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["validate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_all_valid_exits_0_and_writes_results_beside_the_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = valid_file(tmp_path / "tasks.csv")
    code, _out, err = run(capsys, str(path))
    assert code == 0
    assert "2 rows: 2 valid, 0 invalid" in err
    assert "Traceback" not in err
    results = read_results(tmp_path / "tasks.results.csv")
    assert [(r["row"], r["status"], r["Attributes.customer_id"]) for r in results] == [
        ("2", "valid", "00042"),
        ("3", "valid", "7"),
    ]
    assert all(r["client_token"] for r in results)


def test_some_invalid_exits_1_with_summary_and_first_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = mixed_file(tmp_path / "tasks.csv")
    code, _, err = run(capsys, str(path), "--results", str(tmp_path / "out.csv"))
    assert code == 1
    assert "3 rows: 2 valid, 1 invalid" in err
    assert "row 3, column 'Name'" in err
    results = read_results(tmp_path / "out.csv")
    assert [r["status"] for r in results] == ["valid", "invalid", "valid"]
    assert results[1]["error_code"] == "Validation"
    assert "Name" in results[1]["error_message"]
    assert not (tmp_path / "tasks.results.csv").exists()


def test_only_the_first_twenty_invalid_rows_are_listed_as_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [[INSTANCE, FLOW, "", str(n)] for n in range(25)]
    path = write_csv(tmp_path / "bad.csv", [HEADER, *rows])
    code, _, err = run(capsys, str(path))
    assert code == 1
    results = tmp_path / "bad.results.csv"
    assert f"WARNING First 20 of 25 invalid rows (all of them are in {results}):" in err
    assert "WARNING   row 21, column 'Name'" in err
    assert "row 22, column" not in err
    assert len(read_results(results)) == 25


def test_options_supply_instance_and_flow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "t.csv", [["Name"], ["a"]])
    assert run(capsys, str(path))[0] == 1
    code, _, _ = run(capsys, str(path), "--instance-id", INSTANCE, "--contact-flow-id", FLOW)
    assert code == 0


def test_xlsx_input_with_sheet_and_xlsx_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import load_workbook

    path = write_xlsx(
        tmp_path / "book.xlsx",
        [["Ignore"], ["me"]],
        sheet="Cover",
        more_sheets={"Tasks": [HEADER, [INSTANCE, FLOW, "=1+2", "00042"]]},
    )
    results = tmp_path / "r.xlsx"
    code, _, err = run(capsys, str(path), "--sheet", "Tasks", "--results", str(results))
    assert code == 0
    assert "sheet 'Tasks'" in err
    sheet = load_workbook(results).active
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert cells[1][:2] == ["2", "valid"]
    assert cells[1][-2:] == ["=1+2", "00042"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_header_only_file_exits_0_with_no_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "empty.csv", [HEADER])
    code, _, err = run(capsys, str(path))
    assert code == 0
    assert "0 rows" in err
    assert read_results(tmp_path / "empty.results.csv") == []


def test_unmapped_column_warning_is_printed_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [[INSTANCE, FLOW, f"T{n}", "north"] for n in range(4)]
    path = write_csv(
        tmp_path / "t.csv", [["InstanceId", "ContactFlowId", "Name", "Atributes.region"], *rows]
    )
    code, _, err = run(capsys, str(path))
    assert code == 0
    assert err.count("Atributes.region'") == 1
    assert "did you mean 'Attributes.region'" in err
    # kept in the results file
    assert [r["Atributes.region"] for r in read_results(tmp_path / "t.results.csv")] == [
        "north"
    ] * 4


def test_show_tokens_prints_each_valid_rows_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = mixed_file(tmp_path / "t.csv")
    _, out, _ = run(capsys, str(path), "--show-tokens")
    tokens = [r["client_token"] for r in read_results(tmp_path / "t.results.csv")]
    assert f"row 2: {tokens[0]}" in out
    assert f"row 4: {tokens[2]}" in out
    assert "row 3: " not in out


def test_batch_id_and_key_column_options_change_tokens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = valid_file(tmp_path / "t.csv")

    def tokens(*options: str) -> list[str]:
        assert run(capsys, str(path), *options)[0] == 0
        return [r["client_token"] for r in read_results(tmp_path / "t.results.csv")]

    default = tokens()
    assert tokens() == default
    assert tokens("--batch-id", "other") != default
    keyed = tokens("--key-column", "Attributes.customer_id")
    assert keyed == tokens("--key-column", "Attributes.customer_id", "--batch-id", "other")
    assert keyed != default


# --- exit 2: one line on stderr, no traceback -----------------------------------------------


def _mapping(tmp_path: Path, text: str) -> str:
    path = tmp_path / f"mapping{len(list(tmp_path.glob('*.toml')))}.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing file", "no such file"),
        ("bad sheet", "no sheet named 'Nope'"),
        ("no header", "empty"),
        ("unsupported file", "unsupported file type"),
        ("bad mapping toml", "not valid TOML"),
        ("unknown mapping key", "unknown key 'colour'"),
        ("mapping names a missing column", "'Customer Nmae'"),
        ("missing mapping file", "no such file"),
        ("unknown timezone", "unknown timezone 'Mars/Olympus'"),
        ("duplicate headers", "columns A and D"),
        ("bad results suffix", ".csv or .xlsx"),
        ("missing key column", "'Order'"),
        ("results would replace the input", "is the input file"),
    ],
)
def test_usage_and_input_errors_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, expected: str
) -> None:
    good = str(valid_file(tmp_path / "tasks.csv"))
    argv = {
        "missing file": [str(tmp_path / "absent.csv")],
        "bad sheet": [str(write_xlsx(tmp_path / "b.xlsx", [HEADER])), "--sheet", "Nope"],
        "no header": [str(write_csv(tmp_path / "blank.csv", [[""], [" "]]))],
        "unsupported file": [str(write_csv(tmp_path / "tasks.docx", [HEADER]))],
        "bad mapping toml": [good, "--mapping", _mapping(tmp_path, "[fields\n")],
        "unknown mapping key": [good, "--mapping", _mapping(tmp_path, 'colour = "red"')],
        "mapping names a missing column": [
            good,
            "--mapping",
            _mapping(tmp_path, '[fields]\nDescription = "{Customer Nmae}"'),
        ],
        "missing mapping file": [good, "--mapping", str(tmp_path / "absent.toml")],
        "unknown timezone": [good, "--timezone", "Mars/Olympus"],
        "duplicate headers": [str(write_csv(tmp_path / "dup.csv", [["Name", "X", "Y", "name"]]))],
        "bad results suffix": [good, "--results", str(tmp_path / "r.txt")],
        "missing key column": [good, "--key-column", "Order"],
        "results would replace the input": [good, "--results", good],
    }[case]
    code, out, err = run(capsys, *argv)
    assert code == 2
    lines = after_header(log_messages(err))
    assert len(lines) == 1, err
    assert expected in lines[0]
    assert "Traceback" not in err + out
    # nothing was written for a file that could not be read; the input is untouched
    assert not list(tmp_path.glob("*.results.*"))
    assert not list(tmp_path.glob(".*.tmp"))
    assert read_results(Path(good))[0]["Name"] == "Call back"


def test_undecodable_byte_deep_in_the_file_is_named_by_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.csv"
    # many valid rows, then a byte that is neither UTF-8 nor Windows-1252 (0x81)
    good = f"{INSTANCE},{FLOW},a,1\r\n".encode() * 3000
    path.write_bytes(",".join(HEADER).encode() + b"\r\n" + good + b"x\x81y,,,\r\n")
    code, _, err = run(capsys, str(path))
    assert code == 2
    assert "Traceback" not in err
    assert "line 3002: byte 0x81" in err
    assert not list(tmp_path.glob("*.results.*"))


def test_failing_midway_keeps_the_previous_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.txt"
    # UTF-16 (Excel's "Unicode Text"): rows read fine until a quote never closed at the end
    text = "\t".join(HEADER) + "\r\n" + f"{INSTANCE}\t{FLOW}\ta\t1\r\n" * 3000
    text += f'{INSTANCE}\t{FLOW}\t"never closed\r\nmore\r\n'
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    previous = tmp_path / "t.results.csv"
    earlier = "row,status,contact_id,error_code,error_message,attempts,client_token\n"
    earlier += "2,valid,,,,0,t\n"
    previous.write_text(earlier, encoding="utf-8")
    code, _out, err = run(capsys, str(path))
    assert code == 2
    assert "Traceback" not in err
    assert "Input:" in err  # the failure came while rows were being written
    assert [line for line in err.splitlines() if " ERROR " in line] == [
        err.strip().splitlines()[-1]
    ]
    assert "row 3002: a quote" in err
    assert previous.read_text(encoding="utf-8") == earlier
    # (conftest's XDG_CACHE_HOME: the limits cache is there when this test is the first of
    # its process to ask for the limits)
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != "cache")
    assert left == ["t.results.csv", "t.txt"]


# --- the real command -----------------------------------------------------------------------


def _subprocess(
    tmp_path: Path, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "importer", "validate", *argv],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_python_dash_m_importer_validate(tmp_path: Path) -> None:
    mixed_file(tmp_path / "tasks.csv")
    result = _subprocess(tmp_path, "tasks.csv")
    assert result.returncode == 1, result.stderr
    assert "3 rows: 2 valid, 1 invalid" in result.stderr
    assert result.stdout == ""
    assert "row 3, column 'Name'" in result.stderr
    assert [r["status"] for r in read_results(tmp_path / "tasks.results.csv")] == [
        "valid",
        "invalid",
        "valid",
    ]

    missing = _subprocess(tmp_path, "absent.xlsx")
    assert missing.returncode == 2
    assert after_header(log_messages(missing.stderr)) == ["absent.xlsx: no such file"]
    assert "Traceback" not in missing.stdout + missing.stderr


def test_a_timezone_is_found_without_the_systems_timezone_database(tmp_path: Path) -> None:
    """Windows has no IANA timezone database: the tzdata package is the tool's own.
    PYTHONTZPATH="" hides this machine's."""
    valid_file(tmp_path / "t.csv")
    done = _subprocess(tmp_path, "t.csv", "--timezone", "Europe/Berlin", env={"PYTHONTZPATH": ""})
    assert done.returncode == 0, done.stderr
    assert "read as Europe/Berlin (as configured)" in done.stderr


def test_mapping_file_and_timezone_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = _mapping(
        tmp_path,
        'timezone = "Europe/Berlin"\nkey_column = "Order ID"\n[fields]\n'
        'Name = "Call back {Customer} about order {Order ID}"\n'
        '[attributes]\norder_id = "{Order ID}"\n',
    )
    path = write_csv(
        tmp_path / "crm.csv",
        [["Order ID", "Customer", "Phone"], ["0100200", "Aisha", "+44 20 7946 0000"]],
    )
    code, out, err = run(
        capsys,
        str(path),
        "--mapping",
        mapping,
        "--instance-id",
        INSTANCE,
        "--contact-flow-id",
        FLOW,
    )
    assert code == 0, out + err
    assert "read as Europe/Berlin (as configured)" in err
    assert "'Phone'" in err  # the one column the mapping leaves out
    (result,) = read_results(tmp_path / "crm.results.csv")
    assert result["Order ID"] == "0100200"
    assert result["Phone"] == "'+44 20 7946 0000"  # protected in CSV, kept as typed


def test_default_timezone_is_announced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(capsys, str(valid_file(tmp_path / "t.csv")))
    assert "this machine's timezone; --timezone changes it" in err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_while_a_workbook_is_opened_ends_validate_with_exit_3_and_keeps_the_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_xlsx(
        tmp_path / "tasks.xlsx", [HEADER, [INSTANCE, FLOW, "Call back", "00042"]], sheet="Tasks"
    )
    assert run(capsys, str(path))[0] == 0
    results = tmp_path / "tasks.results.xlsx"
    earlier = results.read_bytes()
    workbook = python_calamine.CalamineWorkbook

    class InterruptedWhileOpening:
        """Opens as calamine does, with a SIGTERM arriving during the open."""

        from_filelike = staticmethod(workbook.from_filelike)

        @staticmethod
        def from_path(name: str) -> object:
            os.kill(os.getpid(), signal.SIGTERM)
            return workbook.from_path(name)

    monkeypatch.setattr(python_calamine, "CalamineWorkbook", InterruptedWhileOpening)
    code, _out, err = run(capsys, str(path))

    assert code == 3, err
    assert "interrupted by SIGTERM" in err
    assert results.read_bytes() == earlier
