"""Attendance and eligibility of a registration, recomputed from its edges.

Whatever arrives — a webhook, a redelivery, a manual entry, an assignment, a session completing,
a rule changing — the registration's attendance is recomputed from the *full* set of its edges
and the event's current sessions and rule. So the result never depends on arrival order or on
duplicates, and there is one code path for single- and multi-session events.

The result is written to the Registration item with a condition on `attendance_version`: a
recompute that read an older state loses and runs again, so a stale result never wins. An
unchanged result is not written at all (a duplicate webhook costs no write).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from lectern.attendance.eligibility import Eligibility, Rule, SessionInput, evaluate
from lectern.attendance.intervals import Edge, SessionAttendance, attendance_from_edges
from lectern.data.attendance import AttendanceEdgeItem
from lectern.data.base import TableItem
from lectern.data.events import EventItem
from lectern.data.registrations import RegistrationItem
from lectern.data.sessions import EventSessionItem
from lectern.events import sessions_view
from lectern.events.sessions_view import SessionView

_ATTEMPTS = 8


@dataclass(frozen=True)
class EventContext:
    """An event's rule and sessions, read once (one Query) and shared by many recomputes."""

    event: EventItem
    sessions: tuple[SessionView, ...]

    @classmethod
    def load(cls, event_id: str) -> EventContext:
        event, items = sessions_view.load(event_id)
        return cls.of(event, items)

    @classmethod
    def of(cls, event: EventItem, items: Iterable[EventSessionItem]) -> EventContext:
        return cls(event, tuple(sessions_view.sessions_of(event, items)))

    def session(self, session_id: str) -> SessionView | None:
        for s in self.sessions:
            if s.session_id == session_id:
                return s
        return None

    def rule(self) -> Rule:
        e = self.event
        return Rule(
            is_multi_session=bool(e.is_multi_session),
            minimum_attendance_percent=Decimal(str(e.minimum_attendance_percent or 0)),
            completion_type=e.completion_type or "minimum_sessions",
            minimum_sessions_required=(
                int(e.minimum_sessions_required) if e.minimum_sessions_required is not None else None
            ),
            minimum_attendance_percent_total=(
                Decimal(str(e.minimum_attendance_percent_total))
                if e.minimum_attendance_percent_total is not None
                else None
            ),
        )


@dataclass(frozen=True)
class Result:
    """What a recompute writes on the registration (compared with what is stored)."""

    session_attendance: dict[str, Any]
    total_attendance_minutes: int
    first_join_at: datetime | None
    last_leave_at: datetime | None
    attendance_percent: Decimal
    sessions_attended: int
    attendance_eligible: bool
    attendance_explanation: str

    def differs_from(self, reg: RegistrationItem) -> bool:
        return (
            _plain(reg.session_attendance or {}) != _plain(self.session_attendance)
            or int(reg.total_attendance_minutes or 0) != self.total_attendance_minutes
            or reg.first_join_at != self.first_join_at
            or reg.last_leave_at != self.last_leave_at
            or float(reg.attendance_percent or 0) != float(self.attendance_percent)
            or int(reg.sessions_attended or 0) != self.sessions_attended
            or reg.attendance_eligible != self.attendance_eligible
            or (reg.attendance_explanation or "") != self.attendance_explanation
        )


def _plain(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, sort_keys=True, default=str))


def edge_of(item: AttendanceEdgeItem) -> Edge:
    return Edge(kind=item.kind, at=item.at, device=item.device)  # type: ignore[arg-type]


def compute(
    ctx: EventContext, edges: Iterable[AttendanceEdgeItem], now: datetime
) -> tuple[Result, Eligibility]:
    by_session: dict[str, list[Edge]] = defaultdict(list)
    for e in edges:
        by_session[e.session_id].append(edge_of(e))
    per_session: dict[str, SessionAttendance] = {}
    inputs: list[SessionInput] = []
    for s in ctx.sessions:
        open_until = s.completed_at if s.status == "completed" and s.completed_at else now
        att = attendance_from_edges(
            by_session.get(s.session_id, ()), s.starts_at, s.ends_at, open_until=open_until
        )
        per_session[s.session_id] = att
        inputs.append(
            SessionInput(
                session_id=s.session_id,
                title=s.title,
                duration_seconds=s.duration_seconds,
                status=s.status,
                required=s.required,
                attended_seconds=att.seconds,
            )
        )
    verdict = evaluate(ctx.rule(), inputs)
    attended = set(verdict.attended_session_ids)
    joins = [a.first_join_at for a in per_session.values() if a.first_join_at]
    leaves = [a.last_leave_at for a in per_session.values() if a.last_leave_at]
    result = Result(
        session_attendance={
            sid: {**att.to_json(), "attended": sid in attended}
            for sid, att in per_session.items()
            if _seen(att)
        },
        total_attendance_minutes=sum(a.seconds for a in per_session.values()) // 60,
        first_join_at=min(joins) if joins else None,
        last_leave_at=max(leaves) if leaves else None,
        attendance_percent=Decimal(verdict.percent),
        sessions_attended=verdict.sessions_attended,
        attendance_eligible=verdict.eligible,
        attendance_explanation=verdict.explanation,
    )
    return result, verdict


def _seen(att: SessionAttendance) -> bool:
    return att.first_join_at is not None or att.last_leave_at is not None or att.seconds > 0


