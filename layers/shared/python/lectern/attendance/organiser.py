"""What organisers (and attendees, for their own registration) do with attendance: read it per
registration and per event, override eligibility (spec-review H3), review and assign
participants nobody matched, and enter attendance by hand in bulk (throttled, M6).

Every change is audited in the same transaction, and every change ends in a recompute of the
registration(s) concerned, so what is shown is always derived from the same edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action

from lectern import audit
from lectern.attendance.recompute import (
    EventContext,
    edges_in,
    recompute_registration,
)
from lectern.attendance.zoom_events import file_under_registration
from lectern.data import tx
from lectern.data.attendance import AttendanceEdgeItem, UnmatchedParticipantItem
from lectern.data.base import TableItem
from lectern.data.pagination import Page, PageRequest, query_page
from lectern.data.registrations import RegistrationItem
from lectern.deps import Deps
from lectern.errors import Conflict, NotFound, ValidationFailed
from lectern.events import sessions_view
from lectern.integrations.bus import DomainEvent
from lectern.registrations.service import organisers_registration, registration_item
from lectern.request import RequestMeta
from lectern.throttle import take_bulk

# Manual attendance shares the organiser's bulk budget with the other bulk routes' shape.
BULK_ATTENDANCE_MAX = 200
MANUAL_DEVICE = "manual"


# -- reading ------------------------------------------------------------------------------------


def aggregate(
    owner_id: str, event_id: str, page: PageRequest, status: str = "confirmed"
) -> tuple[EventContext, Page[RegistrationItem]]:
    """Query the event's partition (event + sessions, ownership) → Query GSI1 `EVENT#id#REGS`:
    two calls per page, whatever the number of sessions."""
    event, items = sessions_view.load_owned(owner_id, event_id)
    pk, _ = RegistrationItem.event_index(event_id, "")
    got = query_page(
        TableItem.gsi1.query,
        page,
        f"aggregate:{event_id}:{owner_id}:{status}",
        hash_key=pk,
        filter_condition=RegistrationItem.status == status,
    )
    return EventContext.of(event, items), got.map(lambda i: i)


def session_attendance(caller_id: str, registration_id: str) -> tuple[EventContext, RegistrationItem]:
    """The organiser of the event or the registrant: GetItem registration → Query event partition."""
    reg = registration_item(registration_id)
    if caller_id not in (reg.owner_id, reg.user_id):
        raise NotFound("The registration does not exist.")
    return EventContext.load(reg.event_id), reg


# -- override (H3) ------------------------------------------------------------------------------


def override(
    *,
    owner_id: str,
    event_id: str,
    registration_id: str,
    eligible: bool | None,
    reason: str | None,
    meta: RequestMeta,
    deps: Deps,
) -> RegistrationItem:
    """Set (eligible true/false, with a reason) or clear (eligible None) the organiser's override.
    GetItem → TransactWriteItems (registration cond. unchanged owner/event, audit)."""
    reg = organisers_registration(owner_id, event_id, registration_id)
    if reg.status == "cancelled" and eligible:
        raise Conflict("A cancelled registration cannot be made eligible.", code="registration_cancelled")
    now = deps.clock.now()
    log = audit.Auditor(owner_id, now, deps.ids, meta.ip)
    actions: list[Action]
    if eligible is None:
        actions = [
            RegistrationItem.attendance_override.remove(),
            RegistrationItem.attendance_override_by.remove(),
            RegistrationItem.attendance_override_reason.remove(),
            RegistrationItem.attendance_override_at.remove(),
            RegistrationItem.updated_at.set(now),
        ]
        action, details = "lectern.registration.attendance_override_cleared", {}
    else:
        actions = [
            RegistrationItem.attendance_override.set(eligible),
            RegistrationItem.attendance_override_by.set(owner_id),
            RegistrationItem.attendance_override_reason.set(reason or ""),
            RegistrationItem.attendance_override_at.set(now),
            RegistrationItem.updated_at.set(now),
        ]
        action, details = (
            "lectern.registration.attendance_overridden",
            {"eligible": eligible, "reason": reason},
        )
    with tx.write(on_condition_failed=NotFound("The registration does not exist.")) as t:
        t.update(
            reg,
            actions=actions,
            condition=(RegistrationItem.owner_id == owner_id) & (RegistrationItem.event_id == event_id),
        )
        t.save(log.entry(action, "registration", registration_id, event_id=event_id, **details))
    deps.bus.publish(
        [
            DomainEvent(
                action,
                {"registration_id": registration_id, "event_id": event_id, "user_id": reg.user_id},
                occurred_at=now,
                correlation_id=meta.correlation_id,
            )
        ]
    )
    # The transaction's result, without reading it back.
    reg.attendance_override = eligible
    reg.attendance_override_by = owner_id if eligible is not None else None
    reg.attendance_override_reason = (reason or "") if eligible is not None else None
    reg.attendance_override_at = now if eligible is not None else None
    reg.updated_at = now
    return reg


# -- unmatched participants ---------------------------------------------------------------------


def unmatched(
    owner_id: str, event_id: str, page: PageRequest, include_assigned: bool = False
) -> Page[UnmatchedParticipantItem]:
    """GetItem-free: the ownership check reads the event item, then one Query per page of
    `EVENT#id` / `UNMATCHED#…`."""
    from lectern.events.access import owned_event

    owned_event(owner_id, event_id)
    pk, _ = UnmatchedParticipantItem.key(event_id, "")
    got = query_page(
        UnmatchedParticipantItem.query,
        page,
        f"unmatched:{event_id}:{owner_id}:{int(include_assigned)}",
        hash_key=pk,
        range_key_condition=UnmatchedParticipantItem.sk.startswith("UNMATCHED#"),
        filter_condition=None
        if include_assigned
        else UnmatchedParticipantItem.assigned_registration_id.does_not_exist(),
    )
    return got


@dataclass(frozen=True)
class Assigned:
    participant: UnmatchedParticipantItem
    registration: RegistrationItem
    edges_moved: int


def assign(
    *,
    owner_id: str,
    event_id: str,
    participant_key: str,
    registration_id: str,
    meta: RequestMeta,
    deps: Deps,
) -> Assigned:
    """Attribute an unmatched participant's attendance to one of the event's registrations.

    1. mark the review entry assigned (cond. not yet assigned elsewhere) + audit, one transaction
       — from then on new edges of this participant go to the registration;
    2. copy the participant's edges into the registration's partition (BatchWriteItem, 25 per
       call; idempotent: same keys);
    3. recompute the registration.
    Assigning again to the same registration repeats steps 2 and 3 (so an interrupted assign can be
    finished); to another registration it is a 409."""
    from lectern.events.access import owned_event

    owned_event(owner_id, event_id)
    try:
        entry = UnmatchedParticipantItem.get(
            *UnmatchedParticipantItem.key(event_id, participant_key), consistent_read=True
        )
    except UnmatchedParticipantItem.DoesNotExist as exc:
        raise NotFound("The participant does not exist.") from exc
    reg = organisers_registration(owner_id, event_id, registration_id)
    if reg.status != "confirmed":
        raise Conflict(
            f"The registration is {reg.status}; attendance can only be assigned to a confirmed one.",
            code="registration_not_confirmed",
        )
    if entry.assigned_registration_id and entry.assigned_registration_id != registration_id:
        raise Conflict(
            "This participant is already assigned to another registration.",
            code="participant_already_assigned",
        )
    now = deps.clock.now()
    if not entry.assigned_registration_id:
        log = audit.Auditor(owner_id, now, deps.ids, meta.ip)
        try:
            with tx.write() as t:
                t.update(
                    entry,
                    actions=[
                        UnmatchedParticipantItem.assigned_registration_id.set(registration_id),
                        UnmatchedParticipantItem.assigned_by.set(owner_id),
                        UnmatchedParticipantItem.assigned_at.set(now),
                    ],
                    condition=UnmatchedParticipantItem.assigned_registration_id.does_not_exist(),
                )
                t.save(
                    log.entry(
                        "lectern.attendance.participant_assigned",
                        "registration",
                        registration_id,
                        event_id=event_id,
                        participant=entry.name or entry.email or participant_key,
                    )
                )
        except TransactWriteError as exc:
            if tx.cancelled_by_condition(exc):
                raise Conflict(
                    "This participant was just assigned by someone else.", code="participant_already_assigned"
                ) from exc
            raise
        entry.assigned_registration_id, entry.assigned_by, entry.assigned_at = registration_id, owner_id, now
    moved = 0
    with AttendanceEdgeItem.batch_write() as batch:
        for edge in AttendanceEdgeItem.query(
            AttendanceEdgeItem.unmatched_pk(event_id, participant_key), consistent_read=True
        ):
            edge.source = "assigned"
            batch.save(file_under_registration(edge, registration_id))
            moved += 1
    recompute_registration(registration_id, now)
    return Assigned(entry, registration_item(registration_id), moved)


# -- manual attendance in bulk ------------------------------------------------------------------


@dataclass(frozen=True)
class ManualEntry:
    registration_id: str
    session_id: str | None
    minutes: int


@dataclass(frozen=True)
class EntryOutcome:
    registration_id: str
    session_id: str | None
    minutes: int
    status: str  # would_update | updated | skipped
    reason: str


def _check_entry(
    e: ManualEntry, ctx: EventContext, regs: dict[str, RegistrationItem], index: int
) -> tuple[str | None, str]:
    """(session id or None, problem) — problem is '' when the entry is fine."""
    reg = regs.get(e.registration_id)
    if reg is None:
        return None, "no such registration in this event"
    if reg.status != "confirmed":
        return None, f"registration is {reg.status}"
    session_id = e.session_id
    if session_id is None:
        if len(ctx.sessions) != 1:
            return None, "session_id is required for a multi-session event"
        session_id = ctx.sessions[0].session_id
    s = ctx.session(session_id)
    if s is None:
        return None, "no such session in this event"
    if s.status == "cancelled":
        return session_id, "session is cancelled"
    if e.minutes * 60 > s.duration_seconds:
        return session_id, f"more minutes than the session lasts ({s.duration_seconds // 60})"
    return session_id, ""


def bulk_attendance(
    *,
    owner_id: str,
    event_id: str,
    entries: list[ManualEntry],
    dry_run: bool,
    meta: RequestMeta,
    deps: Deps,
) -> list[EntryOutcome]:
    """Set attended minutes by hand for (registration, session) pairs. A manual entry replaces the
    previous manual entry of that pair and adds to Zoom's segments (the union counts, never both).

    Dry run: Query event partition → BatchGetItem registrations (100 per call); nothing written,
    no throttle token. Real run: + TokenBucket, then per entry Query + TransactWriteItems (edges and
    audit), then one recompute per registration touched."""
    if len(entries) > BULK_ATTENDANCE_MAX:
        raise ValidationFailed.field("entries", f"at most {BULK_ATTENDANCE_MAX} entries per request")
    event, items = sessions_view.load_owned(owner_id, event_id)
    ctx = EventContext.of(event, items)
    if event.status in ("draft", "cancelled"):
        raise Conflict(
            f"The event is {event.status}; attendance cannot be recorded.", code="event_not_running"
        )
    regs = _registrations(list({e.registration_id for e in entries}))
    regs = {k: v for k, v in regs.items() if v.event_id == event_id and v.owner_id == owner_id}
    seen: set[tuple[str, str | None]] = set()
    checked: list[tuple[ManualEntry, str | None, str]] = []
    for i, e in enumerate(entries):
        session_id, problem = _check_entry(e, ctx, regs, i)
        if not problem and (e.registration_id, session_id) in seen:
            problem = "duplicate of an earlier entry"
        seen.add((e.registration_id, session_id))
        checked.append((e, session_id, problem))
    if dry_run:
        return [
            EntryOutcome(e.registration_id, sid, e.minutes, "skipped" if p else "would_update", p)
            for e, sid, p in checked
        ]
    now = deps.clock.now()
    take_bulk(owner_id, now, "attendance.bulk")
    log = audit.Auditor(owner_id, now, deps.ids, meta.ip)
    outcomes: list[EntryOutcome] = []
    touched: set[str] = set()
    for e, sid, problem in checked:
        if problem or sid is None:
            outcomes.append(EntryOutcome(e.registration_id, sid, e.minutes, "skipped", problem))
            continue
        session = ctx.session(sid)
        assert session is not None
        _replace_manual(e.registration_id, event_id, sid, session.starts_at, e.minutes, now, log)
        touched.add(e.registration_id)
        outcomes.append(EntryOutcome(e.registration_id, sid, e.minutes, "updated", ""))
    for registration_id in sorted(touched):
        recompute_registration(registration_id, now, ctx)
    if touched:
        deps.bus.publish(
            [
                DomainEvent(
                    "lectern.attendance.updated",
                    {"event_id": event_id, "owner_id": owner_id, "registration_ids": sorted(touched)},
                    occurred_at=now,
                    correlation_id=meta.correlation_id,
                )
            ]
        )
    return outcomes


def _registrations(ids: list[str]) -> dict[str, RegistrationItem]:
    found: dict[str, RegistrationItem] = {}
    for start in range(0, len(ids), 100):
        for item in RegistrationItem.batch_get([RegistrationItem.key(i) for i in ids[start : start + 100]]):
            found[item.registration_id] = item
    return found


def _replace_manual(
    registration_id: str,
    event_id: str,
    session_id: str,
    start: datetime,
    minutes: int,
    now: datetime,
    log: audit.Auditor,
) -> None:
    """Query the pair's edges → one TransactWriteItems: delete the old manual edges, put the new
    pair of edges, audit."""
    old = [e for e in edges_in(registration_id, session_id) if e.source == "manual"]
    new: list[AttendanceEdgeItem] = []
    if minutes > 0:
        for kind, at in (("joined", start), ("left", start + timedelta(minutes=minutes))):
            edge = AttendanceEdgeItem(
                "",
                AttendanceEdgeItem.sort_key(session_id, at, kind, MANUAL_DEVICE),
                event_id=event_id,
                session_id=session_id,
                kind=kind,
                at=at,
                device=MANUAL_DEVICE,
                source="manual",
                recorded_at=now,
            )
            new.append(file_under_registration(edge, registration_id))
    keep = {e.sk for e in new}
    with tx.write() as t:
        for e in old:
            if e.sk not in keep:
                t.delete(e)
        for e in new:
            t.save(e)
        t.save(
            log.entry(
                "lectern.attendance.manual_entry",
                "registration",
                registration_id,
                session_id=session_id,
                minutes=minutes,
            )
        )


def outcome_json(o: EntryOutcome) -> dict[str, Any]:
    return {
        "registration_id": o.registration_id,
        "session_id": o.session_id,
        "minutes": o.minutes,
        "status": o.status,
        "reason": o.reason,
    }
