"""Zoom participant and meeting-ended events → attendance edges (PRODUCT.md §4, §5).

The webhook has already verified and stored the raw event and put it on the bus; this is what
the attendance worker does with one of them:

* participant joined / left → one `AttendanceEdge` whose key is the event's identity (session,
  time, joined|left, the participant's connection), so a redelivery rewrites the same item;
  matched by Zoom `registrant_id`, then by the exact registration email, never by name; a
  participant nothing matches lands in the organiser's review list (`UnmatchedParticipant`);
  then the registration's attendance is recomputed from all its edges.
* meeting / webinar ended → the session is completed (lectern.attendance.completion), which
  recomputes every registration of the event and may complete the event.

Calls for one matched participant event: BatchGetItem (meeting, registrant) [→ BatchGetItem
(registration email, unmatched participant) when there is no registrant id] → PutItem edge →
Query the registration's partition → Query the event's partition → UpdateItem registration when
the result changed.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from lectern.attendance.recompute import EventContext, recompute_registration
from lectern.data import tx
from lectern.data.attendance import AttendanceEdgeItem, UnmatchedParticipantItem
from lectern.data.base import TableItem
from lectern.data.registrations import RegistrationEmailItem
from lectern.data.zoom import ZoomMeetingItem, ZoomRegistrantItem
from lectern.deps import Deps

PARTICIPANT_EVENTS = {
    "meeting.participant_joined": "joined",
    "meeting.participant_left": "left",
    "webinar.participant_joined": "joined",
    "webinar.participant_left": "left",
}
ENDED_EVENTS = ("meeting.ended", "webinar.ended")


class BadZoomEvent(ValueError):
    """A verified event whose payload lacks what we need: logged and dropped (retrying it would
    never succeed)."""


@dataclass(frozen=True)
class Participant:
    meeting_id: str
    kind: str  # joined | left
    at: datetime
    device: str  # one connection: pairs its join with its leave
    registrant_id: str
    email: str
    name: str
    key: str  # the person across connections, for the unmatched review list


def _time(value: Any, fallback_ms: Any) -> datetime:
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise BadZoomEvent(f"unreadable time {value!r}") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if isinstance(fallback_ms, int | float) and fallback_ms > 0:
        return datetime.fromtimestamp(fallback_ms / 1000, UTC)
    raise BadZoomEvent("no time on the participant event")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def participant_of(detail: dict[str, Any]) -> Participant:
    name = str(detail.get("event") or "")
    kind = PARTICIPANT_EVENTS.get(name)
    if kind is None:
        raise BadZoomEvent(f"not a participant event: {name!r}")
    obj = ((detail.get("payload") or {}).get("object")) or {}
    p = obj.get("participant") or {}
    meeting_id = str(obj.get("id") or "").strip()
    if not meeting_id:
        raise BadZoomEvent("no meeting id")
    at = _time(p.get("join_time") if kind == "joined" else p.get("leave_time"), detail.get("event_ts"))
    email = str(p.get("email") or "").strip().lower()
    pname = str(p.get("user_name") or "").strip()
    connection = str(p.get("user_id") or p.get("participant_uuid") or "")
    person = (
        f"email:{email}"
        if email
        else f"zoom:{p.get('participant_user_id') or p.get('id') or p.get('participant_uuid') or pname}"
    )
    return Participant(
        meeting_id=meeting_id,
        kind=kind,
        at=at,
        device=_digest(connection or person),
        registrant_id=str(p.get("registrant_id") or ""),
        email=email,
        name=pname[:200],
        key=str(uuid.UUID(hex=_digest(person))),  # uuid-shaped: it is a path parameter
    )


def _edge(
    p: Participant, meeting: ZoomMeetingItem, now: datetime, source: str = "zoom"
) -> AttendanceEdgeItem:
    sk = AttendanceEdgeItem.sort_key(meeting.session_id, p.at, p.kind, p.device)
    return AttendanceEdgeItem(
        "",
        sk,
        event_id=meeting.event_id,
        session_id=meeting.session_id,
        kind=p.kind,
        at=p.at,
        device=p.device,
        source=source,
        participant_name=p.name,
        participant_email=p.email,
        recorded_at=now,
    )


def file_under_registration(edge: AttendanceEdgeItem, registration_id: str) -> AttendanceEdgeItem:
    edge.pk = AttendanceEdgeItem.registration_pk(registration_id)
    edge.registration_id = registration_id
    edge.gsi1pk, edge.gsi1sk = AttendanceEdgeItem.event_index(edge.event_id, registration_id, edge.sk)
    return edge


def process_participant(detail: dict[str, Any], deps: Deps, ctx: EventContext | None = None) -> str:
    """One participant event. Returns the outcome: matched / unmatched / unknown_meeting."""
    p = participant_of(detail)
    now = deps.clock.now()
    keys: list[tuple[type[TableItem], tuple[str, str]]] = [
        (ZoomMeetingItem, ZoomMeetingItem.key(p.meeting_id))
    ]
    if p.registrant_id:
        keys.append((ZoomRegistrantItem, ZoomRegistrantItem.key(p.meeting_id, p.registrant_id)))
    got = tx.get_many(k for _, k in keys)
    meeting = got.get(ZoomMeetingItem.key(p.meeting_id))
    if not isinstance(meeting, ZoomMeetingItem):
        return "unknown_meeting"  # not a meeting of ours (or deleted): nothing to attribute
    registrant = got.get(ZoomRegistrantItem.key(p.meeting_id, p.registrant_id)) if p.registrant_id else None
    registration_id = registrant.registration_id if isinstance(registrant, ZoomRegistrantItem) else None

    unmatched_key = UnmatchedParticipantItem.key(meeting.event_id, p.key)
    if registration_id is None:
        more: list[tuple[type[TableItem], tuple[str, str]]] = [(UnmatchedParticipantItem, unmatched_key)]
        if p.email:
            more.append((RegistrationEmailItem, RegistrationEmailItem.key(meeting.event_id, p.email)))
        found = tx.get_many(k for _, k in more)
        by_email = found.get(RegistrationEmailItem.key(meeting.event_id, p.email)) if p.email else None
        reviewed = found.get(unmatched_key)
        if isinstance(by_email, RegistrationEmailItem):
            registration_id = by_email.registration_id
        elif isinstance(reviewed, UnmatchedParticipantItem) and reviewed.assigned_registration_id:
            registration_id = reviewed.assigned_registration_id

    edge = _edge(p, meeting, now)
    if registration_id is not None:
        file_under_registration(edge, registration_id).save()
        recompute_registration(registration_id, now, ctx)
        return "matched"

    edge.pk = AttendanceEdgeItem.unmatched_pk(meeting.event_id, p.key)
    edge.save()
    assigned_to = _note_unmatched(meeting.event_id, meeting.session_id, p)
    if assigned_to:  # assigned while we were filing it: follow the assignment
        file_under_registration(edge, assigned_to).save()
        recompute_registration(assigned_to, now, ctx)
        return "matched"
    return "unmatched"


def _note_unmatched(event_id: str, session_id: str, p: Participant) -> str | None:
    """Refresh the review-list entry from all of this participant's edges (so arrival order does
    not matter); a recount that saw fewer edges than the stored one loses its condition.
    Returns the registration it was assigned to, if that happened meanwhile."""
    edges = list(
        AttendanceEdgeItem.query(AttendanceEdgeItem.unmatched_pk(event_id, p.key), consistent_read=True)
    )
    times = [e.at for e in edges] or [p.at]
    entry = UnmatchedParticipantItem(*UnmatchedParticipantItem.key(event_id, p.key))
    try:
        entry.update(
            actions=[
                UnmatchedParticipantItem.entity.set(UnmatchedParticipantItem),  # created by this update
                UnmatchedParticipantItem.event_id.set(event_id),
                UnmatchedParticipantItem.participant_key.set(p.key),
                UnmatchedParticipantItem.name.set(
                    p.name or next((e.participant_name for e in edges if e.participant_name), "")
                ),
                UnmatchedParticipantItem.email.set(p.email),
                UnmatchedParticipantItem.session_ids.set({e.session_id for e in edges} | {session_id}),
                UnmatchedParticipantItem.first_seen_at.set(min(times)),
                UnmatchedParticipantItem.last_seen_at.set(max(times)),
                UnmatchedParticipantItem.edge_count.set(len(edges)),
            ],
            condition=UnmatchedParticipantItem.assigned_registration_id.does_not_exist()
            & (
                UnmatchedParticipantItem.edge_count.does_not_exist()
                | (UnmatchedParticipantItem.edge_count <= len(edges))
            ),
        )
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", "") != "ConditionalCheckFailedException":
            raise
        try:
            current = UnmatchedParticipantItem.get(
                *UnmatchedParticipantItem.key(event_id, p.key), consistent_read=True
            )
        except UnmatchedParticipantItem.DoesNotExist:
            return None
        return current.assigned_registration_id
    return None


def meeting_of(detail: dict[str, Any]) -> ZoomMeetingItem | None:
    obj = ((detail.get("payload") or {}).get("object")) or {}
    meeting_id = str(obj.get("id") or "").strip()
    if not meeting_id:
        raise BadZoomEvent("no meeting id")
    try:
        return ZoomMeetingItem.get(*ZoomMeetingItem.key(meeting_id), consistent_read=True)
    except ZoomMeetingItem.DoesNotExist:
        return None


def ended_at(detail: dict[str, Any]) -> datetime:
    obj = ((detail.get("payload") or {}).get("object")) or {}
    return _time(obj.get("end_time"), detail.get("event_ts"))


def stored_detail(identity: str) -> dict[str, Any]:
    """The bus detail of a delivery too large for EventBridge, rebuilt from the raw event the
    webhook stored (`ZOOMEVT#<identity>`)."""
    import json

    from lectern.data.webhooks import ZoomWebhookItem

    try:
        item = ZoomWebhookItem.get(*ZoomWebhookItem.key(identity), consistent_read=True)
    except ZoomWebhookItem.DoesNotExist as exc:
        raise BadZoomEvent(f"stored delivery {identity!r} is gone (TTL?)") from exc
    body = json.loads(item.raw)
    return {
        "identity": identity,
        "event": body.get("event"),
        "event_ts": body.get("event_ts"),
        "payload": body.get("payload"),
    }
