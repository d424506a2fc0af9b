"""undo's rules: which lines of a results file name a task to stop, and on which instance.

- A line whose status is ``created`` or ``already_created`` and that holds a ContactId
  names a task to stop. A line that says ``stopped`` was stopped before: it is kept, and
  counts as stopped. Every other line (invalid, failed, not attempted, valid, added) is
  written back as it is and not counted: undo does nothing with it.
- The instance of a task (StopContact needs it) is, in this order: the line's
  ``InstanceId`` cell, when the input had that column (as run reads it: case and spaces
  aside); else ``--instance-id``; else the instance the journal recorded for the task's
  ClientToken (recorded with each token since version 5 of the journal; for tokens an
  older version sent, the ``instance_id`` setting of the run that sent it); else, for a
  sandbox, the sandbox's instance. A task whose instance none of these gives stops undo
  before anything is sent: a UsageError naming its rows and asking for --instance-id.
- A task the journal records as stopped (by an earlier undo of this file or of another
  copy of it) is not sent again (the executor, through importer.row_journal.StopJournal,
  says so on its line).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from importer.batch_messages import rows_named
from importer.errors import UsageError
from importer.journal import JournalQueries, StoppedTask
from importer.model import Outcome, PreparedRow, SourceRow, Status
from importer.options import RunOptions
from importer.results import ResultLine

INSTANCE_COLUMN = "instanceid"
"""The InstanceId column of an input, as run maps it by name (case-folded, stripped)."""


@dataclass(frozen=True)
class TaskToStop:
    """A line's task: what StopContact is sent with."""

    number: int
    line: ResultLine
    instance_id: str

    @property
    def contact_id(self) -> str:
        return self.line.contact_id

    def row(self) -> PreparedRow:
        """The row the executor sends: StopContact's request, the line's ClientToken (kept on
        its results line)."""
        request = {"ContactId": self.contact_id, "InstanceId": self.instance_id}
        source = SourceRow(self.number, dict(self.line.values))
        return PreparedRow(source, request, self.line.client_token)


@dataclass
class UndoPlan:
    """What an undo of one results file does, before anything is sent."""

    source: str
    input_columns: list[str]
    tasks: list[TaskToStop] = field(default_factory=list)
    """Every task the file lists as created, in row order."""
    stopped_before: dict[str, StoppedTask] = field(default_factory=dict)
    """Those the journal records as stopped already, by ContactId: not sent again."""
    stopped_lines: dict[int, ResultLine] = field(default_factory=dict)
    """Lines that say stopped already."""
    untouched: dict[int, ResultLine] = field(default_factory=dict)
    """Lines undo leaves as they are."""

    @property
    def to_send(self) -> list[TaskToStop]:
        """The tasks StopContact is sent for: listed as created, not stopped before."""
        return [task for task in self.tasks if task.contact_id not in self.stopped_before]

    def instances(self) -> Counter[str]:
        """How many tasks to stop on each instance."""
        return Counter(task.instance_id for task in self.to_send)


def plan_undo(
    source: str,
    input_columns: list[str],
    lines: Mapping[int, ResultLine],
    options: RunOptions,
    journal: JournalQueries | None,
) -> UndoPlan:
    """Sort the lines (by row number) of the results file ``source``; ``journal``: what it
    knows of the tasks' instances and of earlier stops (None: no journal yet)."""
    plan = UndoPlan(source, input_columns)
    listed: dict[int, ResultLine] = {}
    for number, line in lines.items():
        if line.status == Status.STOPPED:
            plan.stopped_lines[number] = line
        elif line.says_created and line.contact_id:
            listed[number] = line
        else:
            plan.untouched[number] = line
    known = journal.instances_of(line.client_token for line in listed.values()) if journal else {}
    column = next((c for c in input_columns if c.strip().casefold() == INSTANCE_COLUMN), None)
    unknown = []
    for number, line in listed.items():
        instance = (
            (line.values.get(column, "").strip() if column else "")
            or options.instance_id
            or known.get(line.client_token)
            or (options.sandbox_instance_id if options.sandbox else None)
        )
        if instance:
            plan.tasks.append(TaskToStop(number, line, instance))
        else:
            unknown.append(number)
    if unknown:
        raise UsageError(
            f"{source}: {rows_named(unknown)}: no instance is known for their tasks (no "
            "InstanceId cell, no --instance-id, and the journal does not record the run that "
            "created them); pass --instance-id with the instance they were created on. "
            "Nothing was sent"
        )
    if journal is not None:
        plan.stopped_before = journal.stopped(task.contact_id for task in plan.tasks)
    return plan


def after_stop(task: TaskToStop, outcome: Outcome) -> Outcome:
    """A task's line after undo: ``stopped`` (saying when), or, if its stop failed or was
    not sent, its line as it was with the stop's error (its task still exists, so retry
    never sends it again and a later undo does)."""
    line = task.line.outcome(task.number)
    if outcome.status is Status.STOPPED:
        return dataclasses.replace(
            line, status=Status.STOPPED, error_code="", error_message=outcome.error_message
        )
    return dataclasses.replace(
        line,
        error_code=outcome.error_code or str(outcome.status),
        error_message=f"not stopped by undo ({outcome.status}): {outcome.error_message}",
    )
