"""Invoke a Lambda handler in-process, the way the Lambda runtime would.

Each `Function` stands for one warm container: invocations of the same function run one at a
time (a powertools resolver keeps the current event on the app object, so two concurrent
invocations of one module would read each other's request). Different functions run
concurrently, as they do in AWS.
"""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from local.emulator import ACCOUNT_ID


class LambdaContext:
    """What the Lambda runtime passes as `context` (the attributes powertools reads)."""

    def __init__(
        self,
        function_name: str,
        *,
        timeout_seconds: float = 29.0,
        memory_mb: int = 1024,
        region: str = "eu-west-1",
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{function_name}"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def resolve_handler(dotted: str) -> Callable[[dict[str, Any], Any], Any]:
    """`package.module.function` → the function (imports the module: fails loudly)."""
    module_name, _, attr = dotted.rpartition(".")
    if not module_name:
        raise ValueError(f"handler must be module.function, got {dotted!r}")
    handler = getattr(importlib.import_module(module_name), attr, None)
    if not callable(handler):
        raise AttributeError(f"{module_name} has no callable {attr!r}")
    return handler


class Function:
    """One Lambda function (one warm container): its handler, invoked one event at a time."""

    def __init__(
        self,
        name: str,
        handler: str | Callable[[dict[str, Any], Any], Any],
        *,
        timeout_seconds: float = 29.0,
        memory_mb: int = 1024,
        region: str = "eu-west-1",
    ) -> None:
        self.name = name
        self._handler = resolve_handler(handler) if isinstance(handler, str) else handler
        self._timeout = timeout_seconds
        self._memory = memory_mb
        self._region = region
        self._lock = threading.Lock()

    def invoke(self, event: dict[str, Any]) -> Any:
        context = LambdaContext(
            self.name, timeout_seconds=self._timeout, memory_mb=self._memory, region=self._region
        )
        with self._lock:
            return self._handler(event, context)
