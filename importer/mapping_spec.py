"""A mapping template (TOML) and command-line constants: which text fills each request field.

``Template`` is one format string over columns ('Call back {Customer Name}') or a constant;
``MappingSpec`` holds a file's fields, attributes and references (importer.mapping binds it to
a header).
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from importer.errors import UsageError

FIELDS = (
    "InstanceId",
    "Name",
    "Description",
    "ContactFlowId",
    "QuickConnectId",
    "TaskTemplateId",
    "PreviousContactId",
    "RelatedContactId",
    "ScheduledTime",
    "ClientToken",
    "ExpiryMinutes",
    "CreatedByUser",
)
"""What a column, format string or constant fills; the last two: importer.segments."""
FIELD_BY_FOLDED = {name.casefold(): name for name in FIELDS}
_TEMPLATE_KEYS = {"timezone", "key_column", "fields", "attributes", "references", "expiry_minutes"}
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


@dataclass(frozen=True)
class Template:
    """A format string such as 'Call back {Customer Name}'; without braces, a constant."""

    text: str
    parts: tuple[str | tuple[str], ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        parts: list[str | tuple[str]] = []
        position = 0
        for match in _PLACEHOLDER.finditer(text):
            parts.append(text[position : match.start()])
            token = match.group(0)
            if token in ("{{", "}}"):
                parts.append(token[0])
            else:
                parts.append((match.group(1).strip(),))
            position = match.end()
        parts.append(text[position:])
        return cls(text, tuple(part for part in parts if part != ""))

    @functools.cached_property
    def columns(self) -> list[str]:
        return [part[0] for part in self.parts if isinstance(part, tuple)]

    @property
    def is_constant(self) -> bool:
        return not self.columns

    def bind(self, columns: MappingABC[str, str]) -> Template:
        """The same template with each column name replaced by ``columns[name]``."""
        parts = tuple(
            (columns[part[0]],) if isinstance(part, tuple) else part for part in self.parts
        )
        return Template(self.text, parts)

    def render(self, values: MappingABC[str, str]) -> str:
        """The text for one row; empty when every column it names is empty on the row."""
        columns = self.columns
        if columns and not any(values.get(name, "").strip() for name in columns):
            return ""
        return "".join(
            values.get(part[0], "").strip() if isinstance(part, tuple) else part
            for part in self.parts
        ).strip()


@dataclass
class MappingSpec:
    """How rows become requests: from a mapping template file, then command-line options."""

    fields: dict[str, Template] = field(default_factory=dict)
    attributes: dict[str, Template] = field(default_factory=dict)
    references: dict[str, tuple[str, Template]] = field(default_factory=dict)
    key_column: str | None = None
    timezone: str | None = None
    source: str = "mapping"
    origins: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> MappingSpec:
        """Read a mapping template; UsageError naming the file and key for anything wrong."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # Notepad: a BOM
        except FileNotFoundError as error:
            raise UsageError(f"mapping file {path}: no such file") from error
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"mapping file {path}: cannot be read ({error})") from error
        except tomllib.TOMLDecodeError as error:
            raise UsageError(f"mapping file {path}: not valid TOML ({error})") from error
        return cls.from_dict(data, source=f"mapping file {path}")

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "mapping") -> MappingSpec:
        def fail(message: str) -> UsageError:
            return UsageError(f"{source}: {message}")

        unknown = sorted(set(data) - _TEMPLATE_KEYS)
        if unknown:
            raise fail(f"unknown key '{unknown[0]}'; allowed: {', '.join(sorted(_TEMPLATE_KEYS))}")
        spec = cls(source=source)
        for key in ("timezone", "key_column"):
            if key in data:
                if not isinstance(data[key], str) or not data[key].strip():
                    raise fail(f"'{key}' must be a non-empty string")
                setattr(spec, key, data[key].strip())
        for name, text in _table(data, "fields", fail).items():
            canonical = FIELD_BY_FOLDED.get(name.casefold())
            if canonical is None:
                raise fail(f"[fields] has unknown field '{name}'; fields are {', '.join(FIELDS)}")
            spec.fields[canonical] = _template(text, f"[fields] {name}", fail)
        if "expiry_minutes" in data:  # [fields] ExpiryMinutes, as 1440 or "{SLA minutes}"
            minutes = data["expiry_minutes"]
            text = str(minutes) if type(minutes) is int else minutes
            spec.fields["ExpiryMinutes"] = _template(text, "expiry_minutes", fail)
        for key, text in _table(data, "attributes", fail).items():
            spec.attributes[key] = _template(text, f"[attributes] {key}", fail)
        for name, entry in _table(data, "references", fail).items():
            where = f"[references] {name}"
            if not isinstance(entry, dict) or set(entry) != {"type", "value"}:
                raise fail(f'{where} must be {{ type = "URL", value = "..." }}')
            kind = _template(entry["type"], f"{where} type", fail).text.strip().upper()
            spec.references[name] = (kind, _template(entry["value"], f"{where} value", fail))
        return spec

    def constant(self, field_name: str) -> str | None:
        """The text every row gets for a field, when the spec sets it to a constant."""
        template = self.fields.get(field_name)
        return template.text if template is not None and template.is_constant else None

    def set_constant(self, field_name: str, value: str | None, origin: str) -> None:
        """Set a field to a constant (a command-line option), replacing the template's."""
        if value is not None:
            self.fields[field_name] = Template(value, (value,) if value else ())
            self.origins[field_name] = origin


def _table(data: dict[str, Any], key: str, fail: Any) -> dict[str, Any]:
    table = data.get(key, {})
    if not isinstance(table, dict):
        raise fail(f"'{key}' must be a table ([{key}])")
    return table


def _template(text: Any, where: str, fail: Any) -> Template:
    if not isinstance(text, str):
        raise fail(f"{where} must be a string")
    return Template.parse(text)
