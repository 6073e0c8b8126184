"""The Lambda tasks of the certificate-issuing state machine (functions/pipelines:
ISSUE_CERTIFICATES). Each is a thin adapter: the event is the task's `Payload`, the answer its
output; the work is lectern.certificates.pipeline's.

* `validate`  — {run_id, chunk, registration_ids|null} → {run_id, event_id, items: [id, ...]}
* `issue_one` — {registration_id, run_id, event_id} → {registration_id, status, reason}
  (raises on a crash: the state machine retries, then reports the person as failed)
* `finalize`  — {run_id, chunk, results: [...]} → {continue, run_id, chunk, execution_name};
  with {run_id, chunk, error: {Error, Cause}} instead (RunFailed) the run is marked failed.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from lectern.certificates import pipeline
from lectern.deps import default_deps

logger = Logger(service="certificate-pipeline")


@logger.inject_lambda_context(clear_state=True)
def validate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.append_keys(run_id=event.get("run_id"), chunk=event.get("chunk"))
    out = pipeline.validate(
        run_id=str(event["run_id"]),
        chunk=int(event.get("chunk") or 0),
        registration_ids=event.get("registration_ids"),
        deps=default_deps(),
    )
    logger.info("validated", extra={"candidates": len(out["items"])})
    return out


@logger.inject_lambda_context(clear_state=True)
def issue_one(event: dict[str, Any], context: Any) -> dict[str, str]:
    logger.append_keys(run_id=event.get("run_id"), registration_id=event.get("registration_id"))
    try:
        out = pipeline.issue_one(
            run_id=str(event["run_id"]),
            event_id=str(event["event_id"]),
            registration_id=str(event["registration_id"]),
            deps=default_deps(),
        )
    except Exception:
        logger.exception("issue failed")  # the state machine retries, then reports it
        raise
    logger.info("issued one", extra={"status": out["status"], "reason": out["reason"]})
    return out


@logger.inject_lambda_context(clear_state=True)
def finalize(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.append_keys(run_id=event.get("run_id"), chunk=event.get("chunk"))
    deps = default_deps()
    if "error" in event:
        logger.error("issue run failed", extra={"error": event.get("error")})
        return pipeline.abort(run_id=str(event["run_id"]), error=dict(event.get("error") or {}), deps=deps)
    out = pipeline.finalize(
        run_id=str(event["run_id"]),
        chunk=int(event.get("chunk") or 0),
        results=list(event.get("results") or []),
        deps=deps,
    )
    logger.info("finalized", extra=out)
    return out
