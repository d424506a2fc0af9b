"""One botocore data loader for every session the process makes, so that each model file
(endpoints, the Connect model, its endpoint rules) is read and parsed once per process, not
once per client: about 0.1 s of CPU a client otherwise.

botocore caches what a loader loads on the loader, and gives every new session a loader of
its own; :func:`shared_loader` is registered into each session instead (as one session's
clients share its loader). The loader holds no credentials or settings, only model data.
"""

from __future__ import annotations

import functools
import os

from botocore.loaders import Loader, create_loader


class _SharedLoader(Loader):
    """A loader whose search path is fixed when it is made: boto3 appends its data folder
    to each new session's loader, and on a shared one that would grow the path by one entry
    per session. Here the folder is in the path from the start and the append goes to a
    copy."""

    @property
    def search_paths(self) -> list[str]:
        return list(self._search_paths)


def boto3_data() -> str:
    """The folder a boto3 session adds to its loader's search path."""
    import boto3

    return os.path.join(os.path.dirname(boto3.__file__), "data")


@functools.cache
def shared_loader(data_path: str | None, *appended: str) -> Loader:
    """The process's loader for botocore's ``data_path`` setting (``AWS_DATA_PATH``), with
    ``appended`` folders searched last."""
    paths = [*create_loader(data_path).search_paths, *appended]
    return _SharedLoader(extra_search_paths=paths, include_default_search_paths=False)
