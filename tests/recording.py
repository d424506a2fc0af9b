"""A Reporter for the tests: keeps what a use case tells its user."""

from __future__ import annotations

from importer.reporter import Reporter


class Recorder(Reporter):
    """Every message as (level, text), the tokens and listed items reported, in order; a dry
    run's plan by row."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self.tokens: list[tuple[int, str]] = []
        self.items: list[str] = []
        self.plans: dict[int, str] = {}

    def info(self, message: str) -> None:
        self.messages.append(("info", message))

    def warning(self, message: str) -> None:
        self.messages.append(("warning", message))

    def error(self, message: str) -> None:
        self.messages.append(("error", message))

    def row_token(self, row: int, token: str) -> None:
        self.tokens.append((row, token))

    def item(self, text: str) -> None:
        self.items.append(text)

    def planned_row(self, row: int, plan: str) -> None:
        self.plans[row] = plan

    def said(self, level: str) -> list[str]:
        return [text for kind, text in self.messages if kind == level]
