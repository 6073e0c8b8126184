"""The Step Functions pipelines (functions/pipelines), run locally from the SAME definition the
CDK app deploys.

moto 5.2.5 executes real ASL (its parser is LocalStack's: Task/Map/ItemProcessor/ItemSelector,
Retry with backoff and jitter, Catch, Choice, Pass, Fail, the Lambda and Step Functions service
integrations) when `stepfunctions.execute_state_machine` is on. A Lambda task calls Lambda
`Invoke`; with `lambda.use_docker` off that lands in `LambdaSimpleBackend.invoke`, which this
module replaces with a dispatcher: the function name (or ARN) of a task → its handler,
in-process, with a Lambda context (`local.runtime.Function`: one warm container per function,
invocations of one function one at a time). A handler that raises answers as Lambda does
(`X-Amz-Function-Error: Unhandled`, `{"errorType", "errorMessage", "stackTrace"}`), so Retry
and Catch see the same error names as in AWS.

`deploy()` creates each state machine from `Pipeline.definition(arns)` — the template CDK
deploys with DefinitionSubstitutions, the placeholders replaced by these functions' ARNs.

Used by the local server (local/server.py, moto behind its lock: the Lambda Invoke request is
served without the lock — see local.emulator — because the handler it runs calls the emulator
again) and by integration tests (`mock_aws` in-process, where moto runs executions in its own
threads; tests wait for them with `wait_idle`).
"""

from __future__ import annotations

import json
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from functions.pipelines import PIPELINES, Pipeline
from local.runtime import Function

ACCOUNT_ID = "123456789012"  # moto's default account (local.emulator.ACCOUNT_ID)
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/lectern-local-pipelines"
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


def function_arn(region: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"


def state_machine_arn(region: str, name: str) -> str:
    return f"arn:aws:states:{region}:{ACCOUNT_ID}:stateMachine:{name}"


class Dispatcher:
    """Lambda Invoke → an in-process function, by name. Installed once per process over moto's
    simple Lambda backend; names it does not know fall through to moto's own behaviour."""

    _lock = threading.Lock()
    _installed = False
    functions: dict[str, Function] = {}

    @classmethod
    def install(cls) -> None:
        with cls._lock:
            if cls._installed:
                return
            from moto.awslambda_simple.models import LambdaSimpleBackend

            original = LambdaSimpleBackend.invoke

            def invoke(
                self: Any,
                function_name: str,
                qualifier: str | None,
                body: Any,
                headers: Any,
                response_headers: Any,
            ) -> Any:
                name = function_name.rsplit(":function:", 1)[-1].split(":", 1)[0]
                function = cls.functions.get(name)
                if function is None:
                    return original(self, function_name, qualifier, body, headers, response_headers)
                return cls.run(function, body, response_headers)

            LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]
            cls._installed = True

    @staticmethod
    def run(function: Function, body: Any, response_headers: dict[str, Any]) -> bytes:
        raw = body.decode() if isinstance(body, bytes) else (body or "{}")
        try:
            event = json.loads(raw) if raw else {}
            result = function.invoke(event)
        except Exception as exc:  # noqa: BLE001 - answered as Lambda answers an unhandled error
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(
                {
                    "errorType": type(exc).__name__,
                    "errorMessage": str(exc),
                    "stackTrace": traceback.format_tb(exc.__traceback__),
                }
            ).encode()
        return json.dumps(result).encode()

    @classmethod
    def register(cls, functions: Sequence[Function]) -> None:
        cls.install()
        for f in functions:
            cls.functions[f.name] = f

    @classmethod
    def unregister(cls, names: Sequence[str]) -> None:
        for n in names:
            cls.functions.pop(n, None)


@dataclass
class Deployed:
    pipeline: Pipeline
    arn: str
    functions: list[Function] = field(default_factory=list)