def _write(reg: RegistrationItem, result: Result) -> None:
    """Conditional on the version read: raises UpdateError (ConditionalCheckFailed) if it moved."""
    actions: list[Action] = [
        RegistrationItem.session_attendance.set(result.session_attendance),
        RegistrationItem.total_attendance_minutes.set(result.total_attendance_minutes),
        RegistrationItem.attendance_percent.set(float(result.attendance_percent)),
        RegistrationItem.sessions_attended.set(result.sessions_attended),
        RegistrationItem.attendance_eligible.set(result.attendance_eligible),
        RegistrationItem.attendance_explanation.set(result.attendance_explanation),
        RegistrationItem.attendance_version.set(int(reg.attendance_version or 0) + 1),
        (
            RegistrationItem.first_join_at.set(result.first_join_at)
            if result.first_join_at
            else RegistrationItem.first_join_at.remove()
        ),
        (
            RegistrationItem.last_leave_at.set(result.last_leave_at)
            if result.last_leave_at
            else RegistrationItem.last_leave_at.remove()
        ),
    ]
    version = int(reg.attendance_version or 0)
    same_version = RegistrationItem.attendance_version == version
    if version == 0:  # never recomputed: the attribute may be absent
        same_version = same_version | RegistrationItem.attendance_version.does_not_exist()
    condition = RegistrationItem.pk.exists() & same_version
    reg.update(actions=actions, condition=condition)


def _conditional_failure(exc: UpdateError) -> bool:
    return getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException"


def _read_partition(registration_id: str) -> tuple[RegistrationItem | None, list[AttendanceEdgeItem]]:
    reg: RegistrationItem | None = None
    edges: list[AttendanceEdgeItem] = []
    for item in TableItem.query(AttendanceEdgeItem.registration_pk(registration_id), consistent_read=True):
        if isinstance(item, RegistrationItem):
            reg = item
        elif isinstance(item, AttendanceEdgeItem):
            edges.append(item)
    return reg, edges


def recompute_registration(
    registration_id: str, now: datetime, ctx: EventContext | None = None
) -> RegistrationItem | None:
    """Recompute one registration (one Query of its partition [+ one Query of its event] [+ one
    conditional UpdateItem when the result changed]); retried when a concurrent recompute wins."""
    for _ in range(_ATTEMPTS):
        reg, edges = _read_partition(registration_id)
        if reg is None:
            return None
        if ctx is None or ctx.event.event_id != reg.event_id:
            ctx = EventContext.load(reg.event_id)
        result, _verdict = compute(ctx, edges, now)
        if not result.differs_from(reg):
            return reg
        try:
            _write(reg, result)
            return reg
        except UpdateError as exc:
            if not _conditional_failure(exc):
                raise
            ctx = None  # what moved may be the event (a session completed): read it again
    raise RuntimeError(f"attendance of registration {registration_id} kept changing; retry later")


def registrations_of(event_id: str) -> list[RegistrationItem]:
    pk, _ = RegistrationItem.event_index(event_id, "")
    return [r for r in TableItem.gsi1.query(pk) if isinstance(r, RegistrationItem)]


def matched_edges_of(event_id: str) -> dict[str, list[AttendanceEdgeItem]]:
    pk, _ = AttendanceEdgeItem.event_index(event_id, "", "")
    grouped: dict[str, list[AttendanceEdgeItem]] = defaultdict(list)
    for item in TableItem.gsi1.query(pk):
        if isinstance(item, AttendanceEdgeItem) and item.registration_id:
            grouped[item.registration_id].append(item)
    return grouped


def recompute_event(event_id: str, now: datetime, ctx: EventContext | None = None) -> int:
    """Recompute every registration of an event: Query pages of its registrations and of its
    edges (GSI1), then one conditional UpdateItem per registration whose result changed.
    Returns how many changed. (Index reads are eventually consistent: a registration whose write
    loses its condition is recomputed from its own partition with a consistent read.)"""
    ctx = ctx or EventContext.load(event_id)
    edges = matched_edges_of(event_id)
    changed = 0
    for reg in registrations_of(event_id):
        result, _ = compute(ctx, edges.get(reg.registration_id, ()), now)
        if not result.differs_from(reg):
            continue
        try:
            _write(reg, result)
        except UpdateError as exc:
            if not _conditional_failure(exc):
                raise
            recompute_registration(reg.registration_id, now, ctx)
        changed += 1
    return changed


def effective(reg: RegistrationItem) -> tuple[bool, str]:
    """Eligibility as certificates see it: the organiser's override wins, and says so."""
    from lectern.attendance.eligibility import with_override

    if reg.attendance_override is None:
        return bool(reg.attendance_eligible), reg.attendance_explanation or "No attendance recorded yet."
    verdict = _stored_verdict(reg)
    return with_override(verdict, reg.attendance_override, reg.attendance_override_reason)


def _stored_verdict(reg: RegistrationItem) -> Eligibility:
    return Eligibility(
        eligible=bool(reg.attendance_eligible),
        percent=Decimal(str(reg.attendance_percent or 0)),
        sessions_attended=int(reg.sessions_attended or 0),
        sessions_counted=0,
        final=False,
        explanation=reg.attendance_explanation or "No attendance recorded yet.",
        attended_session_ids=(),
    )


def edges_in(registration_id: str, session_id: str) -> Sequence[AttendanceEdgeItem]:
    pk = AttendanceEdgeItem.registration_pk(registration_id)
    return [
        e
        for e in AttendanceEdgeItem.query(
            pk, AttendanceEdgeItem.sk.startswith(f"EDGE#{session_id}#"), consistent_read=True
        )
    ]
