"""The bus consumers: EventBridge rule → SQS queue (+DLQ) → Lambda, one per consumer.

The single source for the CDK app (infra/constructs/workers.py) and the local runtime
(local/events.py, which mirrors the wiring with pollers). Add a consumer here and both follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Consumer:
    name: str  # short, [a-z0-9-]: names the queue, DLQ, rule and function
    handler: str  # "functions.workers.<module>.lambda_handler"
    pattern: dict[str, Any]  # EventBridge event pattern
    description: str = ""
    batch_size: int = 10
    visibility_timeout: int = 5  # seconds before a failed message is retried (local; AWS uses 6x timeout)
    max_receive_count: int = 3  # then it goes to the DLQ


CONSUMERS: tuple[Consumer, ...] = ()
