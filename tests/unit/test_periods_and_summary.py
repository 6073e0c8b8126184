from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from lectern.cpd.periods import category_key, period_for
from lectern.cpd.service import Earned, Requirement, compute_summary

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
months = st.integers(min_value=1, max_value=12)


@given(days, months)
def test_a_day_falls_in_exactly_its_period(day, month):
    start, end = period_for(day, month)
    assert start <= day <= end
    assert start.month == month and start.day == 1
    assert 365 <= (end - start).days + 1 <= 366


@given(days, months)
def test_consecutive_periods_touch(day, month):
    start, end = period_for(day, month)
    from datetime import timedelta

    assert period_for(end + timedelta(days=1), month)[0] == end + timedelta(days=1)
    assert period_for(start - timedelta(days=1), month)[1] == start - timedelta(days=1)


def test_category_keys_ignore_case_and_spacing():
    assert category_key("  Clinical   Skills ") == category_key("clinical skills")


hours = st.decimals(min_value=Decimal("0.25"), max_value=Decimal("40"), places=2)
earned_lists = st.lists(
    st.builds(
        Earned,
        st.sampled_from(["Ethics", "ethics ", "Clinical"]),
        hours,
        st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
        st.sampled_from(["activity", "certificate"]),
    ),
    max_size=30,
)


def _req(category="Ethics", hours_required="5", month=4):
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return Requirement("r1", category, Decimal(hours_required), "yearly", month, now, now)


@given(earned_lists, st.randoms())
def test_summary_is_order_independent_and_conserves_hours(earned, rnd):
    as_of = date(2026, 6, 1)
    a = compute_summary([_req()], earned, as_of)
    shuffled = list(earned)
    rnd.shuffle(shuffled)
    b = compute_summary([_req()], shuffled, as_of)
    assert [(c.category.casefold(), c.period_start, c.hours) for c in a.categories] == [
        (c.category.casefold(), c.period_start, c.hours) for c in b.categories
    ]
    assert sum((c.hours for c in a.categories), Decimal(0)) == sum((e.hours for e in earned), Decimal(0))
    progress = a.requirements[0]
    assert progress.hours_remaining >= 0 and 0 <= progress.percent_complete <= 100
    assert progress.met == (progress.hours_earned >= Decimal(5))


def test_requirement_progress_counts_only_its_period():
    earned = [
        Earned("Ethics", Decimal("3"), date(2026, 4, 1), "activity"),
        Earned("Ethics", Decimal("9"), date(2026, 3, 31), "certificate"),
    ]
    s = compute_summary([_req()], earned, date(2026, 5, 1))
    assert s.requirements[0].hours_earned == Decimal("3")
    assert s.requirements[0].percent_complete == 60
