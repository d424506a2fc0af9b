"""A local Amazon Connect emulator for tests, demos and benchmarks: StartTaskContact (with
task templates, segment attributes and attachments) and StopContact; it also answers the
read calls of a preflight check (Describe*, GetTaskTemplate, STS GetCallerIdentity) and
SearchUsers / DescribeUser. It imports nothing from the rest of ``importer``.

Real boto3 clients talk to it over HTTP (SigV4-signed rest-json); it enforces the service's
rules, quotas and idempotency itself and injects faults on demand::

    with Sandbox(SandboxConfig(rate=2.0, burst=5), port=0) as sandbox:
        client = boto3.client("connect", endpoint_url=sandbox.url, region_name="us-east-1")
"""

from importer.sandbox import defaults
from importer.sandbox.config import SandboxConfig
from importer.sandbox.lifecycle import Sandbox

__all__ = ["Sandbox", "SandboxConfig", "defaults"]
