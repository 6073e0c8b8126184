"""Eligibility under an event's completion rule: explicit denominators, exact boundaries, one
readable sentence, and the organiser's override winning visibly."""

import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lectern.attendance.eligibility import Rule, SessionInput, evaluate, with_override

HOUR = 3600
bounded = settings(max_examples=200, deadline=None)


def session(n: int, attended: int, *, duration=HOUR, status="completed", required=False) -> SessionInput:
    return SessionInput(f"s{n}", f"Day {n}", duration, status, required, attended)


def single(percent=80) -> Rule:
    return Rule(False, Decimal(percent), "minimum_sessions")


def multi(completion: str, per_session=75, minimum=None, total=None) -> Rule:
    return Rule(True, Decimal(per_session), completion, minimum, None if total is None else Decimal(total))


# ---------------------------------------------------------------------------------------------
# Single-session


def test_single_session_above_the_threshold_is_eligible():
    e = evaluate(single(80), [session(1, 52 * 60)])
    assert e.eligible and e.final
    assert (e.sessions_attended, e.sessions_counted, e.attended_session_ids) == (1, 1, ("s1",))
    assert e.percent == Decimal("86.66")  # rounded down: never shown above what was attended
    assert e.explanation == "Attended 52 of 60 minutes (87%); needs 80% (48 min)."


def test_single_session_exactly_at_the_threshold_passes():
    e = evaluate(single(80), [session(1, 48 * 60)])
    assert e.eligible and e.percent == Decimal("80.00")
    assert e.explanation == "Attended 48 of 60 minutes (80%); needs 80% (48 min)."


def test_single_session_one_second_short_fails_and_the_sentence_does_not_round_up():
    e = evaluate(single(80), [session(1, 48 * 60 - 1)])
    assert not e.eligible and e.attended_session_ids == () and e.sessions_attended == 0
    assert e.percent == Decimal("79.97")
    assert e.explanation == "Attended 47 of 60 minutes (79.97%); needs 80% (48 min)."


def test_single_session_threshold_from_a_float_is_exact():
    # 0.1-style float noise must not move the boundary: 70% of 30 min is exactly 21 min
    rule = Rule(False, 70.0, "minimum_sessions")
    assert evaluate(rule, [session(1, 21 * 60, duration=1800)]).eligible
    assert not evaluate(rule, [session(1, 21 * 60 - 1, duration=1800)]).eligible


def test_single_session_fractional_minutes_never_contradict_the_verdict():
    # 75% of 50 min = 37.5 min
    met = evaluate(single(75), [session(1, 2255, duration=3000)])
    short = evaluate(single(75), [session(1, 2245, duration=3000)])
    assert met.eligible and met.explanation == "Attended 37 of 50 minutes (75%); needs 75% (37 min)."
    assert not short.eligible
    assert short.explanation == "Attended 37 of 50 minutes (74.83%); needs 75% (38 min)."


def test_single_session_still_live_says_so_far():
    e = evaluate(single(80), [session(1, 20 * 60, status="live")])
    assert not e.eligible and not e.final
    assert e.explanation == "Attended 20 of 60 minutes (33%) so far; needs 80% (48 min)."


def test_attendance_beyond_the_duration_is_capped():
    e = evaluate(single(80), [session(1, 2 * HOUR)])
    assert e.eligible and e.percent == Decimal("100.00")
    assert e.explanation == "Attended 60 of 60 minutes (100%); needs 80% (48 min)."


def test_a_zero_threshold_still_needs_some_attendance():
    assert not evaluate(single(0), [session(1, 0)]).eligible
    assert evaluate(single(0), [session(1, 1)]).eligible


def test_a_cancelled_single_session_is_nothing_to_attend():
    e = evaluate(single(80), [session(1, HOUR, status="cancelled")])
    assert not e.eligible and e.sessions_counted == 0 and e.final
    assert e.explanation == "There is nothing to attend: its only session is cancelled."


