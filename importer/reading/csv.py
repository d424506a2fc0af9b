"""Read CSV files: encodings detected, the delimiter sniffed, broken quoting located."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from importer.errors import InputFileError
from importer.reading.limits import MAX_CELL_CHARS, MAX_LINE_CHARS
from importer.reading.table import Cells, error_reason, first_header

CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
DELIMITERS = (",", ";", "\t")
_SNIFF_BYTES = 64 * 1024
_CHUNK_BYTES = 1024 * 1024
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_BINARY_SIGNATURES = {
    b"PK\x03\x04": "an Excel workbook (.xlsx) or another zip file",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "an old Excel workbook (.xls) or another Office file",
}
_BINARY_NUL_SHARE = 0.1
"""Text with a stray NUL is still text; a file whose first bytes are 10% NUL is not."""

csv.field_size_limit(MAX_CELL_CHARS)


def open_csv(path: Path) -> Cells:
    """Open a CSV file: its header row read, its records one pass after it."""
    with path.open("rb") as stream:
        head = stream.read(_SNIFF_BYTES)
    encoding, warnings = _detect_encoding(path, head)
    sample = head.decode(encoding, errors="replace")
    delimiter = _sniff_delimiter(sample)
    records = _csv_records(path, encoding, delimiter)
    empty = f"{path}: the file is empty; the first row must hold the headers"
    number, header = first_header(str(path), records, {}, empty)
    return Cells(
        path, header, number, records, encoding=encoding, delimiter=delimiter, warnings=warnings
    )


def _detect_encoding(path: Path, head: bytes) -> tuple[str, list[str]]:
    """Pick the encoding: BOMs first, then UTF-8 if the whole file decodes, else cp1252."""
    if head.startswith(_UTF16_BOMS):
        if path.stat().st_size % 2:
            raise InputFileError(
                f"{path}: is UTF-16 text with an odd number of bytes, so it was cut short; "
                "export or copy the file again"
            )
        return "utf-16", []
    if head.startswith(codecs.BOM_UTF8):
        encoding, warnings, expected = "utf-8-sig", [], "UTF-8"
    else:
        _refuse_binary(path, head)
        if _undecodable(path, "utf-8") is None:
            return "utf-8", []
        encoding, expected = "cp1252", "UTF-8 or Windows-1252"
        warnings = [
            f"{path}: not valid UTF-8; read as Windows-1252 (cp1252). "
            "Check accented characters in the results, or save the file as 'CSV UTF-8'"
        ]
    # Check the whole file now: a decode error met while reading rows cannot say where it is.
    problem = _undecodable(path, encoding)
    if problem:
        line, byte = problem
        raise InputFileError(
            f"{path}: line {line}: byte 0x{byte:02X} is not {expected} text; "
            "save the file as 'CSV UTF-8'"
        )
    return encoding, warnings


def _refuse_binary(path: Path, head: bytes) -> None:
    """InputFileError for a file that is not text at all (a stray NUL is still text)."""
    for signature, kind in _BINARY_SIGNATURES.items():
        if head.startswith(signature):
            raise InputFileError(
                f"{path}: is {kind}, not CSV text; name it after its type "
                "(.xlsx, .xls) or export the sheet as CSV UTF-8"
            )
    if head.count(0) > _BINARY_NUL_SHARE * len(head):
        raise InputFileError(
            f"{path}: looks like a binary file, not CSV text; export the sheet as CSV UTF-8"
        )


def _undecodable(path: Path, encoding: str) -> tuple[int, int] | None:
    """The line number and value of the first byte that does not decode, or None."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as stream:
        try:
            while chunk := stream.read(_CHUNK_BYTES):
                decoder.decode(chunk)
                line += chunk.count(b"\n")
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            # error.object: the bytes decoded (a carried-over partial character has no b"\n")
            return line + error.object[: error.start].count(b"\n"), error.object[error.start]
    return None


def _sniff_delimiter(sample: str) -> str:
    """The delimiter used most in the first line outside quotes (',' when none is used)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in sample:
        if char == '"':
            quoted = not quoted
        elif char in "\r\n" and not quoted:
            if any(counts.values()):
                break
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


class _LineTooLong(Exception):
    pass


class _RecordLines:
    """The file's lines as the csv reader takes them; ``take()`` hands over the last record's.

    A line longer than MAX_LINE_CHARS raises _LineTooLong before it is all in memory.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lines: list[str] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self._stream.readline(MAX_LINE_CHARS)
        if not line:
            raise StopIteration
        if len(line) == MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise _LineTooLong
        self._lines.append(line)
        return line

    def take(self) -> list[str]:
        lines, self._lines = self._lines, []
        return lines


def _ends_inside_quotes(raw: str, delimiter: str) -> bool:
    """Whether a record's text ends inside a quoted cell (as the csv module reads quotes)."""
    quoted, field_start, index = False, True, 0
    while index < len(raw):
        if quoted:
            close = raw.find('"', index)
            if close < 0:
                return True
            if raw.startswith('""', close):
                index = close + 2
                continue
            quoted, field_start, index = False, False, close + 1
            continue
        char = raw[index]
        if char == '"' and field_start:
            quoted = True
        else:
            field_start = char in (delimiter, "\r", "\n")
        index += 1
    return quoted


def _csv_records(path: Path, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of every record; InputFileError, naming the row, for broken quoting."""
    errors = "surrogatepass" if encoding == "utf-16" else "strict"
    with path.open(encoding=encoding, errors=errors, newline="") as text:
        lines = _RecordLines(text)
        reader = csv.reader(lines, delimiter=delimiter, strict=False)
        # One record behind, so a last record that swallowed the rest of the file is never
        # passed on.
        number, last, pending = 0, [], None
        try:
            for number, cells in enumerate(reader, start=1):
                last = lines.take()
                if pending is not None:
                    yield pending
                pending = number, cells
        except _LineTooLong:
            raise InputFileError(
                f"{path}: row {number + 1}: a line is longer than {MAX_LINE_CHARS:,} "
                "characters; no row of tasks is that long: check that this is the right file"
            ) from None
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                raise InputFileError(
                    f"{path}: row {number + 1}: a cell is longer than {MAX_CELL_CHARS:,} "
                    'characters (a spreadsheet cell holds at most 32,767); if a quote (") in '
                    "this row is never closed, the rest of the file reads as one cell: check "
                    "its quotes"
                ) from error
            raise InputFileError(f"{path}: row {number + 1}: {error_reason(error)}") from error
        except UnicodeDecodeError as error:
            raise InputFileError(f"{path}: row {number + 1}: {error_reason(error)}") from error
    if last and _ends_inside_quotes("".join(last), delimiter):
        swallowed = (
            f"the last {len(last)} lines of the file were" if len(last) > 1 else "the line was"
        )
        raise InputFileError(
            f'{path}: row {number}: a quote (") opens a cell that is never closed, so '
            f"{swallowed} read as one cell; add the closing quote"
        )
    if pending is not None:
        yield pending
