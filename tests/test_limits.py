"""limits(): botocore's StartTaskContact lengths, kept in a cache file named after
botocore's version so that a later process need not load the Connect model."""

from __future__ import annotations

import json
from pathlib import Path

import botocore
import pytest

from importer import limits as module
from importer.limits import cache_path

load = module.limits.__wrapped__  # limits() without its once-per-process memo


@pytest.fixture
def cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("AWS_DATA_PATH", raising=False)
    return tmp_path


def test_the_limits_are_cached_by_botocore_version_and_read_back(cache_home: Path) -> None:
    model = module._from_model()
    path = cache_path()
    assert path is not None and botocore.__version__ in path.name
    assert not path.exists()

    assert load() == model
    assert path.exists()
    saved = json.loads(path.read_text())
    saved["fields"]["Name"]["maximum"] = 7
    path.write_text(json.dumps(saved))
    assert load().fields["Name"].maximum == 7  # read from the file, not the model


def test_a_damaged_cache_file_is_replaced_from_the_model(cache_home: Path) -> None:
    path = cache_path()
    assert path is not None
    path.parent.mkdir(parents=True)
    path.write_text('{"fields": {"Name": [1, 2]}}')
    assert load() == module._from_model()
    assert module._read_cache(path) == module._from_model()  # written again, whole


def test_no_cache_when_botocore_may_read_a_model_of_its_own(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DATA_PATH", str(cache_home / "models"))
    assert cache_path() is None
    assert load() == module._from_model()
    assert not (cache_home / "cache").exists()
