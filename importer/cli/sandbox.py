"""`task-importer sandbox`: run the local Amazon Connect emulator in the foreground."""

from __future__ import annotations

import argparse
import contextlib
import errno
import signal
import threading
from collections.abc import Iterator
from typing import Any

from importer.cli.interrupts import delivered_signals
from importer.cli.options import Command, Option
from importer.errors import UsageError
from importer.exitcodes import ExitCode
from importer.sandbox import Sandbox, SandboxConfig, defaults
from importer.sandbox.templates import constrained, fields, load_template_file

_ID_OPTIONS = {
    "instance_id": "instance_ids",
    "contact_flow_id": "contact_flow_ids",
    "quick_connect_id": "quick_connect_ids",
    "task_template_id": "task_template_ids",
}


def _probability(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a probability between 0 and 1")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is less than 1")
    return value


def _quota(*names: str, **rest: Any) -> Option:
    return Option(names, group="quota", **rest)


def _fault(*names: str, **rest: Any) -> Option:
    return Option(names, group="faults", **rest)


_IDS_GROUP = "accepted ids (each option replaces the defaults)"

SANDBOX_OPTIONS = (
    Option(
        ("--port",),
        type=_non_negative_int,
        default=8000,
        help="default 8000; 0: any free port",
    ),
    Option(("--ledger",), metavar="PATH", help="append created tasks to a JSONL file"),
    _quota("--rate", type=_non_negative_float, default=2.0, help="StartTaskContact requests/s (2)"),
    _quota("--burst", type=_positive_int, default=5, help="StartTaskContact requests at once (5)"),
    _quota(
        "--stop-rate",
        type=_non_negative_float,
        default=2.0,
        help="StopContact requests/s, a bucket of its own (2)",
    ),
    _quota("--stop-burst", type=_positive_int, default=5, help="StopContact requests at once (5)"),
    _quota(
        "--active-task-cap", type=_non_negative_int, metavar="N", help="402 once N tasks are open"
    ),
    _fault(
        "--latency-ms",
        type=_non_negative_float,
        nargs=2,
        metavar=("MIN", "MAX"),
        default=(0.0, 0.0),
        help="delay every answer by a uniform draw from MIN..MAX ms",
    ),
    _fault("--fail-rate", type=_probability, default=0.0, help="probability of a 500"),
    _fault(
        "--drop-before-rate",
        type=_probability,
        default=0.0,
        help="probability of closing the connection without handling the request",
    ),
    _fault(
        "--drop-after-rate",
        type=_probability,
        default=0.0,
        help="probability of creating the task, then closing the connection unanswered",
    ),
    _fault(
        "--bad-200-rate",
        type=_probability,
        default=0.0,
        help="probability of answering 200 with something that is no StartTaskContact "
        'answer (a proxy\'s HTML login page, an empty body, {} or {"ContactId": null}) '
        "without handling the request",
    ),
    _fault("--access-denied", action="store_true", help="answer 403 AccessDeniedException to all"),
    _fault("--seed", type=int, help="seed of the fault and latency draws"),
    *(
        Option(
            ("--" + option.replace("_", "-"),),
            action="extend",
            nargs="+",
            metavar="ID",
            group=_IDS_GROUP,
        )
        for option in _ID_OPTIONS
    ),
    Option(
        ("--task-template-file",),
        action="append",
        metavar="JSON",
        default=[],
        help="a task template in GetTaskTemplate's output shape (or a JSON list of them) to "
        "serve besides the default one; its id is accepted too (repeatable)",
        group=_IDS_GROUP,
    ),
)


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """The SandboxConfig the options describe; UsageError for a value out of range."""
    low, high = args.latency_ms
    if low > high:
        raise UsageError(f"sandbox: --latency-ms MIN MAX: {low:g} is more than {high:g}")
    ids = {
        field: tuple(getattr(args, option))
        for option, field in _ID_OPTIONS.items()
        if getattr(args, option)
    }
    templates = []
    for path in args.task_template_file:
        try:
            templates.extend(load_template_file(path))
        except ValueError as error:
            raise UsageError(f"sandbox: --task-template-file {error}") from error
    try:
        return SandboxConfig(
            rate=args.rate,
            burst=args.burst,
            stop_rate=args.stop_rate,
            stop_burst=args.stop_burst,
            active_task_cap=args.active_task_cap,
            latency_ms=tuple(args.latency_ms),
            fail_rate=args.fail_rate,
            drop_before_rate=args.drop_before_rate,
            drop_after_rate=args.drop_after_rate,
            bad_200_rate=args.bad_200_rate,
            access_denied=args.access_denied,
            seed=args.seed,
            ledger_path=args.ledger,
            task_templates=tuple(templates),
            **ids,
        )
    except ValueError as error:
        raise UsageError(f"sandbox: {error}") from error


def handler(args: argparse.Namespace) -> ExitCode:
    """Serve in the foreground until a delivered signal (see interrupts), then stop (exit 0)."""
    sandbox = Sandbox(config_from_args(args), port=args.port)
    stop = threading.Event()
    with _stopped_by_signals(stop) as received:
        try:
            sandbox.start()
        except OSError as error:
            raise UsageError(_bind_problem(args.port, error)) from error
        try:
            print(banner(sandbox), flush=True)
            while not stop.wait(0.5):
                pass
        finally:
            sandbox.stop()
    counters = sandbox.counters()
    print(
        f"sandbox stopped by {received[0] if received else 'request'}: "
        f"{counters['requests']} requests, {counters['created']} tasks created",
        flush=True,
    )
    return ExitCode.OK