def fix_start_execution_integration() -> None:
    """moto 5.2.5 gap: its `arn:aws:states:::states:startExecution` integration passes the
    state's PascalCase parameters (`StateMachineArn`, `Name`, `Input`) to boto3, which names them
    camelCase, and hands boto3's answer back with camelCase keys and a datetime. AWS maps both
    ways (the state sees `ExecutionArn`, `StartDate`); this does the same, for this one
    integration, so the Continue state of the deployed definition runs unchanged."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_sfn as sfn_service,
    )

    cls = sfn_service.StateTaskServiceSfn
    if getattr(cls, "_lectern_fixed", False):
        return
    original = cls._normalise_parameters

    def normalise_parameters(
        self: Any, parameters: dict[str, Any], boto_service_name: Any = None, service_action_name: Any = None
    ) -> None:
        original(self, parameters, boto_service_name, service_action_name)
        for key in [k for k in parameters if k[:1].isupper()]:
            parameters[key[0].lower() + key[1:]] = parameters.pop(key)

    def normalise_response(
        self: Any, response: Any, boto_service_name: Any = None, service_action_name: Any = None
    ) -> None:
        if isinstance(response, dict):
            for key in list(response):
                value = response.pop(key)
                if isinstance(value, datetime):
                    value = value.isoformat()
                response[key[:1].upper() + key[1:]] = value

    cls._normalise_parameters = normalise_parameters  # type: ignore[method-assign]
    cls._normalise_response = normalise_response  # type: ignore[method-assign]
    cls._lectern_fixed = True  # type: ignore[attr-defined]


def enable_execution() -> None:
    """Tell moto to execute state machines and to use the Docker-free Lambda backend (in this
    process: the embedded emulator and `mock_aws` both read moto's default config)."""
    from moto.core.config import default_user_config

    fix_start_execution_integration()
    for service, values in MOTO_CONFIG.items():
        default_user_config.setdefault(service, {}).update(values)  # type: ignore[misc]


@contextmanager
def execution_enabled() -> Iterator[None]:
    """`enable_execution` for the duration of a block (tests), restoring moto's config after."""
    from unittest.mock import patch

    from moto.core.config import default_user_config

    fix_start_execution_integration()
    patched = {k: {**default_user_config.get(k, {}), **v} for k, v in MOTO_CONFIG.items()}  # type: ignore[dict-item]
    with patch.dict(default_user_config, patched):
        yield


def deploy(
    *, stage: str, region: str, pipelines: Sequence[Pipeline] = PIPELINES, timeout_seconds: float = 60.0
) -> list[Deployed]:
    """Create each pipeline's state machine (idempotent) and register its task functions."""
    from lectern import aws

    sfn = aws.client("stepfunctions")
    out: list[Deployed] = []
    for p in pipelines:
        functions = [
            Function(f"lectern-{stage}-{t.name}", t.handler, region=region, timeout_seconds=timeout_seconds)
            for t in p.tasks
        ]
        Dispatcher.register(functions)
        definition = p.definition(
            {t.placeholder: function_arn(region, f.name) for t, f in zip(p.tasks, functions, strict=True)}
        )
        name = p.state_machine_name(stage)
        arn = state_machine_arn(region, name)
        existing = {m["name"] for m in sfn.list_state_machines().get("stateMachines", [])}
        if name in existing:
            sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(definition))
        else:
            arn = sfn.create_state_machine(
                name=name, definition=json.dumps(definition), roleArn=ROLE_ARN, type="STANDARD"
            )["stateMachineArn"]
        out.append(Deployed(p, arn, functions))
    return out


def settings_env(deployed: Sequence[Deployed]) -> dict[str, str]:
    """`LECTERN_<SETTING>` → the state machine ARN, for every deployed pipeline."""
    return {f"LECTERN_{d.pipeline.setting.upper()}": d.arn for d in deployed}


def running(arns: Sequence[str]) -> int:
    from lectern import aws

    sfn = aws.client("stepfunctions")
    return sum(
        len(sfn.list_executions(stateMachineArn=a, statusFilter="RUNNING").get("executions", []))
        for a in arns
    )


def wait_idle(arns: Sequence[str], timeout: float = 60.0, interval: float = 0.02) -> None:
    """Until no execution of these state machines is running (an execution that continues in a
    new one starts it before it ends, so "none running" means the whole chain is done)."""
    deadline = time.monotonic() + timeout
    while running(arns):
        if time.monotonic() > deadline:
            raise TimeoutError(f"executions still running after {timeout}s")
        time.sleep(interval)
