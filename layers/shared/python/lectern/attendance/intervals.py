"""Attendance of one registration in one session, from its join/leave edges.

An edge is one observed `joined` or `left` of one Zoom connection (`device`) of a participant.
Webhooks arrive late, twice, out of order, or not at all, so the result is defined on the *set*
of edges, never on their arrival order:

1. Identical edges are one edge (a redelivered webhook changes nothing).
2. Each device is walked on its own, in time order (a join before a leave at the same instant):
   - a join opens an interval; a join while one is already open is ignored (the earliest wins);
   - a leave closes the open interval;
   - a leave with nothing open means its join was lost: the interval runs from the device's
     previous leave (or from the window start if it has none) — attendance we cannot see the
     start of still counts from the last point we know the participant was not yet there;
   - a join never closed stays open until `open_until` (the caller decides: the meeting's end
     once it ended, "now" while it is live).
3. The intervals of all devices are united — two devices or a rejoin never count twice — then
   clipped to the session's scheduled window; empty ones are dropped.

Pure: no clock, no storage.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

Interval = tuple[datetime, datetime]

_ONE_SECOND = timedelta(seconds=1)


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse(value: str) -> datetime:
    return _aware(datetime.fromisoformat(value), "timestamp")


@dataclass(frozen=True)
class Edge:
    kind: Literal["joined", "left"]
    at: datetime  # timezone-aware
    device: str  # pairs a join with its leave (one Zoom connection of a participant)

    def __post_init__(self) -> None:
        if self.kind not in ("joined", "left"):
            raise ValueError(f"edge kind must be 'joined' or 'left', not {self.kind!r}")
        # Normalised to UTC so equal instants are equal edges whatever offset they came with.
        object.__setattr__(self, "at", _aware(self.at, "Edge.at"))


@dataclass(frozen=True)
class SessionAttendance:
    seconds: int  # union of segments clipped to the window
    minutes: int  # seconds // 60
    first_join_at: datetime | None  # earliest join (raw, unclipped); None if no join
    last_leave_at: datetime | None  # latest leave (raw); None if no leave
    segments: tuple[Interval, ...]  # merged, clipped, sorted, non-overlapping

    def to_json(self) -> dict[str, Any]:
        return {
            "seconds": self.seconds,
            "minutes": self.minutes,
            "first_join_at": None if self.first_join_at is None else _iso(self.first_join_at),
            "last_leave_at": None if self.last_leave_at is None else _iso(self.last_leave_at),
            "segments": [[_iso(start), _iso(end)] for start, end in self.segments],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionAttendance:
        first, last = data.get("first_join_at"), data.get("last_leave_at")
        return cls(
            seconds=int(data["seconds"]),
            minutes=int(data["minutes"]),
            first_join_at=None if first is None else _parse(first),
            last_leave_at=None if last is None else _parse(last),
            segments=tuple((_parse(start), _parse(end)) for start, end in data.get("segments", [])),
        )


EMPTY = SessionAttendance(seconds=0, minutes=0, first_join_at=None, last_leave_at=None, segments=())


def merge(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """The union of intervals: sorted, non-overlapping, touching ones joined, empty ones
    (end <= start) dropped."""
    out: list[Interval] = []
    for start, end in sorted((s, e) for s, e in intervals if e > s):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return tuple(out)


def clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> tuple[Interval, ...]:
    """The union of intervals restricted to [start, end]."""
    return merge((max(s, start), min(e, end)) for s, e in intervals)


def total_seconds(intervals: Iterable[Interval]) -> int:
    """Whole seconds covered by already merged (non-overlapping) intervals."""
    return sum((e - s for s, e in intervals), timedelta()) // _ONE_SECOND


def _device_intervals(edges: Iterable[Edge], window_start: datetime, open_until: datetime) -> list[Interval]:
    out: list[Interval] = []
    open_at: datetime | None = None
    last_leave = window_start
    # Joins sort before leaves at the same instant, so a zero-length visit is (t, t), not a lost
    # join, and a same-instant rejoin is one continuous presence.
    for edge in sorted(edges, key=lambda e: (e.at, e.kind != "joined")):
        if edge.kind == "joined":
            if open_at is None:
                open_at = edge.at
            continue
        out.append((open_at if open_at is not None else last_leave, edge.at))
        open_at = None
        last_leave = edge.at
    if open_at is not None:
        out.append((open_at, open_until))
    return out


def attendance_from_edges(
    edges: Iterable[Edge],
    window_start: datetime,
    window_end: datetime,
    *,
    open_until: datetime,
) -> SessionAttendance:
    """Attendance within [window_start, window_end] from a set of edges (see the module doc).

    Order-independent and duplicate-insensitive by construction: edges are deduplicated and
    each device's are sorted before anything looks at them."""
    window_start = _aware(window_start, "window_start")
    window_end = _aware(window_end, "window_end")
    open_until = _aware(open_until, "open_until")
    by_device: dict[str, set[Edge]] = defaultdict(set)
    for edge in edges:
        by_device[edge.device].add(edge)
    if not by_device:
        return EMPTY
    raw: list[Interval] = []
    for device_edges in by_device.values():
        raw.extend(_device_intervals(device_edges, window_start, open_until))
    segments = clip(raw, window_start, window_end)
    seconds = total_seconds(segments)
    every = [e for es in by_device.values() for e in es]
    joins = [e.at for e in every if e.kind == "joined"]
    leaves = [e.at for e in every if e.kind == "left"]
    return SessionAttendance(
        seconds=seconds,
        minutes=seconds // 60,
        first_join_at=min(joins) if joins else None,
        last_leave_at=max(leaves) if leaves else None,
        segments=segments,
    )
