"""What goes out: a prepared request made into the one sent, just before it is sent.

A prepared request holds what its row says: a CreatedByUser user name, attachments as
``s3://`` locations. Its ClientToken, the journal's digest and retry's edit detection are
all taken of it, so a lookup or a link signed anew never makes a row look new or edited.
Before a batch is sent, :meth:`Outbound.ready` looks every distinct user name up once
(importer.agents) and signs every distinct location once to see that its link fits: a row
whose name is no agent, or whose link is too long, is invalid and never sent. Then
:meth:`Outbound.submitter` wraps the executor's ``submit``: a request goes out with its
agent's ARN and presigned links, signed at the row's first attempt and kept for its retries
in the run, so every attempt under one ClientToken sends the same body.

A later run signs its links anew. If an earlier run's answer was lost (or it used another
journal), its task exists under the same ClientToken, and Amazon Connect may refuse the new
links as other parameters: the row is failed, saying so; no second task is made.

:class:`Referenced` is what ``check`` verifies of the same: every name is an agent, every
``s3://`` object exists (HeadObject).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from importer.agents import UserDirectory
from importer.attachments import ORIGIN, LinkError, Presigner, link_seconds, s3_locations
from importer.aws import make_client
from importer.errors import ApiError, ErrorKind, InputFileError
from importer.locations import S3, S3Url
from importer.model import PreparedRow, RowError
from importer.options import RunOptions
from importer.preflight import Check, Kind
from importer.row_sender import Submit
from importer.segments import CREATED_BY_FIELD, user_name, with_agent_arn

HEAD_THREADS = 8
"""HeadObject calls in flight at once in ``check``."""
NAMED = 10
"""A failed check names this many objects, then counts the rest."""
RESIGNED = (
    "Amazon Connect already has a task under this ClientToken, made from this row by an "
    "earlier run whose answer was lost or went to another journal (so its ContactId is not "
    "known here), and refused this run's request because the attachment links are signed "
    "anew by each run. No second task was created: find the task in Amazon Connect"
)
_KEPT_FOR_RETRY = frozenset({ErrorKind.THROTTLE, ErrorKind.TRANSIENT, ErrorKind.QUOTA})


class Outbound:
    """Resolves user names and signs attachment links for the requests of one run."""

    def __init__(self, connect: Any, presigner: Presigner) -> None:
        self.users = UserDirectory(connect)
        self._presigner = presigner
        self._bodies: dict[str, dict[str, Any]] = {}
        """The body sent under each ClientToken whose row may be tried again."""
        self._lock = threading.Lock()

    def ready(self, rows: Sequence[PreparedRow]) -> tuple[list[PreparedRow], list[PreparedRow]]:
        """The rows that can be sent, and those that cannot: invalid, with their errors."""
        names = {row.number: _user(row.request) for row in rows}
        lookups = self.users.resolve(pair for pair in names.values() if pair)
        links: dict[str, str] = {}
        for row in rows:
            for _, location in s3_locations(row.request or {}):
                if location not in links:
                    links[location] = self._link_problem(location)
        ready, refused = [], []
        for row in rows:
            errors = []
            pair = names[row.number]
            if pair and lookups[pair].problem:
                errors.append(RowError(_column(row, CREATED_BY_FIELD), lookups[pair].problem))
            for number, location in s3_locations(row.request or {}):
                if links[location]:
                    errors.append(RowError(_column(row, ORIGIN.format(number)), links[location]))
            if errors:
                refused.append(dataclasses.replace(row, request=None, errors=errors))
            else:
                ready.append(row)
        return ready, refused

    def submitter(self, submit: Submit) -> Submit:
        """``submit`` of the requests as they go out (names resolved, links signed)."""

        def send(request: Mapping[str, Any]) -> str:
            body = self._body(request)
            token = str(request.get("ClientToken", ""))
            try:
                contact = submit(body)
            except ApiError as error:
                if error.kind not in _KEPT_FOR_RETRY:
                    self._forget(token)
                signed = any(s3_locations(request))
                if error.kind is ErrorKind.MISMATCH and signed:
                    message = f"{RESIGNED} (Amazon Connect said: {error.message})"
                    raise ApiError(
                        ErrorKind.ROW_INVALID, error.code, message, error.http_status
                    ) from error
                raise
            self._forget(token)
            return contact

        return send

    def _link_problem(self, location: str) -> str:
        try:
            self._presigner.sign(location)
        except LinkError as problem:
            return str(problem)
        return ""

    def _body(self, request: Mapping[str, Any]) -> Mapping[str, Any]:
        """The request as it goes out: the same one for every attempt under its token."""
        pair = _user(request)
        locations = list(s3_locations(request))
        if pair is None and not locations:
            return request
        token = str(request.get("ClientToken", ""))
        with self._lock:
            known = self._bodies.get(token)
        if known is not None:
            return known
        body = dict(request)
        if pair is not None:
            lookup = self.users.resolve([pair])[pair]
            if lookup.problem:
                raise ApiError(ErrorKind.ROW_INVALID, "UnknownUser", lookup.problem)
            body = with_agent_arn(body, lookup.arn)
        if locations:
            attachments = [dict(item) for item in request["Attachments"]]
            for number, location in locations:
                try:
                    attachments[number]["S3Url"] = self._presigner.sign(location)
                except LinkError as problem:
                    raise ApiError(ErrorKind.ROW_INVALID, "AttachmentLink", str(problem)) from None
            body["Attachments"] = attachments
        with self._lock:
            return self._bodies.setdefault(token, body)

    def _forget(self, token: str) -> None:
        with self._lock:
            self._bodies.pop(token, None)


@dataclass
class Referenced:
    """The user names and ``s3://`` objects that valid rows refer to, with their rows."""

    users: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    objects: dict[str, list[int]] = field(default_factory=dict)

    def add(self, row: PreparedRow) -> None:
        pair = _user(row.request)
        if pair:
            self.users.setdefault(pair, []).append(row.number)
        for _, location in s3_locations(row.request or {}):
            self.objects.setdefault(location, []).append(row.number)

    def checks(self, users: UserDirectory, s3: Callable[[], S3]) -> list[Check]:
        """One check per user name that is no agent, one for those found; one for the
        objects."""
        return [*self._user_checks(users), *self._object_checks(s3)]

    def _user_checks(self, users: UserDirectory) -> list[Check]:
        if not self.users:
            return []
        lookups = users.resolve(self.users)
        checks = [
            Check(Kind.USER, pair[1], False, f"{CREATED_BY_FIELD} in {_rows(rows)}: {problem}")
            for pair, rows in self.users.items()
            if (problem := lookups[pair].problem)
        ]
        found = len(self.users) - len(checks)
        if found:
            message = f"{CREATED_BY_FIELD}: {found} user names found as agents (SearchUsers)"
            checks.append(Check(Kind.USER, "", True, message))
        return checks

    def _object_checks(self, s3: Callable[[], S3]) -> list[Check]:
        if not self.objects:
            return []
        client = s3()
        with ThreadPoolExecutor(HEAD_THREADS) as pool:
            problems = list(pool.map(lambda location: _missing(client, location), self.objects))
        failed = [
            f"{location} ({problem}; {_rows(self.objects[location])})"
            for location, problem in zip(self.objects, problems, strict=True)
            if problem
        ]
        total = len(self.objects)
        if not failed:
            return [Check(Kind.ATTACHMENT, "", True, f"attachments: {total} S3 objects found")]
        more = f", and {len(failed) - NAMED:,} more" if len(failed) > NAMED else ""
        message = (
            f"attachments: {len(failed):,} of {total:,} S3 objects cannot be attached: "
            f"{', '.join(failed[:NAMED])}{more}; upload them, or fix the Attachment columns"
        )
        return [Check(Kind.ATTACHMENT, "", False, message)]


