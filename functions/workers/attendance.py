"""The attendance worker: Zoom participant and meeting-ended events (source `lectern.zoom`, put
on the bus by the webhook after verification) and the domain events that change what attendance
means (sessions edited or removed, the event's rule changed).

SQS batch with partial failures: a record that raises is retried (then dead-lettered); a
verified event that cannot be attributed (unknown meeting, unreadable payload) is logged and
dropped, since retrying it would never succeed. Every step is idempotent, so a redelivery, in
any order, changes nothing.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from lectern.attendance import completion, recompute, zoom_events
from lectern.consumers import sqs_consumer
from lectern.deps import Deps
from lectern.errors import LecternError
from lectern.request import RequestMeta

logger = Logger(service="attendance")
# Event fields that change what attendance means.
RULE_FIELDS = frozenset(
    {
        "starts_at",
        "ends_at",
        "minimum_attendance_percent",
        "is_multi_session",
        "completion_type",
        "minimum_sessions_required",
        "minimum_attendance_percent_total",
        "required_sessions",
    }
)

# Domain events after which every registration of the event is recomputed.
RECOMPUTE_ON = (
    "lectern.event.updated",
    "lectern.session.updated",
    "lectern.session.deleted",
    "lectern.session.cancelled",
)


def handle(event: dict[str, Any], deps: Deps) -> str:
    """One EventBridge event (as delivered in the SQS body). Returns what was done."""
    kind = str(event.get("detail-type") or "")
    detail = event.get("detail") or {}
    if detail.get("payload_omitted"):  # too large for EventBridge: read the stored delivery
        detail = zoom_events.stored_detail(str(detail.get("identity") or ""))
    source = event.get("source")
    meta = RequestMeta(
        ip="zoom" if source == "lectern.zoom" else "bus", correlation_id=str(event.get("id") or "")
    )
    try:
        if source == "lectern.zoom" and kind in zoom_events.PARTICIPANT_EVENTS:
            return zoom_events.process_participant(detail, deps)
        if source == "lectern.zoom" and kind in zoom_events.ENDED_EVENTS:
            meeting = zoom_events.meeting_of(detail)
            if meeting is None:
                return "unknown_meeting"
            done = completion.complete_session(
                event_id=meeting.event_id,
                session_id=meeting.session_id,
                at=zoom_events.ended_at(detail),
                deps=deps,
                meta=meta,
                actor_id=None,
                idempotent=True,
            )
            return "event_completed" if done.event_completed else "session_completed"
        if source == "lectern" and kind in RECOMPUTE_ON:
            data = detail.get("data") or {}
            if kind == "lectern.event.updated" and not set(data.get("fields") or ()) & RULE_FIELDS:
                return "ignored"  # e.g. a new title: attendance is unchanged
            changed = recompute.recompute_event(str(data["event_id"]), deps.clock.now())
            return f"recomputed:{changed}"
    except zoom_events.BadZoomEvent as exc:
        logger.warning("zoom event dropped", extra={"detail_type": kind, "reason": str(exc)})
        return "dropped"
    except LecternError as exc:
        # e.g. Zoom says a meeting ended whose event was cancelled, or whose session was deleted
        logger.warning("zoom event not applicable", extra={"detail_type": kind, "reason": exc.message})
        return "ignored"
    return "ignored"


lambda_handler = sqs_consumer("attendance", handle)
