"""Text as a workbook cell or comment stores it, so that it reads back as it was.

OOXML escapes a character as ``_xHHHH_`` (its UTF-16 code in hex): so are the controls XML
cannot hold and CR (XML would read a line feed), and a literal ``_x`` that a reader would
take for the start of an escape becomes ``_x005F_x``. Tab and line feed stay as they are.
Lone surrogates, U+FFFE and U+FFFF, which no workbook holds, become U+FFFD. Excel decodes
every ``_xHHHH_``, calamine those up to ``_x00FF_``, LibreOffice the controls' and
``_x005F_``: only those are written. openpyxl decodes none of them.
"""

from __future__ import annotations

import re

XLSX_CELL_LIMIT = 32_767
"""Excel's limit on a cell's text, in UTF-16 code units (as Excel and XlsxWriter count)."""
TRUNCATED = " [truncated: Excel holds at most 32,767 characters per cell]"
COMMENT_LIMIT = 2_000
"""Characters of a comment: a comment is a note, error_message has the whole text."""
_CONTROLS = "\x00-\x08\x0b-\x1f"
"""The C0 controls but tab and line feed: XML forbids them, or (CR) reads them as line feeds."""
_UNSTORABLE = "\ud800-\udfff\ufffe\uffff"
"""Lone surrogates (UTF-8 has no bytes for them) and the noncharacters XML forbids."""
_CELL_ESCAPES = re.compile(f"_x(?=[0-9A-Fa-f]{{4}}[_{_CONTROLS}])|[{_CONTROLS}]|[{_UNSTORABLE}]")
"""What ``xlsx_text`` changes: a literal ``_x`` where a reader would decode ``_xHHHH_`` (or
where the escape of the control after the digits would complete one), controls, the rest."""
_UNSAFE_CHARACTER = re.compile(f"[{_CONTROLS}{_UNSTORABLE}]").search
"""Whether text holds a character ``xlsx_text`` changes (a quick test: no look-ahead)."""
_COMMENT_UNSTORABLE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_UNSTORABLE}]")
"""What a comment cannot hold (CR can be there: read as a line feed, the same to see)."""


def xlsx_text(text: str) -> str:
    """``text`` as a cell stores it, for Excel, LibreOffice and calamine to read ``text`` back."""
    if "_x" not in text and (text.isprintable() or not _UNSAFE_CHARACTER(text)):
        return text  # the usual: nothing to escape (printable text holds none of them)
    return _CELL_ESCAPES.sub(_cell_escape, text)


def _cell_escape(match: re.Match[str]) -> str:
    found = match.group()
    if found == "_x":
        return "_x005F_x"
    code = ord(found)
    return f"_x{code:04X}_" if code < 0x20 else "\ufffd"


def stored_text(value: str) -> str:
    """``value`` as a cell stores it, cut short (saying so) where the stored text is too long.

    The limit is on the stored text: cut after escaping, the cut could fall inside an escape.
    """
    text = xlsx_text(value)
    if len(text) <= XLSX_CELL_LIMIT // 2 or _utf16_length(text) <= XLSX_CELL_LIMIT:
        return text
    room = XLSX_CELL_LIMIT - len(TRUNCATED)
    fits, too_long = 0, min(room, len(value)) + 1  # the longest prefix that fits: bisect
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if _utf16_length(xlsx_text(value[:middle])) <= room:
            fits = middle
        else:
            too_long = middle
    return xlsx_text(value[:fits]) + TRUNCATED


def _utf16_length(text: str) -> int:
    """Code units of ``text`` in UTF-16 (it holds no lone surrogate: ``xlsx_text`` ran)."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def comment_text(text: str) -> str:
    """A note to read (never read back): what a comment cannot hold becomes U+FFFD, and it
    is cut at COMMENT_LIMIT characters."""
    text = _COMMENT_UNSTORABLE.sub("\ufffd", text)
    if len(text) > COMMENT_LIMIT:
        text = text[: COMMENT_LIMIT - 1] + "…"
    return text
