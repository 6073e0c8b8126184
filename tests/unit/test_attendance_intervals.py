"""Attendance from join/leave edges: union of a participant's connections, clipped to the window,
the same whatever order or how many times the edges arrive."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lectern.attendance.intervals import (
    Edge,
    SessionAttendance,
    attendance_from_edges,
    clip,
    merge,
    total_seconds,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
START, END = T0, T0 + timedelta(hours=1)
bounded = settings(max_examples=200, deadline=None)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def j(minutes: float, device: str = "d1") -> Edge:
    return Edge("joined", at(minutes), device)


def lv(minutes: float, device: str = "d1") -> Edge:
    return Edge("left", at(minutes), device)


def att(edges, start=START, end=END, open_until=None) -> SessionAttendance:
    return attendance_from_edges(edges, start, end, open_until=open_until or END)


# ---------------------------------------------------------------------------------------------
# Examples


def test_one_visit_counts_its_minutes():
    # Given a join at 10:05 and a leave at 10:50
    result = att([j(5), lv(50)])
    # Then 45 minutes, one segment, raw first join / last leave
    assert (result.seconds, result.minutes) == (45 * 60, 45)
    assert result.segments == ((at(5), at(50)),)
    assert (result.first_join_at, result.last_leave_at) == (at(5), at(50))


def test_a_rejoin_counts_both_visits_and_not_the_gap():
    result = att([j(0), lv(20), j(30), lv(40)])
    assert result.minutes == 30
    assert result.segments == ((at(0), at(20)), (at(30), at(40)))


def test_a_rejoin_at_the_same_instant_is_one_continuous_visit():
    result = att([j(0), lv(20), j(20), lv(40)])
    assert result.segments == ((at(0), at(40)),)


def test_two_devices_overlapping_never_count_twice():
    # Given a laptop from 10:00 to 10:40 and a phone from 10:30 to 10:50
    result = att([j(0, "laptop"), lv(40, "laptop"), j(30, "phone"), lv(50, "phone")])
    # Then 50 minutes, not 60
    assert result.minutes == 50
    assert result.segments == ((at(0), at(50)),)


def test_a_leave_arriving_before_its_join_gives_the_same_result():
    assert att([lv(50), j(5)]) == att([j(5), lv(50)])


def test_a_lost_join_counts_from_the_window_start():
    # Given only a leave at 10:30 (its join never arrived)
    result = att([lv(30)])
    # Then the participant counts from the window start
    assert result.segments == ((at(0), at(30)),)
    assert (result.first_join_at, result.last_leave_at) == (None, at(30))


def test_a_lost_join_after_a_visit_counts_from_the_previous_leave():
    result = att([j(5), lv(10), lv(30)])
    assert result.segments == ((at(5), at(30)),)


def test_a_second_join_while_open_keeps_the_earliest():
    result = att([j(5), j(15), lv(30)])
    assert result.segments == ((at(5), at(30)),)
    assert result.first_join_at == at(5)


def test_a_join_never_closed_stays_open_until_open_until():
    # While live: open until "now"
    assert att([j(10)], open_until=at(25)).segments == ((at(10), at(25)),)
    # Once ended: until the meeting's end, clipped to the window
    assert att([j(10)], open_until=at(90)).segments == ((at(10), at(60)),)


def test_open_until_before_the_join_counts_nothing():
    result = att([j(30)], open_until=at(20))
    assert (result.seconds, result.segments, result.first_join_at) == (0, (), at(30))


def test_joins_before_the_window_start_are_clipped():
    # Joined at 09:50 (early), left at 10:10
    result = att([j(-10), lv(10)])
    assert result.segments == ((at(0), at(10)),)
    assert result.first_join_at == at(-10)  # raw, unclipped


def test_presence_after_the_window_end_is_clipped():
    result = att([j(50), lv(75)])
    assert result.segments == ((at(50), at(60)),)
    assert result.last_leave_at == at(75)


def test_a_visit_wholly_outside_the_window_counts_nothing():
    result = att([j(-30), lv(-5), j(65), lv(80)])
    assert (result.seconds, result.segments) == (0, ())
    assert (result.first_join_at, result.last_leave_at) == (at(-30), at(80))


def test_a_zero_length_visit_counts_nothing():
    result = att([j(10), lv(10)])
    assert (result.seconds, result.segments) == (0, ())
    assert (result.first_join_at, result.last_leave_at) == (at(10), at(10))


def test_a_zero_length_window_counts_nothing():
    result = att([j(0), lv(30)], start=at(10), end=at(10))
    assert (result.seconds, result.segments) == (0, ())


def test_no_edges_is_nothing():
    result = att([])
    assert result == SessionAttendance(0, 0, None, None, ())


def test_minutes_round_down():
    result = att([Edge("joined", at(0), "d"), Edge("left", at(10) + timedelta(seconds=59), "d")])
    assert (result.seconds, result.minutes) == (659, 10)


def test_offsets_are_normalised_to_utc():
    plus_two = timezone(timedelta(hours=2))
    result = att([Edge("joined", at(5).astimezone(plus_two), "d"), lv(10, "d")])
    assert result.segments == ((at(5), at(10)),)
    assert result.first_join_at is not None and result.first_join_at.tzinfo == UTC
    # The same instant with another offset is the same edge
    assert Edge("left", at(10).astimezone(plus_two), "d") == lv(10, "d")


def test_naive_times_and_unknown_kinds_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        Edge("joined", datetime(2026, 3, 2, 10, 0), "d")
    with pytest.raises(ValueError, match="kind"):
        Edge("arrived", T0, "d")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="window_start"):
        attendance_from_edges([], datetime(2026, 3, 2), END, open_until=END)


def test_json_round_trips():
    result = att([j(-10, "a"), lv(20, "a"), j(30, "b")], open_until=at(45))
    data = result.to_json()
    assert data == {
        "seconds": 35 * 60,
        "minutes": 35,
        "first_join_at": "2026-03-02T09:50:00Z",
        "last_leave_at": "2026-03-02T10:20:00Z",
        "segments": [
            ["2026-03-02T10:00:00Z", "2026-03-02T10:20:00Z"],
            ["2026-03-02T10:30:00Z", "2026-03-02T10:45:00Z"],
        ],
    }
    assert SessionAttendance.from_json(data) == result
    assert SessionAttendance.from_json(att([]).to_json()) == att([])


def test_merge_joins_overlapping_and_touching_and_drops_empty():
    merged = merge([(at(30), at(40)), (at(0), at(10)), (at(10), at(20)), (at(5), at(5)), (at(35), at(38))])
    assert merged == ((at(0), at(20)), (at(30), at(40)))
    assert clip(merged, at(15), at(35)) == ((at(15), at(20)), (at(30), at(35)))
    assert total_seconds(merged) == 30 * 60


# ---------------------------------------------------------------------------------------------
# Properties

DEVICES = ["laptop", "phone", "tablet", "kiosk"]
seconds_ = st.integers(min_value=-1800, max_value=6000)


def _edge(kind: str, second: int, device: str) -> Edge:
    return Edge(kind, T0 + timedelta(seconds=second), device)  # type: ignore[arg-type]


# Anything at all: joins and leaves in any combination, lost edges, odd devices.
any_edges = st.lists(
    st.builds(_edge, st.sampled_from(["joined", "left"]), seconds_, st.sampled_from(DEVICES)),
    max_size=14,
)
windows = st.tuples(seconds_, seconds_).map(
    lambda p: (T0 + timedelta(seconds=min(p)), T0 + timedelta(seconds=max(p)))
)
open_untils = seconds_.map(lambda s: T0 + timedelta(seconds=s))


@st.composite
def well_formed(draw):
    """Per device, non-overlapping visits in time order (the last may still be open), and the raw
    intervals they stand for."""
    edges: list[Edge] = []
    raw: list[tuple[int, int | None]] = []
    for device in draw(st.lists(st.sampled_from(DEVICES), unique=True, max_size=4)):
        points = sorted(draw(st.sets(seconds_, max_size=8)))
        for i in range(0, len(points), 2):
            edges.append(_edge("joined", points[i], device))
            if i + 1 < len(points):
                edges.append(_edge("left", points[i + 1], device))
                raw.append((points[i], points[i + 1]))
            else:
                raw.append((points[i], None))
    return edges, raw


def _compute(edges, window, open_until):
    return attendance_from_edges(edges, window[0], window[1], open_until=open_until)


@bounded
@given(any_edges, windows, open_untils, st.randoms(use_true_random=False))
def test_shuffling_edges_never_changes_the_result(edges, window, open_until, rnd):
    shuffled = list(edges)
    rnd.shuffle(shuffled)
    assert _compute(shuffled, window, open_until) == _compute(edges, window, open_until)


@bounded
@given(any_edges, windows, open_untils, st.data())
def test_duplicating_edges_never_changes_the_result(edges, window, open_until, data):
    again = data.draw(st.lists(st.sampled_from(edges), max_size=10)) if edges else []
    position = data.draw(st.permutations(edges + again))
    assert _compute(position, window, open_until) == _compute(edges, window, open_until)


@bounded
@given(any_edges, windows, open_untils)
def test_seconds_never_exceed_the_window_and_segments_are_canonical(edges, window, open_until):
    result = _compute(edges, window, open_until)
    assert 0 <= result.seconds <= (window[1] - window[0]).total_seconds()
    assert result.minutes == result.seconds // 60
    assert result.seconds == total_seconds(result.segments)
    for start, end in result.segments:
        assert window[0] <= start < end <= window[1]
    for (_, end), (start, _) in zip(result.segments, result.segments[1:], strict=False):
        assert end < start  # sorted, disjoint, not even touching


@bounded
@given(well_formed(), windows, open_untils)
def test_seconds_are_the_union_of_the_raw_visits_and_never_their_sum(case, window, open_until):
    edges, raw = case
    result = _compute(edges, window, open_until)
    intervals = [
        (T0 + timedelta(seconds=a), T0 + timedelta(seconds=b) if b is not None else open_until)
        for a, b in raw
    ]
    raw_sum = sum(max(0.0, (e - s).total_seconds()) for s, e in intervals)
    assert result.seconds <= raw_sum
    assert result.segments == clip(intervals, *window)


@bounded
@given(any_edges, windows, open_untils, seconds_, seconds_)
def test_another_device_never_reduces_attendance(edges, window, open_until, a, b):
    before = _compute(edges, window, open_until)
    more = [*edges, _edge("joined", min(a, b), "new-device"), _edge("left", max(a, b), "new-device")]
    after = _compute(more, window, open_until)
    assert after.seconds >= before.seconds
    # Every moment counted before is still counted
    assert all(any(s <= bs and be <= e for s, e in after.segments) for bs, be in before.segments)


@bounded
@given(any_edges, windows, open_untils, st.permutations(DEVICES))
def test_device_names_do_not_matter(edges, window, open_until, renamed):
    names = dict(zip(DEVICES, [f"x-{n}" for n in renamed], strict=True))
    relabelled = [Edge(e.kind, e.at, names[e.device]) for e in edges]
    assert _compute(relabelled, window, open_until) == _compute(edges, window, open_until)


@bounded
@given(any_edges, windows, open_untils)
def test_first_join_and_last_leave_are_the_raw_extremes(edges, window, open_until):
    result = _compute(edges, window, open_until)
    joins = [e.at for e in edges if e.kind == "joined"]
    leaves = [e.at for e in edges if e.kind == "left"]
    assert result.first_join_at == (min(joins) if joins else None)
    assert result.last_leave_at == (max(leaves) if leaves else None)
    assert SessionAttendance.from_json(result.to_json()) == result