def _missing(s3: S3, location: str) -> str:
    """Why the object at ``location`` cannot be attached ('' if it exists)."""
    try:
        return "" if s3.exists(S3Url.parse(location)) else "no such object"
    except InputFileError as problem:
        return str(problem)


def _user(request: Mapping[str, Any] | None) -> tuple[str, str] | None:
    """(instance id, user name) when the request names its creator by user name."""
    name = user_name(request) if request else None
    return (str(request["InstanceId"]), name) if request and name else None


def _column(row: PreparedRow, path: str) -> str:
    return (row.columns or {}).get(path, path)


def _rows(numbers: list[int]) -> str:
    shown = ", ".join(str(number) for number in numbers[:NAMED])
    more = f" and {len(numbers) - NAMED:,} more" if len(numbers) > NAMED else ""
    return f"row{'s' if len(numbers) > 1 else ''} {shown}{more}"


def presigner_for(options: RunOptions) -> Presigner:
    """Signs attachment links with the S3 client the options make; for a sandbox, which never
    fetches them, with dummy credentials, so that it needs no AWS credentials."""
    seconds = link_seconds(options.attachment_url_hours)
    keys = ("sandbox", "sandbox") if options.sandbox else None
    region = options.region or ("us-east-1" if options.sandbox else None)

    def make() -> Any:
        profile = None if options.sandbox else options.profile
        return make_client(
            service="s3", region=region, profile=profile, access_keys=keys, presigning=True
        )

    return Presigner(make, seconds)
