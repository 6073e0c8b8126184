"""The reminder sweep, run by a scheduled EventBridge rule (every 5 minutes; infra/constructs/
schedules.py): every reminder due by now goes to each confirmed registrant once
(lectern.reminders.sweep — claims per registrant make an overlapping or repeated run harmless).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from lectern.deps import default_deps
from lectern.reminders.sweep import sweep

logger = Logger(service="reminder-sweep")


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # Stop claiming new mails 60 s before the function's timeout; the rest waits for the next run.
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    budget = max(10.0, remaining() / 1000 - 60) if callable(remaining) else 240.0
    result = sweep(default_deps(), budget_seconds=budget)
    summary = {k: v for k, v in vars(result).items() if k != "outcomes"}
    # a quiet tick (nothing due) is a debug line: local mode sweeps every 30 s
    (logger.info if result.reminders else logger.debug)("reminder sweep", extra=summary)
    return summary