def test_no_sessions_at_all_is_nothing_to_attend():
    for rule in (single(), multi("minimum_sessions", minimum=1), multi("percentage"), multi("all_required")):
        e = evaluate(rule, [])
        assert not e.eligible and e.percent == Decimal("0.00") and e.sessions_counted == 0
        assert e.explanation == "There is nothing to attend: the event has no sessions."
    e = evaluate(multi("all_required"), [session(1, HOUR, status="cancelled")] * 2)
    assert e.explanation == "There is nothing to attend: all 2 of its sessions are cancelled."


# ---------------------------------------------------------------------------------------------
# minimum_sessions


def five(attended: list[int], **kw) -> list[SessionInput]:
    return [session(i + 1, a, **kw) for i, a in enumerate(attended)]


def test_minimum_sessions_short_of_the_minimum():
    e = evaluate(multi("minimum_sessions", 75, minimum=4), five([HOUR, 2700, 2700, 2699, 0]))
    assert not e.eligible and e.final
    assert (e.sessions_attended, e.sessions_counted) == (3, 5)
    assert e.attended_session_ids == ("s1", "s2", "s3")
    assert e.explanation == "Attended 3 of 5 scheduled sessions for ≥ 45 min; needs 4."


def test_minimum_sessions_exactly_at_both_thresholds_passes():
    e = evaluate(multi("minimum_sessions", 75, minimum=4), five([2700, 2700, 2700, 2700, 0]))
    assert e.eligible and e.sessions_attended == 4
    assert e.percent == Decimal("60.00")  # 4 sessions of 45 min of 5 sessions of 60 min
    assert e.explanation == "Attended 4 of 5 scheduled sessions for ≥ 45 min; needs 4."


def test_minimum_sessions_ignores_cancelled_sessions_in_the_denominator():
    sessions = [*five([2700, 2700, 0]), session(9, HOUR, status="cancelled")]
    e = evaluate(multi("minimum_sessions", 75, minimum=2), sessions)
    assert e.eligible and e.sessions_counted == 3 and "s9" not in e.attended_session_ids
    assert e.explanation == "Attended 2 of 3 scheduled sessions for ≥ 45 min; needs 2."


def test_minimum_sessions_without_a_minimum_needs_all_and_says_so():
    e = evaluate(multi("minimum_sessions", 75), five([HOUR, HOUR, 2000]))
    assert not e.eligible
    assert (
        e.explanation == "Attended 2 of 3 scheduled sessions for ≥ 45 min; needs all 3 (no minimum is set)."
    )


def test_minimum_sessions_larger_than_there_are_needs_all_and_says_so():
    e = evaluate(multi("minimum_sessions", 75, minimum=6), five([HOUR, HOUR, HOUR]))
    assert e.eligible
    assert e.explanation == (
        "Attended 3 of 3 scheduled sessions for ≥ 45 min; "
        "needs all 3 (the minimum of 6 is more than the 3 scheduled)."
    )


def test_minimum_sessions_with_different_durations_states_the_threshold_as_a_percent():
    sessions = [session(1, 2700), session(2, 1300, duration=1800)]
    e = evaluate(multi("minimum_sessions", 75, minimum=2), sessions)
    assert not e.eligible
    assert e.explanation == "Attended 1 of 2 scheduled sessions for ≥ 75% of each; needs 2."


def test_minimum_sessions_threshold_in_minutes_and_seconds_when_not_whole():
    e = evaluate(multi("minimum_sessions", 75, minimum=1), five([0], duration=3000))
    assert e.explanation == "Attended 0 of 1 scheduled session for ≥ 37 min 30 s; needs 1."


def test_minimum_sessions_so_far_while_sessions_are_still_to_come():
    sessions = [session(1, HOUR), session(2, 0, status="live"), session(3, 0, status="scheduled")]
    e = evaluate(multi("minimum_sessions", 75, minimum=2), sessions)
    assert not e.eligible and not e.final
    assert e.explanation == (
        "Attended 1 of 3 scheduled sessions for ≥ 45 min; needs 2; 2 of the sessions are not yet completed."
    )


# ---------------------------------------------------------------------------------------------
# percentage


def test_percentage_uses_the_total_threshold():
    # 180 of 300 minutes = 60%
    e = evaluate(multi("percentage", 75, total=60), five([HOUR, HOUR, HOUR, 0, 0]))
    assert e.eligible and e.percent == Decimal("60.00")
    assert (e.sessions_attended, e.sessions_counted) == (3, 5)
    assert (
        e.explanation == "Attended 180 of the 300 minutes of 5 scheduled sessions (60%); needs 60% (180 min)."
    )


