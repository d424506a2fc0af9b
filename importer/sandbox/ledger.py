"""The optional JSON-lines file of created tasks, one task a line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def append_task(path: Path, task: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as ledger:
        ledger.write(json.dumps(task) + "\n")
