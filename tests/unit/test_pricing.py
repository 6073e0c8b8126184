"""Discount pricing (spec-review H4): amounts in minor units, rounding, validity, and the
conditional use counter that never overshoots max_uses."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lectern.data import tx
from lectern.data.discounts import DiscountCodeItem
from lectern.data.events import EventItem
from lectern.discounts import pricing
from lectern.errors import ValidationFailed

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def event(price_minor: int = 2000, event_id: str = "ev-1") -> EventItem:
    return EventItem(*EventItem.key(event_id), event_id=event_id, price_minor=price_minor, currency="GBP")


def code(
    kind: str = "percent", amount: int = 10, event_id: str = "ev-1", text: str = "Early-Bird", **kw
) -> DiscountCodeItem:
    return DiscountCodeItem(
        *DiscountCodeItem.key(event_id, text),
        code_id="c-1",
        event_id=event_id,
        code=text,
        kind=kind,
        amount=amount,
        used_count=kw.pop("used_count", 0),
        created_at=NOW,
        updated_at=NOW,
        **kw,
    )


def reason(exc: pytest.ExceptionInfo[ValidationFailed]) -> tuple[str, str]:
    d = exc.value.details[0]
    return d["field"], d["code"]


# ------------------------------------------------------------------ arithmetic (properties)


@given(st.integers(0, 10**9), st.integers(1, 100))
def test_percent_discount_is_never_negative_and_never_above_the_price(price, pct):
    got = pricing.apply(price, "percent", pct)
    assert 0 <= got <= price


@given(st.integers(0, 10**9))
def test_percent_100_is_free(price):
    assert pricing.apply(price, "percent", 100) == 0


@given(st.integers(0, 10**7), st.integers(1, 10**9))
def test_fixed_at_or_above_the_price_is_free_and_below_subtracts(price, amount):
    got = pricing.apply(price, "fixed", amount)
    assert got == (0 if amount >= price else price - amount)


@given(st.integers(0, 10**9), st.integers(1, 100))
def test_percent_rounds_half_up_to_the_minor_unit(price, pct):
    exact_discount = price * pct / 100
    got = pricing.apply(price, "percent", pct)
    # the discount is the exact one rounded half-up: within half a minor unit, ties go up
    discount = price - got
    assert abs(discount - exact_discount) <= 0.5
    if (price * pct) % 100 == 50:
        assert discount == (price * pct) // 100 + 1


def test_rounding_examples():
    assert pricing.apply(999, "percent", 15) == 849  # 149.85 → 150 off
    assert pricing.apply(5, "percent", 50) == 2  # 2.5 → 3 off
    assert pricing.apply(2000, "fixed", 500) == 1500


@given(st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False))
def test_minor_units_round_trip(amount):
    assert pricing.from_minor(pricing.to_minor(amount)) == float(amount)


# ------------------------------------------------------------------ quote


def test_quote_without_a_code_is_the_price():
    q = pricing.quote(event(2000), None, NOW)
    assert (q.amount_minor, q.code_used, q.price_minor) == (2000, None, 2000)


def test_quote_with_a_code_keeps_the_code_as_written():
    q = pricing.quote(event(2000), code("percent", 25, text="Early-Bird"), NOW)
    assert (q.amount_minor, q.code_used, q.price_minor, q.discount_minor) == (1500, "Early-Bird", 2000, 500)


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"valid_from": NOW + timedelta(seconds=1)}, "not_yet_valid"),
        ({"valid_until": NOW}, "expired"),
        ({"valid_until": NOW - timedelta(days=1)}, "expired"),
        ({"max_uses": 3, "used_count": 3}, "exhausted"),
    ],
)
def test_unusable_codes_name_the_field_and_reason(kw, expected):
    with pytest.raises(ValidationFailed) as exc:
        pricing.quote(event(), code(**kw), NOW)
    assert reason(exc) == ("discount_code", expected)


def test_a_code_inside_its_window_with_uses_left_applies():
    c = code(valid_from=NOW, valid_until=NOW + timedelta(hours=1), max_uses=3, used_count=2)
    assert pricing.quote(event(1000), c, NOW).amount_minor == 900


def test_another_events_code_is_unknown():
    with pytest.raises(ValidationFailed) as exc:
        pricing.quote(event(event_id="ev-1"), code(event_id="ev-2"), NOW)
    assert reason(exc) == ("discount_code", "unknown_code")


def test_quote_for_code_given_but_not_found_is_unknown():
    with pytest.raises(ValidationFailed) as exc:
        pricing.quote_for_code(event(), "NOPE", None, NOW)
    assert reason(exc) == ("discount_code", "unknown_code")


@pytest.mark.parametrize("text", [None, "", "   "])
def test_quote_for_code_without_a_code_is_the_price(text):
    assert pricing.quote_for_code(event(700), text, None, NOW).amount_minor == 700


# ------------------------------------------------------------------ use_in_transaction (moto)


@pytest.fixture
def table(aws_env):
    return None


def _stored(**kw) -> DiscountCodeItem:
    c = code(**kw)
    c.save()
    return c


def _use(c: DiscountCodeItem, now: datetime = NOW) -> bool:
    try:
        with tx.write(on_condition_failed=pricing.refusal("exhausted")) as t:
            pricing.use_in_transaction(t, c, now)
        return True
    except ValidationFailed:
        return False


def _used(c: DiscountCodeItem) -> int:
    return int(DiscountCodeItem.get(c.pk, c.sk, consistent_read=True).used_count)


def test_uses_stop_exactly_at_max_uses_even_from_stale_reads(table):
    c = _stored(max_uses=3)
    stale = DiscountCodeItem.get(c.pk, c.sk)  # every caller read used_count = 0
    results = [_use(stale) for _ in range(5)]
    assert results == [True, True, True, False, False]
    assert _used(c) == 3


def test_unlimited_codes_count_every_use(table):
    c = _stored()
    assert all(_use(c) for _ in range(4))
    assert _used(c) == 4


def test_use_outside_the_window_is_refused_and_not_counted(table):
    early = _stored(text="EARLY", valid_from=NOW + timedelta(hours=1))
    late = _stored(text="LATE", valid_until=NOW)
    assert not _use(early) and not _use(late)
    assert _used(early) == 0 and _used(late) == 0
    assert _use(early, NOW + timedelta(hours=2))


def test_a_deleted_code_is_not_recreated_by_a_use(table):
    c = _stored()
    c.delete()
    assert not _use(c)
    with pytest.raises(DiscountCodeItem.DoesNotExist):
        DiscountCodeItem.get(c.pk, c.sk)


def test_explain_failed_use_names_the_reason(table):
    c = _stored(max_uses=1, used_count=1)
    err = pricing.explain_failed_use("ev-1", "early-bird", NOW)
    assert err.details[0]["code"] == "exhausted"
    assert pricing.explain_failed_use("ev-1", "missing", NOW).details[0]["code"] == "unknown_code"
    assert c.code == "Early-Bird"