def test_percentage_one_second_short_fails():
    e = evaluate(multi("percentage", 75, total=60), five([HOUR, HOUR, HOUR - 1, 0, 0]))
    assert not e.eligible and e.percent == Decimal("59.99")
    assert (
        e.explanation
        == "Attended 179 of the 300 minutes of 5 scheduled sessions (59.99%); needs 60% (180 min)."
    )


def test_percentage_falls_back_to_the_per_session_percent():
    e = evaluate(multi("percentage", 50), [session(1, 1800), session(2, 0, status="cancelled")])
    assert e.eligible and e.sessions_counted == 1
    assert e.explanation == "Attended 30 of the 60 minutes of 1 scheduled session (50%); needs 50% (30 min)."


def test_percentage_caps_each_session_at_its_duration():
    # Two hours "attended" in a one-hour session do not make up for a missed one
    e = evaluate(multi("percentage", 75, total=75), [session(1, 2 * HOUR), session(2, 0)])
    assert not e.eligible and e.percent == Decimal("50.00")


# ---------------------------------------------------------------------------------------------
# all_required


def test_all_required_counts_only_the_required_sessions():
    sessions = [
        session(1, HOUR, required=True),
        session(2, 0, required=True),
        session(3, HOUR),  # attended, but not required
    ]
    e = evaluate(multi("all_required", 75), sessions)
    assert not e.eligible
    assert (e.sessions_attended, e.sessions_counted) == (1, 2)
    assert e.attended_session_ids == ("s1", "s3")  # every session attended, for per-session flags
    assert e.percent == Decimal("50.00")  # of the required sessions' time
    assert e.explanation == "Attended 1 of 2 required sessions for ≥ 45 min; needs all 2; missed “Day 2”."


def test_all_required_exactly_at_the_threshold_passes():
    sessions = [session(1, 2700, required=True), session(2, 2700, required=True), session(3, 0)]
    e = evaluate(multi("all_required", 75), sessions)
    assert e.eligible
    assert e.explanation == "Attended 2 of 2 required sessions for ≥ 45 min; needs all 2."


def test_all_required_does_not_call_a_session_to_come_missed():
    sessions = [session(1, HOUR, required=True), session(2, 0, required=True, status="scheduled")]
    e = evaluate(multi("all_required", 75), sessions)
    assert not e.eligible and not e.final
    assert e.explanation == (
        "Attended 1 of 2 required sessions for ≥ 45 min; needs all 2; 1 of the sessions is not yet completed."
    )


def test_all_required_with_none_flagged_needs_every_scheduled_session():
    e = evaluate(multi("all_required", 75), five([HOUR, HOUR, 0]))
    assert not e.eligible and e.sessions_counted == 3
    assert e.explanation == (
        "Attended 2 of 3 scheduled sessions for ≥ 45 min; needs all 3 "
        "(no session is marked required, so all scheduled sessions count); missed “Day 3”."
    )


def test_all_required_whose_required_sessions_are_cancelled_needs_every_scheduled_one():
    sessions = [session(1, HOUR), session(2, 0, required=True, status="cancelled"), session(3, HOUR)]
    e = evaluate(multi("all_required", 75), sessions)
    assert e.eligible and e.sessions_counted == 2
    assert e.explanation == (
        "Attended 2 of 2 scheduled sessions for ≥ 45 min; needs all 2 "
        "(the required sessions are cancelled, so all scheduled sessions count)."
    )


def test_a_cancelled_required_session_drops_out_of_the_denominator():
    sessions = [session(1, HOUR, required=True), session(2, 0, required=True, status="cancelled")]
    e = evaluate(multi("all_required", 75), sessions)
    assert e.eligible and e.sessions_counted == 1
    assert e.explanation == "Attended 1 of 1 required session for ≥ 45 min; needs all 1."


# ---------------------------------------------------------------------------------------------
# Overrides and bad input


