"""Argument types of our own: argparse calls them on the text given and says what is wrong."""

from __future__ import annotations

import argparse
import math


def positive_seconds(text: str) -> float:
    """A number of seconds above 0."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < math.inf:  # also refuses nan
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds above 0")
    return seconds


def parse_max_failures(text: str) -> tuple[int | None, float | None]:
    """``N`` -> (N, None); ``N%`` -> (None, N/100)."""
    try:
        if text.endswith("%"):
            percent = float(text[:-1])
            if not 0 < percent <= 100:
                raise ValueError
            return None, percent / 100
        count = int(text)
        if count < 0:
            raise ValueError
        return count, None
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a count or a percentage (e.g. 50 or 5%)"
        ) from None
