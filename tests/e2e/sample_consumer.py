"""A sample EventBridge consumer for tests/e2e/test_local_events.py: it records what it gets.

An event whose data carries `"fail_times": n` raises on its first n deliveries (retry test);
`"reject": true` reports that one record as a batch item failure.
"""

from __future__ import annotations

import json
import threading
from typing import Any

received: list[dict[str, Any]] = []
attempts: dict[str, int] = {}
contexts: list[Any] = []
_lock = threading.Lock()


def reset() -> None:
    with _lock:
        received.clear()
        attempts.clear()
        contexts.clear()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    with _lock:
        contexts.append(context)
        for record in event["Records"]:
            assert record["eventSource"] == "aws:sqs"
            envelope = json.loads(record["body"])
            data = envelope["detail"]["data"]
            key = envelope["detail"]["id"]
            attempts[key] = attempts.get(key, 0) + 1
            if attempts[key] <= int(data.get("fail_times", 0)):
                raise RuntimeError(f"sample consumer failing on purpose ({attempts[key]})")
            if data.get("reject"):
                failures.append({"itemIdentifier": record["messageId"]})
                continue
            received.append(envelope)
    return {"batchItemFailures": failures}
