"""botocore's Connect model, and a check of a JSON value against one of its shapes.

The check covers what the model states and the emulator can judge without the service's
state: object members (unknown ones are refused), required members, types, lengths and
value ranges, and enums. Patterns are left to the callers that need one (Python's ``re``
has no ``\\p{...}`` classes, which the model's patterns use).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.model import Shape


class ShapeError(ValueError):
    """A value that breaks its shape; the message names the path of the value."""


@functools.cache
def connect_model() -> Any:
    """The Connect service model of the installed botocore (loaded once, when first asked:
    not at the start-up of a command that never starts the sandbox)."""
    import botocore.session

    return botocore.session.get_session().get_service_model("connect")


def shape(name: str) -> Shape:
    """A named shape of the Connect model, e.g. ``TaskAttachment``."""
    return connect_model().shape_for(name)


def check_shape(value: Any, expected: Shape, path: str) -> None:
    """Raise ShapeError for the first way ``value`` breaks ``expected``; ``path`` names the
    value in messages (empty: the value is a whole document, its members named alone)."""
    kind = expected.type_name
    if kind == "structure":
        _check_structure(value, expected, path)
    elif kind == "list":
        if not isinstance(value, list):
            raise ShapeError(f"{path} must be a list")
        _check_range(len(value), expected, path, "items")
        for index, item in enumerate(value):
            check_shape(item, expected.member, f"{path}[{index}]")
    elif kind == "map":
        if not isinstance(value, dict):
            raise ShapeError(f"{path} must be an object")
        for key, item in value.items():
            check_shape(key, expected.key, f"{path} key '{key}'")
            check_shape(item, expected.value, _member(path, key))
    elif kind == "string":
        if not isinstance(value, str):
            raise ShapeError(f"{path} must be a string")
        _check_range(len(value), expected, path, "characters")
        if expected.enum and value not in expected.enum:
            raise ShapeError(f"{path} '{value}' is not one of {', '.join(expected.enum)}")
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ShapeError(f"{path} must be a whole number")
        _check_range(value, expected, path, "")
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise ShapeError(f"{path} must be true or false")
    elif kind == "timestamp":
        _check_timestamp(value, path)


def _check_structure(value: Any, expected: Shape, path: str) -> None:
    if not isinstance(value, dict):
        raise ShapeError(f"{path or 'it'} must be an object")
    unknown = [name for name in value if name not in expected.members]
    if unknown:
        raise ShapeError(
            f"{path or 'it'} has no member {', '.join(unknown)} "
            f"(its members: {', '.join(expected.members)})"
        )
    for name in expected.required_members:
        if name not in value:
            raise ShapeError(f"{_member(path, name)} is required")
    for name, member in value.items():
        check_shape(member, expected.members[name], _member(path, name))


def _member(path: str, name: str) -> str:
    """The path of member ``name`` of the value at ``path`` (the empty path: the top)."""
    return f"{path}.{name}" if path else name


def _check_range(amount: int, expected: Shape, path: str, unit: str) -> None:
    """``amount`` (a length in ``unit``, or a number when ``unit`` is empty) within the
    shape's min and max."""
    low, high = expected.metadata.get("min"), expected.metadata.get("max")
    shown = f"has {amount} {unit}" if unit else f"is {amount}"
    if low is not None and amount < low:
        raise ShapeError(f"{path} {shown}, less than the minimum {low}")
    if high is not None and amount > high:
        raise ShapeError(f"{path} {shown}, more than the maximum {high}")


def _check_timestamp(value: Any, path: str) -> None:
    """Epoch seconds (the wire format) or an ISO 8601 text (what the AWS CLI prints)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return
    if isinstance(value, str):
        try:
            dt.datetime.fromisoformat(value)
            return
        except ValueError:
            pass
    raise ShapeError(f"{path} must be epoch seconds or an ISO 8601 date and time")


def epoch_seconds(value: int | float | str) -> float:
    """A timestamp ``check_shape`` accepted, as epoch seconds (a naive text is UTC)."""
    if isinstance(value, str):
        moment = dt.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.timestamp()
    return float(value)
