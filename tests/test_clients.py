"""The clients a use case opens: --endpoint-url points Connect only, timeouts reach it."""

from __future__ import annotations

from importer.clients import aws_connector
from importer.options import RunOptions


def test_the_endpoint_points_connect_and_sts_follows_the_aws_configuration() -> None:
    options = RunOptions(endpoint_url="http://127.0.0.1:9", region="eu-west-2", read_timeout=7)
    with aws_connector(options)(3) as clients:
        assert clients.connect.meta.endpoint_url == "http://127.0.0.1:9"
        assert clients.connect.meta.config.read_timeout == 7
        assert clients.connect.meta.config.max_pool_connections == 10
        assert clients.sts.meta.endpoint_url == "https://sts.eu-west-2.amazonaws.com"
