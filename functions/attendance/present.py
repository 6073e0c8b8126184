"""Stored attendance → response models (shared by the attendance routes)."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from lectern.attendance.eligibility import SessionInput, evaluate
from lectern.attendance.recompute import EventContext, effective
from lectern.data.attendance import UnmatchedParticipantItem
from lectern.data.registrations import RegistrationItem

from functions.attendance.schemas import (
    AttendanceOut,
    OverrideOut,
    Segment,
    SessionAttendanceOut,
    UnmatchedOut,
)


def _dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _stored(reg: RegistrationItem) -> dict[str, Any]:
    value = reg.session_attendance or {}
    return value.as_dict() if hasattr(value, "as_dict") else dict(value)


def rule_sentence(ctx: EventContext) -> str:
    e = ctx.event
    pct = Decimal(str(e.minimum_attendance_percent or 0)).normalize()
    if not e.is_multi_session:
        return f"Attend at least {pct:f}% of the scheduled time."
    counted = [s for s in ctx.sessions if s.status != "cancelled"]
    each = f"each for at least {pct:f}% of its scheduled time"
    if e.completion_type == "percentage":
        total = e.minimum_attendance_percent_total
        total_pct = Decimal(str(total if total is not None else pct)).normalize()
        return f"Attend at least {total_pct:f}% of the scheduled time of all {len(counted)} sessions."
    if e.completion_type == "all_required":
        required = [s for s in counted if s.required] or counted
        return f"Attend all {len(required)} required sessions, {each}."
    needed = e.minimum_sessions_required
    n = len(counted) if needed is None else min(int(needed), len(counted))
    return f"Attend at least {n} of {len(counted)} sessions, {each}."


def attendance_out(reg: RegistrationItem, ctx: EventContext) -> AttendanceOut:
    stored = _stored(reg)
    sessions: list[SessionAttendanceOut] = []
    inputs: list[SessionInput] = []
    for s in ctx.sessions:
        got = stored.get(s.session_id) or {}
        seconds = int(got.get("seconds") or 0)
        inputs.append(
            SessionInput(
                session_id=s.session_id,
                title=s.title,
                duration_seconds=s.duration_seconds,
                status=s.status,
                required=s.required,
                attended_seconds=seconds,
            )
        )
        sessions.append(
            SessionAttendanceOut(
                session_id=s.session_id,
                title=s.title,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                status=s.status,
                required=s.required,
                scheduled_minutes=s.duration_seconds // 60,
                attended_minutes=seconds // 60,
                attended=bool(got.get("attended")),
                first_join_at=_dt(got.get("first_join_at")),
                last_leave_at=_dt(got.get("last_leave_at")),
                segments=[
                    Segment(start=datetime.fromisoformat(a), end=datetime.fromisoformat(b))
                    for a, b in (got.get("segments") or [])
                ],
            )
        )
    verdict = evaluate(ctx.rule(), inputs)
    eligible, explanation = effective(reg)
    override = None
    if reg.attendance_override is not None:
        override = OverrideOut(
            eligible=bool(reg.attendance_override),
            reason=reg.attendance_override_reason or "",
            by=reg.attendance_override_by or "",
            at=reg.attendance_override_at,
        )
    return AttendanceOut(
        registration=reg.registration_id,
        email=reg.email,
        full_name=reg.full_name,
        status=reg.status,
        total_attendance_minutes=int(reg.total_attendance_minutes or 0),
        attendance_percent=float(reg.attendance_percent or 0),
        sessions_attended=int(reg.sessions_attended or 0),
        sessions_counted=verdict.sessions_counted,
        first_join_at=reg.first_join_at,
        last_leave_at=reg.last_leave_at,
        computed_eligible=bool(reg.attendance_eligible),
        eligible=eligible,
        explanation=explanation,
        override=override,
        sessions=sessions,
    )


def unmatched_out(u: UnmatchedParticipantItem) -> UnmatchedOut:
    return UnmatchedOut(
        uuid=u.participant_key,
        name=u.name or "",
        email=u.email or "",
        sessions=sorted(u.session_ids or []),
        first_seen_at=u.first_seen_at,
        last_seen_at=u.last_seen_at,
        observations=int(u.edge_count or 0),
        assigned_registration=u.assigned_registration_id,
        assigned_by=u.assigned_by,
        assigned_at=u.assigned_at,
    )
