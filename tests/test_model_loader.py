"""Clients made by importer.aws share one botocore loader, so each model file is parsed once
per process; the loader still honours AWS_DATA_PATH and its search path does not grow."""

from __future__ import annotations

from pathlib import Path

import pytest

from importer import aws, model_loader

NOWHERE = "http://127.0.0.1:9"


def test_clients_of_separate_sessions_share_one_loader_whose_path_does_not_grow() -> None:
    connect = aws.make_client(region="eu-west-2", endpoint_url=NOWHERE)
    loader = connect._loader
    paths = list(loader.search_paths)
    for service in ("connect", "sts", "s3"):
        client = aws.make_client(service=service, region="eu-west-2", endpoint_url=NOWHERE)
        assert client._loader is loader
    assert loader.search_paths == paths
    assert paths[-1] == model_loader.boto3_data()
    assert connect.meta.service_model.service_name == "connect"


def test_a_folder_in_aws_data_path_is_searched_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    default = aws.make_client(region="eu-west-2", endpoint_url=NOWHERE)._loader
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    client = aws.make_client(region="eu-west-2", endpoint_url=NOWHERE)
    assert client._loader is not default
    assert client._loader.search_paths[0] == str(tmp_path)