def banner(sandbox: Sandbox) -> str:
    """What the sandbox accepts and how to point the importer and the AWS CLI at it."""
    config, url = sandbox.config, sandbox.url
    flow = (config.contact_flow_ids or config.task_template_ids or ("FLOW_ID",))[0]
    routing = "--contact-flow-id" if config.contact_flow_ids else "--task-template-id"
    instance = config.instance_ids[0]
    cap = config.active_task_cap
    low, high = config.latency_ms
    lines = [
        f"Amazon Connect sandbox listening on {url}",
        f"  instance ids:       {', '.join(config.instance_ids)}",
        f"  contact flow ids:   {_listed(config.contact_flow_ids)}",
        f"  quick connect ids:  {_listed(config.quick_connect_ids)}",
        *_labelled("task templates:", _template_lines(config)),
        *_labelled("users:", _user_lines(instance)),
        f"  quota:              StartTaskContact {config.rate:g} requests/s, burst "
        f"{config.burst}; StopContact {config.stop_rate:g} requests/s, burst "
        f"{config.stop_burst}; active tasks: {'no cap' if cap is None else cap}",
        f"  faults:             latency {low:g}-{high:g} ms, 500s {config.fail_rate:.0%}, "
        f"drops before {config.drop_before_rate:.0%} / after {config.drop_after_rate:.0%}, "
        f"200s without a ContactId {config.bad_200_rate:.0%}"
        + (", ACCESS DENIED to every call" if config.access_denied else ""),
        f"  ledger:             {config.ledger_path or 'none'}",
        f"  inspect:            curl {url}/_sandbox/counters   curl {url}/_sandbox/tasks",
        "",
        "Any credentials work (nothing leaves this machine), e.g.:",
        "  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
        f"AWS_DEFAULT_REGION={defaults.REGION}",
        "Importer:",
        f"  AWS_ENDPOINT_URL_CONNECT={url} task-importer run tasks.csv "
        f"--instance-id {instance} {routing} {flow}",
        f"  (or pass --endpoint-url {url})",
        f"  AWS_ENDPOINT_URL_CONNECT={url} AWS_ENDPOINT_URL_STS={url} task-importer check "
        f"tasks.csv --instance-id {instance} {routing} {flow}",
        "AWS CLI:",
        f"  aws connect start-task-contact --endpoint-url {url} --region {defaults.REGION} "
        f"--instance-id {instance} {routing} {flow} --name 'Sandbox task'",
        "Ctrl-C stops the sandbox.",
    ]
    return "\n".join(lines)


def _template_lines(config: SandboxConfig) -> list[str]:
    """Each template: its id, name and status, then its fields (required ones starred)."""
    lines = []
    for template_id in config.task_template_ids:
        template = config.task_template(template_id) or {}
        required = constrained(template, "RequiredFields")
        listed = [
            f"{name}{'*' if name in required else ''} ({field['Type']})"
            for name, field in fields(template).items()
        ]
        lines.append(
            f"{template_id} '{template['Name']}' ({template.get('Status', 'ACTIVE')}), fields:"
        )
        lines.extend(f"  {line}" for line in _packed(listed, width=76))
    if lines:
        lines.append("(* required; GetTaskTemplate shows the options, defaults and constraints)")
    return lines or ["(none)"]


def _packed(items: list[str], width: int) -> list[str]:
    """``items`` joined by commas into lines of at most ``width`` (an item is never split)."""
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + len(item) + 2 <= width:
            lines[-1] += f", {item}"
        else:
            if lines:
                lines[-1] += ","
            lines.append(item)
    return lines


def _user_lines(instance_id: str) -> list[str]:
    """The sandbox's agents, and an example of the ARN that connect:CreatedByUser takes."""
    first = defaults.USERS[0]
    return [
        f"{', '.join(user.username for user in defaults.USERS)} (SearchUsers, DescribeUser)",
        f"{first.username}: {defaults.user_arn(instance_id, first.id)}",
    ]


def _labelled(label: str, lines: list[str]) -> list[str]:
    """``lines`` under a banner label: the first beside it, the others aligned with it."""
    return [f"  {label if index == 0 else '':<20}{line}" for index, line in enumerate(lines)]


def _listed(ids: tuple[str, ...]) -> str:
    return ", ".join(ids) if ids else "(none)"


def _bind_problem(port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"port {port} is already in use on 127.0.0.1; pick another with --port (0: any)"
    return f"cannot listen on 127.0.0.1:{port}: {error.strerror or error}"


@contextlib.contextmanager
def _stopped_by_signals(stop: threading.Event) -> Iterator[list[str]]:
    """Turn the delivered signals (Ctrl-C; SIGTERM, or Ctrl-Break on Windows) into
    ``stop.set()``; yields the names of signals received."""
    received: list[str] = []

    def on_signal(number: int, _frame: Any) -> None:
        received.append(signal.Signals(number).name)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in delivered_signals()}
    try:
        yield received
    finally:
        for sig, handler_before in previous.items():
            signal.signal(sig, handler_before)


COMMAND = Command(
    "sandbox",
    help="run a local Amazon Connect StartTaskContact emulator",
    description=(
        "Run a local emulator of Amazon Connect's StartTaskContact and StopContact on "
        "127.0.0.1 that enforces the service's rules, quotas, task templates and "
        "idempotency and injects faults on demand; it also answers GetTaskTemplate, "
        "SearchUsers, DescribeUser and a preflight check's calls. Nothing leaves this "
        "machine; any credentials work. Ctrl-C stops it."
    ),
    handler=handler,
    options=SANDBOX_OPTIONS,
    exit_codes=(
        (0, "stopped by Ctrl-C or SIGTERM (Ctrl-Break on Windows)"),
        (2, "an option is wrong, or the port cannot be listened on (in use)"),
    ),
)
