"""Eligibility of one registration under its event's completion rule (PRODUCT.md §4, H2, H3).

Inputs are the event's rule and the registration's attended seconds per session; the output
says whether the registration is eligible, against which explicit denominator, and why — in
one sentence a person can read.

- Cancelled sessions never count.
- A single-session event needs `minimum_attendance_percent` of its scheduled duration.
- In a multi-session event a session counts as *attended* when the registration was there for
  at least `minimum_attendance_percent` of that session. Then, by `completion_type`:
  - `minimum_sessions`: attended ≥ `minimum_sessions_required` of all scheduled (not cancelled)
    sessions; no minimum, or one larger than there are sessions, means all of them;
  - `percentage`: total attended time ≥ `minimum_attendance_percent_total` (falling back to
    `minimum_attendance_percent`) of the total scheduled time;
  - `all_required`: every required session attended; when no (non-cancelled) session is marked
    required, every scheduled session is.
- Eligibility always needs some attendance: a threshold of 0 still needs a second of presence.
- Comparisons are exact (integers and Decimal): exactly 80% passes an 80% threshold.
- `percent` is the attended share of the denominator's scheduled time, rounded *down* to 2 dp,
  so for thresholds of up to 2 dp the shown percent is ≥ the threshold exactly when the
  threshold is met.

Pure: no clock, no storage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal

STATUSES = frozenset({"scheduled", "live", "completed", "cancelled"})
COMPLETION_TYPES = frozenset({"minimum_sessions", "percentage", "all_required"})

_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class SessionInput:
    session_id: str
    title: str
    duration_seconds: int
    status: str  # scheduled | live | completed | cancelled
    required: bool
    attended_seconds: int


@dataclass(frozen=True)
class Rule:
    is_multi_session: bool
    # Single-session threshold; for multi-session, the per-session "attended" threshold.
    minimum_attendance_percent: Decimal | float
    completion_type: str  # minimum_sessions | percentage | all_required
    minimum_sessions_required: int | None = None
    minimum_attendance_percent_total: Decimal | float | None = None


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    percent: Decimal  # 2 dp (rounded down), of the denominator's scheduled time
    sessions_attended: int  # attended sessions among the counted ones
    sessions_counted: int  # the denominator
    final: bool  # every counted session is completed (otherwise the result is "so far")
    explanation: str  # one sentence a person can read
    attended_session_ids: tuple[str, ...]  # every non-cancelled session attended, in input order


# ---------------------------------------------------------------------------------------------
# Numbers and how they read


def _dec(value: Decimal | float | int) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _needed_seconds(duration: int, percent: Decimal) -> int:
    """The least whole number of seconds that is ≥ percent% of duration, and at least 1."""
    exact = Decimal(duration) * percent / _HUNDRED
    return max(1, int(exact.to_integral_value(rounding=ROUND_CEILING)))


def _share(attended: int, scheduled: int) -> Decimal:
    if scheduled <= 0:
        return Decimal("0.00")
    return (Decimal(attended) * _HUNDRED / Decimal(scheduled)).quantize(_CENT, rounding=ROUND_DOWN)


def _num(value: Decimal) -> str:
    """80.00 → "80", 87.50 → "87.5"."""
    return f"{value.normalize():f}"


def _pct_text(attended: int, scheduled: int, threshold: Decimal, met: bool) -> str:
    """The attended share as a whole percent, unless rounding would contradict the verdict
    (79.6% shown as "80%" next to "needs 80%"): then to 2 dp, rounded down."""
    if scheduled <= 0:
        return "0"
    exact = Decimal(attended) * _HUNDRED / Decimal(scheduled)
    whole = exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if (whole >= threshold) == met:
        return _num(whole)
    return _num(exact.quantize(_CENT, rounding=ROUND_DOWN))


def _minutes_pair(attended: int, needed: int, met: bool) -> tuple[int, int]:
    """Whole minutes for "attended X …; needs Y min" that never contradict the verdict:
    attended rounds down; needed rounds up when not met, down when met."""
    attended_min = attended // 60
    needed_min = needed // 60 if met else -(-needed // 60)
    return attended_min, needed_min


def _duration(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if rest == 0:
        return f"{minutes} min"
    if minutes == 0:
        return f"{rest} s"
    return f"{minutes} min {rest} s"


def _capped(s: SessionInput) -> int:
    return min(max(0, s.attended_seconds), max(0, s.duration_seconds))


def _attended(s: SessionInput, percent: Decimal) -> bool:
    return max(0, s.attended_seconds) >= _needed_seconds(max(0, s.duration_seconds), percent)


def _still_to_come(counted: Sequence[SessionInput]) -> int:
    return sum(1 for s in counted if s.status != "completed")


# ---------------------------------------------------------------------------------------------
# The rules


def _nothing_to_attend(sessions: Sequence[SessionInput]) -> Eligibility:
    if not sessions:
        why = "the event has no sessions"
    elif len(sessions) == 1:
        why = "its only session is cancelled"
    else:
        why = f"all {len(sessions)} of its sessions are cancelled"
    return Eligibility(
        eligible=False,
        percent=Decimal("0.00"),
        sessions_attended=0,
        sessions_counted=0,
        final=True,
        explanation=f"There is nothing to attend: {why}.",
        attended_session_ids=(),
    )


def _result(
    met: bool,
    denominator: Sequence[SessionInput],
    attended: tuple[str, ...],
    explanation: str,
) -> Eligibility:
    ids = set(attended)
    return Eligibility(
        eligible=met,
        percent=_share(
            sum(_capped(s) for s in denominator), sum(max(0, s.duration_seconds) for s in denominator)
        ),
        sessions_attended=sum(1 for s in denominator if s.session_id in ids),
        sessions_counted=len(denominator),
        final=_still_to_come(denominator) == 0,
        explanation=explanation,
        attended_session_ids=attended,
    )


def _by_time(
    threshold: Decimal,
    counted: Sequence[SessionInput],
    attended_ids: tuple[str, ...],
    *,
    single: bool,
) -> Eligibility:
    """Attended time against `threshold` percent of the scheduled time of `counted`."""
    scheduled = sum(max(0, s.duration_seconds) for s in counted)
    attended = sum(_capped(s) for s in counted)
    needed = _needed_seconds(scheduled, threshold)
    met = attended >= needed
    attended_min, needed_min = _minutes_pair(attended, needed, met)
    if single:
        scope, so_far, pending = f"{scheduled // 60} minutes", "", ""
        if _still_to_come(counted):
            so_far = " so far"
    else:
        scope = f"the {scheduled // 60} minutes of {_sessions_word(len(counted), 'scheduled')}"
        so_far, pending = "", _pending_note(counted)
    explanation = (
        f"Attended {attended_min} of {scope} ({_pct_text(attended, scheduled, threshold, met)}%){so_far}; "
        f"needs {_num(threshold)}% ({needed_min} min){pending}."
    )
    return _result(met, counted, attended_ids, explanation)


def _per_session_threshold(counted: Sequence[SessionInput], percent: Decimal) -> str:
    """The per-session bar: in minutes when the sessions share a duration ("≥ 45 min"), as a
    percent otherwise ("≥ 75% of each")."""
    durations = {max(0, s.duration_seconds) for s in counted}
    if len(durations) == 1:
        return f"≥ {_duration(_needed_seconds(durations.pop(), percent))}"
    return f"≥ {_num(percent)}% of each"


def _pending_note(counted: Sequence[SessionInput]) -> str:
    pending = _still_to_come(counted)
    if pending == 0:
        return ""
    verb = "is" if pending == 1 else "are"
    return f"; {pending} of the sessions {verb} not yet completed"


def _sessions_word(n: int, kind: str) -> str:
    return f"{n} {kind} {'session' if n == 1 else 'sessions'}"


def _by_sessions(
    rule: Rule,
    denominator: Sequence[SessionInput],
    kind: str,
    attended_ids: tuple[str, ...],
    needed: int,
    needs_text: str,
) -> Eligibility:
    ids = set(attended_ids)
    attended = sum(1 for s in denominator if s.session_id in ids)
    threshold = _per_session_threshold(denominator, _dec(rule.minimum_attendance_percent))
    explanation = (
        f"Attended {attended} of {_sessions_word(len(denominator), kind)} for {threshold}; "
        f"needs {needs_text}{_pending_note(denominator)}."
    )
    return _result(attended >= needed, denominator, attended_ids, explanation)


def _minimum_sessions(
    rule: Rule, counted: Sequence[SessionInput], attended_ids: tuple[str, ...]
) -> Eligibility:
    total = len(counted)
    minimum = rule.minimum_sessions_required
    if minimum is None:
        return _by_sessions(
            rule, counted, "scheduled", attended_ids, total, f"all {total} (no minimum is set)"
        )
    if minimum > total:
        why = f"the minimum of {minimum} is more than the {total} scheduled"
        return _by_sessions(rule, counted, "scheduled", attended_ids, total, f"all {total} ({why})")
    needed = max(1, minimum)
    return _by_sessions(rule, counted, "scheduled", attended_ids, needed, str(needed))


def _all_required(
    rule: Rule,
    sessions: Sequence[SessionInput],
    counted: Sequence[SessionInput],
    attended_ids: tuple[str, ...],
) -> Eligibility:
    required = [s for s in counted if s.required]
    if required:
        denominator = required
        base = _by_sessions(rule, required, "required", attended_ids, len(required), f"all {len(required)}")
    else:
        denominator = list(counted)
        if any(s.required and s.status == "cancelled" for s in sessions):
            why = "the required sessions are cancelled"
        else:
            why = "no session is marked required"
        needs = f"all {len(counted)} ({why}, so all scheduled sessions count)"
        base = _by_sessions(rule, counted, "scheduled", attended_ids, len(counted), needs)
    # Name the few sessions already missed (one still to come may yet be attended).
    missed = [s.title for s in denominator if s.status == "completed" and s.session_id not in attended_ids]
    if not missed or len(missed) > 3:
        return base
    listed = ", ".join(f"“{title}”" for title in missed)
    return replace(base, explanation=f"{base.explanation[:-1]}; missed {listed}.")


def _percentage(rule: Rule, counted: Sequence[SessionInput], attended_ids: tuple[str, ...]) -> Eligibility:
    total = rule.minimum_attendance_percent_total
    threshold = _dec(rule.minimum_attendance_percent if total is None else total)
    return _by_time(threshold, counted, attended_ids, single=False)


def evaluate(rule: Rule, sessions: Sequence[SessionInput]) -> Eligibility:
    """Whether a registration with these per-session results is eligible under the rule.

    `attended_session_ids` lists every non-cancelled session the registration attended (met
    `minimum_attendance_percent` of), in input order — also sessions outside the denominator, so
    it can flag each session; `sessions_attended` counts those inside the denominator."""
    for s in sessions:
        if s.status not in STATUSES:
            raise ValueError(f"unknown session status {s.status!r}")
    if rule.is_multi_session and rule.completion_type not in COMPLETION_TYPES:
        raise ValueError(f"unknown completion_type {rule.completion_type!r}")
    counted = [s for s in sessions if s.status != "cancelled"]
    if not counted:
        return _nothing_to_attend(sessions)
    per_session = _dec(rule.minimum_attendance_percent)
    attended_ids = tuple(s.session_id for s in counted if _attended(s, per_session))
    if not rule.is_multi_session:
        return _by_time(per_session, counted, attended_ids, single=True)
    if rule.completion_type == "minimum_sessions":
        return _minimum_sessions(rule, counted, attended_ids)
    if rule.completion_type == "percentage":
        return _percentage(rule, counted, attended_ids)
    return _all_required(rule, sessions, counted, attended_ids)


def with_override(e: Eligibility, override: bool | None, reason: str | None) -> tuple[bool, str]:
    """The effective verdict and its sentence: an organiser's override wins and says so, and the
    computed result stays visible next to it."""
    if override is None:
        return e.eligible, e.explanation
    verdict = "Eligible" if override else "Not eligible"
    because = f" ({reason.strip()})" if reason and reason.strip() else ""
    computed = "eligible" if e.eligible else "not eligible"
    sentence = e.explanation[:1].lower() + e.explanation[1:]
    return override, f"{verdict} by organiser override{because}; computed: {computed} — {sentence}"