def test_an_override_to_eligible_wins_and_shows_the_computed_result():
    e = evaluate(multi("minimum_sessions", 75, minimum=4), five([HOUR, HOUR, 0, 0, 0]))
    assert with_override(e, True, " Attended in the room ") == (
        True,
        "Eligible by organiser override (Attended in the room); computed: not eligible — "
        "attended 2 of 5 scheduled sessions for ≥ 45 min; needs 4.",
    )


def test_an_override_to_not_eligible_wins():
    e = evaluate(single(80), [session(1, HOUR)])
    assert with_override(e, False, None) == (
        False,
        "Not eligible by organiser override; computed: eligible — attended 60 of 60 minutes (100%); "
        "needs 80% (48 min).",
    )


def test_no_override_is_the_computed_result():
    e = evaluate(single(80), [session(1, HOUR)])
    assert with_override(e, None, "ignored") == (True, e.explanation)


def test_unknown_statuses_and_completion_types_are_refused():
    with pytest.raises(ValueError, match="status"):
        evaluate(single(), [session(1, 0, status="postponed")])
    with pytest.raises(ValueError, match="completion_type"):
        evaluate(multi("most_sessions"), [session(1, 0)])


# ---------------------------------------------------------------------------------------------
# Properties

sessions_ = st.lists(
    st.builds(
        session,
        st.integers(min_value=1, max_value=1000),
        st.integers(min_value=0, max_value=2 * HOUR),
        duration=st.sampled_from([1800, 2700, HOUR, 5400]),
        status=st.sampled_from(["scheduled", "live", "completed", "cancelled"]),
        required=st.booleans(),
    ),
    max_size=6,
    unique_by=lambda s: s.session_id,
)
rules = st.builds(
    Rule,
    st.booleans(),
    st.decimals(min_value=0, max_value=100, places=2),
    st.sampled_from(["minimum_sessions", "percentage", "all_required"]),
    st.none() | st.integers(min_value=1, max_value=8),
    st.none() | st.decimals(min_value=0, max_value=100, places=2),
)


@bounded
@given(rules, sessions_, st.randoms(use_true_random=False))
def test_the_verdict_is_consistent_and_order_independent(rule, sessions, rnd):
    e = evaluate(rule, sessions)
    shuffled = list(sessions)
    rnd.shuffle(shuffled)
    again = evaluate(rule, shuffled)
    assert (again.eligible, again.percent, again.sessions_attended, again.sessions_counted, again.final) == (
        e.eligible,
        e.percent,
        e.sessions_attended,
        e.sessions_counted,
        e.final,
    )
    assert set(again.attended_session_ids) == set(e.attended_session_ids)
    assert Decimal(0) <= e.percent <= Decimal(100) and e.percent == e.percent.quantize(Decimal("0.01"))
    assert 0 <= e.sessions_attended <= e.sessions_counted <= len(sessions)
    cancelled = {s.session_id for s in sessions if s.status == "cancelled"}
    assert not cancelled & set(e.attended_session_ids)
    assert e.explanation and e.explanation.endswith(".") and "\n" not in e.explanation
    if e.eligible:
        assert any(s.attended_seconds > 0 for s in sessions if s.status != "cancelled")


@bounded
@given(rules, sessions_, st.data())
def test_more_attendance_never_loses_eligibility(rule, sessions, data):
    if not sessions:
        return
    i = data.draw(st.integers(min_value=0, max_value=len(sessions) - 1))
    extra = data.draw(st.integers(min_value=0, max_value=HOUR))
    more = list(sessions)
    s = more[i]
    more[i] = SessionInput(
        s.session_id, s.title, s.duration_seconds, s.status, s.required, s.attended_seconds + extra
    )
    before, after = evaluate(rule, sessions), evaluate(rule, more)
    assert after.eligible >= before.eligible
    assert after.percent >= before.percent


@bounded
@given(st.integers(min_value=1, max_value=4 * HOUR), st.decimals(min_value=1, max_value=100, places=2))
def test_the_single_session_boundary_is_exact(duration, percent):
    # The least whole second at or above percent% of the duration passes; one second less fails.
    needed = math.ceil(duration * percent / 100)
    rule = single(percent)
    assert evaluate(rule, [session(1, needed, duration=duration)]).eligible
    assert not evaluate(rule, [session(1, needed - 1, duration=duration)]).eligible
