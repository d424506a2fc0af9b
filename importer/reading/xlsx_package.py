"""An .xlsx/.xlsm workbook's parts, found the way calamine finds them.

calamine reads ``_rels/.rels`` for the folder of the workbook part, then that folder's
``workbook.xml``, ``_rels/workbook.xml.rels``, ``sharedStrings.xml`` and ``styles.xml``, and
a sheet from the target of its relationship, looking every name up without regard to ASCII
case and with ``\\`` read as ``/``. The scans that keep a hostile file from exhausting memory
(importer.reading.xlsx_scan) and the notes calamine does not give (xlsx_notes) read the
parts found here, so a file cannot show them one part and calamine another: a workbook with
two parts calamine would take for one, or with a part name written with XML escapes (which
calamine reads literally), is refused.
"""

from __future__ import annotations

import functools
import re
import string
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from importer.errors import InputFileError
from importer.reading.limits import MAX_PART_BYTES

CHUNK_BYTES = 1024 * 1024
_OFFICE_DOCUMENT = "/relationships/officeDocument"
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_REFERENCE = re.compile(r"([A-Za-z]+)([0-9]+)", re.ASCII)
_ESCAPED_TARGET = re.compile(rb"""\bTarget\s*=\s*(?:"[^"]*&|'[^']*&)""")
"""A relationship target written with an XML escape: calamine reads those literally."""
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)
"""What reading a damaged, encrypted or oddly compressed zip member raises."""
DAMAGED = "open it in Excel and save it again as .xlsx"


@dataclass(frozen=True)
class Sheet:
    name: str
    part: str | None
    """The zip member holding its cells; None if the workbook names a part it lacks."""


class Package:
    """An open .xlsx/.xlsm zip with its parts located; ``close()`` when done."""

    def __init__(self, path: Path, archive: zipfile.ZipFile) -> None:
        self.path = path
        self._archive = archive
        self._members: dict[str, str] = {}
        for name in archive.namelist():
            key = _lookup_key(name)
            if key in self._members:
                archive.close()
                raise InputFileError(
                    f"{path}: holds two parts named {name!r}, so it is damaged or forged; {DAMAGED}"
                )
            self._members[key] = name
        self.folder = ""
        self.sheets: list[Sheet] = []

    def member(self, name: str) -> str | None:
        """The zip member calamine reads for the part ``name``, if the zip holds it."""
        return self._members.get(_lookup_key(name))

    def sheet_part(self, sheet: str) -> str | None:
        """The member holding the named sheet's cells (the first sheet of that name)."""
        return next((s.part for s in self.sheets if s.name == sheet), None)

    def part(self, relative: str) -> str | None:
        """A part named relative to the workbook's folder (``sharedStrings.xml``)."""
        return self.member(self.folder + relative)

    def chunks(self, member: str) -> Iterator[bytes]:
        """The member's bytes as stored, inflated a chunk at a time (however big it says
        it is: the zip's declared sizes are never trusted for memory)."""
        try:
            with self._archive.open(member) as stream:
                while chunk := stream.read(CHUNK_BYTES):
                    yield chunk
        except _ZIP_ERRORS as error:
            raise InputFileError(
                f"{self.path}: cannot be read as an Excel workbook ({member}: {error}); {DAMAGED}"
            ) from error

    def read(self, member: str, limit: int | None = MAX_PART_BYTES) -> bytearray:
        """A part whole; one over ``limit`` bytes is refused."""
        data = bytearray()
        for chunk in self.chunks(member):
            data += chunk
            if limit is not None and len(data) > limit:
                raise InputFileError(
                    f"{self.path}: its part {member} is larger than "
                    f"{limit // 1024 // 1024} MB, which no real workbook needs; "
                    f"the file is damaged or not a task list: {DAMAGED}"
                )
        return data

    def close(self) -> None:
        self._archive.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_package(path: Path) -> Package | None:
    """The workbook's parts located as calamine locates them; None if ``path`` is not a zip
    laid out as an .xlsx (calamine then reads it as another format, or refuses it)."""
    try:
        if not zipfile.is_zipfile(path):
            return None
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise InputFileError(
            f"{path}: cannot be read as an Excel workbook ({error}); {DAMAGED}"
        ) from error
    package = Package(path, archive)
    try:
        if not _locate(package):
            package.close()
            return None
    except BaseException:
        package.close()
        raise
    return package


def _locate(package: Package) -> bool:
    """Find the workbook folder and every sheet's part; False if this is no .xlsx."""
    rels = package.member("_rels/.rels")
    if rels is None:
        return False
    targets = [
        target
        for kind, target in _relationships(package, rels).values()
        if kind.endswith(_OFFICE_DOCUMENT)
    ]
    if not targets:
        return False
    document = targets[-1]
    package.folder = document[: document.rfind("/") + 1].removeprefix("/")
    workbook = package.part("workbook.xml")
    relations = package.part("_rels/workbook.xml.rels")
    if workbook is None or relations is None:
        return False
    by_id = _relationships(package, relations)
    for name, rel_id in _sheet_ids(package, workbook):
        target = by_id.get(rel_id, ("", ""))[1]
        path = target[1:] if target.startswith("/") else package.folder + target
        package.sheets.append(Sheet(name, package.member(path) if target else None))
    return True


def _xml(package: Package, member: str, data: bytearray) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise InputFileError(
            f"{package.path}: its part {member} is not well-formed XML ({error}); {DAMAGED}"
        ) from error


def _relationships(package: Package, member: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target) of a .rels part (a repeated id: the last)."""
    data = package.read(member)
    if _ESCAPED_TARGET.search(data):
        raise InputFileError(
            f"{package.path}: a part name in {member} is written with XML escapes, which "
            f"Excel never writes; {DAMAGED}"
        )
    found = {}
    for element in _xml(package, member, data).iter():
        if _local(element.tag) == "Relationship" and element.get("Id") is not None:
            found[element.get("Id", "")] = (element.get("Type", ""), element.get("Target", ""))
    return found


def _sheet_ids(package: Package, member: str) -> Iterator[tuple[str, str]]:
    """(name, relationship id) of every sheet the workbook part lists, in order."""
    for element in _xml(package, member, package.read(member)).iter():
        if _local(element.tag) == "sheet":
            ids = [value for key, value in element.attrib.items() if _local(key) == "id"]
            yield element.get("name", ""), ids[-1] if ids else ""


def cell_position(reference: str) -> tuple[int, int] | None:
    """(row, column), 0-based, of a reference such as 'F2' (letters in either case)."""
    match = _REFERENCE.fullmatch(reference)
    if match is None or match.group(2).lstrip("0") == "":
        return None
    return int(match.group(2)) - 1, _column_index(match.group(1).upper())


@functools.lru_cache(maxsize=4096)
def _column_index(letters: str) -> int:
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - 64
    return column - 1


def column_letter(index: int) -> str:
    """Excel's column letter for a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_name(row: int, column: int) -> str:
    """The reference of a cell by 0-based (row, column): (0, 2) -> C1."""
    return f"{column_letter(column)}{row + 1}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _lookup_key(name: str) -> str:
    return name.replace("\\", "/").translate(_ASCII_LOWER)
