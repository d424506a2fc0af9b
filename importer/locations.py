"""Where inputs, results and archives live: a local path or an ``s3://bucket/key`` URL.

S3 goes through boto3's S3 client (an endpoint override comes from ``AWS_ENDPOINT_URL_S3``,
as botocore reads it). Objects are copied to a local work folder to be read, and results are
written locally (atomically) and then uploaded, so the rest of the tool only sees files.
"""

from __future__ import annotations

import functools
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from importer.errors import InputFileError, UsageError

S3_SCHEME = "s3://"

_MISSING = ("404", "NoSuchKey", "NotFound")
"""Error codes S3 answers for an object that does not exist."""


def is_s3(text: str) -> bool:
    return text.startswith(S3_SCHEME)


@dataclass(frozen=True)
class S3Url:
    bucket: str
    key: str

    @classmethod
    def parse(cls, text: str) -> S3Url:
        bucket, _, key = text[len(S3_SCHEME) :].partition("/")
        if not bucket:
            raise UsageError(f"'{text}' names no bucket; write s3://BUCKET/KEY")
        return cls(bucket, key)

    def __str__(self) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.key}"

    @property
    def is_folder(self) -> bool:
        """``s3://bucket/`` and ``s3://bucket/prefix/`` name folders (prefixes)."""
        return self.key == "" or self.key.endswith("/")

    @property
    def name(self) -> str:
        return PurePosixPath(self.key).name

    def sibling(self, name: str) -> S3Url:
        parent = str(PurePosixPath(self.key).parent)
        return S3Url(self.bucket, name if parent == "." else f"{parent}/{name}")

    def child(self, name: str) -> S3Url:
        return S3Url(self.bucket, f"{self.key}{name}" if self.is_folder else f"{self.key}/{name}")


def location_name(location: str) -> str:
    """The file name part of a local path or S3 URL."""
    return S3Url.parse(location).name if is_s3(location) else Path(location).name


def sibling(location: str, name: str) -> str:
    """A file called ``name`` in the same folder (or S3 prefix) as ``location``."""
    if is_s3(location):
        return str(S3Url.parse(location).sibling(name))
    return str(Path(location).with_name(name))


def file_key(path: str | Path) -> str:
    """What two local paths share when they could name one file: the absolute path,
    casefolded, since Windows and macOS ignore case (``Tasks.csv`` is ``tasks.csv``)."""
    return str(Path(path).resolve()).casefold()


CASE_NOTE = " (names that differ only in case are one file on Windows and macOS)"
"""Said when two paths are refused as one file although they differ in case."""


def inside(folder: str, name: str) -> str:
    """A file called ``name`` in ``folder`` (a local folder or an S3 prefix)."""
    if is_s3(folder):
        return str(S3Url.parse(folder if folder.endswith("/") else folder + "/").child(name))
    return str(Path(folder) / name)


def _move_local(source: str, destination: str) -> None:
    """``shutil.move``, but never a file left in both places: where the original cannot be
    removed after it was copied (on Windows, a file open in Excel), the copy is removed and
    the error raised."""
    existed = Path(destination).exists()
    try:
        shutil.move(source, destination)
    except OSError:
        if not existed and Path(source).exists():
            Path(destination).unlink(missing_ok=True)
        raise


@functools.cache
def _s3_errors() -> tuple[type[BaseException], ...]:
    """What a failed S3 call raises (boto3 is loaded here, with the S3 client, not at
    start-up)."""
    from boto3.exceptions import S3UploadFailedError

    return (BotoCoreError, ClientError, S3UploadFailedError, OSError)


class S3:
    """The few S3 operations the importer needs, with errors users can act on."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def list_folder(self, folder: S3Url) -> list[S3Url]:
        """Objects directly under a prefix (not in sub-folders), by key."""
        found: list[S3Url] = []
        paginator = self._client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=folder.bucket, Prefix=folder.key, Delimiter="/"):
                found.extend(S3Url(folder.bucket, item["Key"]) for item in page.get("Contents", []))
        except _s3_errors() as problem:
            raise InputFileError(f"cannot list {folder}: {_reason(problem)}") from None
        return [url for url in found if not url.is_folder]

    def download(self, url: S3Url, destination: Path) -> None:
        try:
            self._client.download_file(url.bucket, url.key, str(destination))
        except _s3_errors() as problem:
            missing = _error_code(problem) in _MISSING and "." not in url.name
            folder = " (to read a folder, end the URL with /)" if missing else ""
            raise InputFileError(f"cannot read {url}: {_reason(problem)}{folder}") from None

    def upload(self, source: Path, url: S3Url) -> None:
        try:
            self._client.upload_file(str(source), url.bucket, url.key)
        except _s3_errors() as problem:
            raise InputFileError(f"cannot write {url}: {_reason(problem)}") from None

    def exists(self, url: S3Url) -> bool:
        try:
            self._client.head_object(Bucket=url.bucket, Key=url.key)
        except _s3_errors() as problem:
            if _error_code(problem) in _MISSING:
                return False
            raise InputFileError(f"cannot look up {url}: {_reason(problem)}") from None
        return True

    def delete(self, url: S3Url) -> None:
        try:
            self._client.delete_object(Bucket=url.bucket, Key=url.key)
        except _s3_errors() as problem:
            raise InputFileError(f"cannot delete {url}: {_reason(problem)}") from None


class Locations:
    """Reads and writes local paths and S3 URLs alike; the S3 client is made on first use."""

    def __init__(self, make_s3_client: Any) -> None:
        self._make_s3_client = make_s3_client
        self._s3: S3 | None = None

    @property
    def s3(self) -> S3:
        if self._s3 is None:
            self._s3 = S3(self._make_s3_client())
        return self._s3

    def fetch(self, location: str, workdir: Path) -> Path:
        """A local file holding ``location``'s content: the file itself, or a downloaded copy."""
        if not is_s3(location):
            if not Path(location).exists():
                raise InputFileError(f"{location}: no such file")
            return Path(location)
        url = S3Url.parse(location)
        local = workdir / f"{len(list(workdir.iterdir()))}" / url.name
        local.parent.mkdir()
        self.s3.download(url, local)
        return local

    def publish(self, local: Path, location: str) -> None:
        """Put a local file at ``location`` (an upload; a local location is already there)."""
        if is_s3(location):
            self.s3.upload(local, S3Url.parse(location))

    def exists(self, location: str) -> bool:
        if is_s3(location):
            return self.s3.exists(S3Url.parse(location))
        return Path(location).exists()

    def move(self, location: str, local_copy: Path, destination: str) -> None:
        """Move a file to ``destination``: a rename locally, else copy from ``local_copy``
        then delete the original."""
        if not is_s3(location) and not is_s3(destination):
            Path(destination).parent.mkdir(parents=True, exist_ok=True)
            _move_local(location, destination)
            return
        if is_s3(destination):
            self.s3.upload(local_copy, S3Url.parse(destination))
        else:
            Path(destination).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(local_copy, destination)
        if is_s3(location):
            self.s3.delete(S3Url.parse(location))
        else:
            Path(location).unlink()


def _error_code(problem: BaseException) -> str:
    response = getattr(problem, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _reason(problem: BaseException) -> str:
    code = _error_code(problem)
    if code in ("AccessDenied", "403"):
        return "access denied (check the IAM policy allows s3:GetObject/PutObject/ListBucket)"
    if code in ("NoSuchBucket",):
        return "the bucket does not exist"
    if code in _MISSING:
        return "no such object"
    return f"{type(problem).__name__}: {problem}"
