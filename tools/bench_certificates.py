"""Bench: one bulk issue run of N certificates through the issuing pipeline — the state machine
CDK deploys, executed by moto in-process with its Lambda tasks dispatched to their handlers
(local/stepfunctions.py), real rendering, S3, SES and EventBridge on moto.

`bulk_issue(n)` → time from the request to the finished run, and every AWS call by service and
operation (DynamoDB per certificate above all). Imports nothing from lectern at module import
(the bench sets the test environment first).

On moto the Map runs one IssueOne at a time (one warm "container" per function), so the time
is the sequential cost; on AWS the Map runs MAX_CONCURRENCY (10) at once.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any


def bulk_issue(n: int = 1000) -> dict[str, Any]:
    from moto import mock_aws

    import tests.conftest  # noqa: F401  test environment
    from local import stepfunctions
    from local.emulator import speed_up_moto, untrack_dynamodb_models
    from tests.support.aws import provision, reset_caches
    from tools.bench_ops import Recorder

    rec = Recorder()
    rec.install()
    try:
        with mock_aws(), stepfunctions.execution_enabled():
            speed_up_moto()  # else moto sorts the table per Query and copies it per transaction
            untrack_dynamodb_models()  # else moto keeps every snapshot: memory grows as n^2
            reset_caches()
            provision()
            region = os.environ["LECTERN_REGION"]
            deployed = stepfunctions.deploy(stage="bench", region=region)
            os.environ.update(stepfunctions.settings_env(deployed))
            reset_caches()
            try:
                return _run(n, rec, [d.arn for d in deployed])
            finally:
                stepfunctions.wait_idle([d.arn for d in deployed], timeout=600)
                for d in deployed:
                    stepfunctions.Dispatcher.unregister([f.name for f in d.functions])
                for key in stepfunctions.settings_env(deployed):
                    os.environ.pop(key, None)
    finally:
        rec.uninstall()
        reset_caches()


def _run(n: int, rec: Any, arns: list[str]) -> dict[str, Any]:
    from lectern.certificates.pipeline import CHUNK
    from lectern.data.base import TableItem
    from lectern.data.certificates import CertificateItem

    from local import stepfunctions
    from tests.support import builders
    from tests.support.api import Api
    from tests.support.events import make_event
    from tests.support.pipelines import complete, registration, run_item

    api = Api(ip="198.51.100.201")
    organiser = builders.verified_account(api, "bulk-issue@example.org", "correct horse battery staple")
    event = complete(make_event(organiser.token, title="Bulk issue bench"))
    for i in range(n):
        registration(event, email=f"p{i}@example.org", name=f"Person {i}")
    with rec.window() as calls:
        t0 = time.perf_counter()
        reply = api.post(f"/events/{event.event_id}/certificates/issue/", {}, token=organiser.token)
        if reply.status != 202:
            raise RuntimeError(f"issue answered {reply.status}: {reply.json}")
        stepfunctions.wait_idle(arns, timeout=3600, interval=0.1)
        seconds = time.perf_counter() - t0
    run = run_item(reply.json["run_id"])
    pk, _ = CertificateItem.event_index(event.event_id, "")
    certificates = sum(1 for c in TableItem.gsi1.query(pk) if isinstance(c, CertificateItem))
    # the bench's own polling (ListExecutions) is not the run's
    by_service: Counter[str] = Counter(
        f"{c.service}.{c.operation}"
        for c in calls
        if (c.service, c.operation) != ("stepfunctions", "ListExecutions")
    )
    ddb = Counter(c.operation for c in calls if c.service == "dynamodb")
    ddb_total = sum(ddb.values())
    return {
        "registrations": n,
        "status": run.status,
        "issued": int(run.issued),
        "skipped": int(run.skipped),
        "failed": int(run.failed),
        "certificates": certificates,
        "executions": -(-n // CHUNK) if n else 1,
        "seconds": round(seconds, 1),
        "per_certificate_ms": round(1000 * seconds / max(1, n), 1),
        "dynamodb_calls": ddb_total,
        "dynamodb_per_certificate": round(ddb_total / max(1, n), 2),
        "dynamodb_by_operation": dict(sorted(ddb.items())),
        "lambda_invocations": by_service.get("lambda.Invoke", 0),
        "other_calls": {k: v for k, v in sorted(by_service.items()) if not k.startswith("dynamodb.")},
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(bulk_issue(int(sys.argv[1]) if len(sys.argv) > 1 else 1000), indent=2))
