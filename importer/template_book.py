"""The task templates a command checks rows against: each fetched once per command with
GetTaskTemplate (through importer.aws's one adapter, retried like the preflight's reads),
or, offline, the definition a workbook made by ``task-importer template`` carries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from importer.errors import ApiError, ErrorKind, UsageError
from importer.preflight import read_call
from importer.task_templates import TaskTemplate

Fetch = Callable[[str, str], Mapping[str, Any]]
"""GetTaskTemplate's answer for (instance id, template id); raises ApiError."""
Key = tuple[str, str]


def template_fetcher(connect: Any) -> Fetch:
    """GetTaskTemplate on a Connect client (throttles and 5xx answers retried)."""

    def fetch(instance_id: str, template_id: str) -> Mapping[str, Any]:
        params = {"InstanceId": instance_id, "TaskTemplateId": template_id}
        answer = read_call(connect, "get_task_template", params)
        if isinstance(answer, ApiError):
            raise answer
        return answer

    return fetch


class TemplateBook:
    """Templates by (instance id, template id). Online (``fetch`` given) each is fetched the
    first time a row names it and kept, failure included; offline only the definitions
    workbooks carry are known."""

    def __init__(self, fetch: Fetch | None = None) -> None:
        self._fetch = fetch
        self._carried: dict[Key, TaskTemplate] = {}
        self._found: dict[Key, TaskTemplate | ApiError] = {}
        self.unknown: dict[Key, None] = {}
        """Templates rows named offline that no workbook carries (not checked)."""

    @property
    def online(self) -> bool:
        return self._fetch is not None

    def carry(self, template: TaskTemplate) -> None:
        """A definition a workbook carries: what offline checks use (online, the template
        is fetched: it may have changed since)."""
        self._carried[template.instance_id, template.id] = template

    def answer(self, instance_id: str, template_id: str) -> TaskTemplate | ApiError | None:
        """The template, or why GetTaskTemplate failed; offline, None when no workbook
        carries it."""
        key = (instance_id, template_id)
        if self._fetch is None:
            if key not in self._carried:
                self.unknown[key] = None
            return self._carried.get(key)
        if key not in self._found:
            try:
                self._found[key] = TaskTemplate.from_answer(self._fetch(*key), instance_id)
            except ApiError as error:
                self._found[key] = error
        return self._found[key]

    @property
    def fetched(self) -> list[Key]:
        """The (instance id, template id) of every template fetched, or tried, so far."""
        return list(self._found)

    def template(self, instance_id: str, template_id: str) -> TaskTemplate | None:
        """The template to check rows against (None: unknown, or it could not be fetched)."""
        found = self.answer(instance_id, template_id)
        return found if isinstance(found, TaskTemplate) else None

    def problems(self) -> list[str]:
        """Why each template fetched so far takes no task: not found, not ACTIVE, no flow,
        or GetTaskTemplate failed."""
        return [
            _problem(instance_id, template_id, found)
            for (instance_id, template_id), found in self._found.items()
            if isinstance(found, ApiError) or found.problem
        ]

    def raise_problems(self) -> None:
        """A UsageError (exit 2) naming every template that takes no task."""
        problems = self.problems()
        if problems:
            raise UsageError(f"{'; '.join(problems)}. Nothing was sent")


def _problem(instance_id: str, template_id: str, found: TaskTemplate | ApiError) -> str:
    if isinstance(found, TaskTemplate):
        return f"{found.label} exists, but {found.problem}"
    subject = f"task template {template_id}"
    if found.kind is ErrorKind.CONFIG_NOT_FOUND:
        return (
            f"{subject} not found in instance {instance_id}: fix the TaskTemplateId column, "
            "--task-template-id, or make the sheet again from a template of that instance"
        )
    if found.code == "AccessDeniedException":
        return (
            f"{subject}: access denied: the IAM policy must allow connect:GetTaskTemplate "
            f"({found.message})"
        )
    return f"{subject}: GetTaskTemplate answered {found.code}: {found.message}"
