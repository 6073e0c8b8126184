"""Prices with discount codes (spec-review H4).

Two entry points for the registration path:

* `quote(event, code_item, now)` / `quote_for_code(event, code_text, code_item, now)`: the amount
  to pay, in minor units, and the code as the organiser wrote it — or `ValidationFailed` naming
  `discount_code` with a reason code (`unknown_code`, `not_yet_valid`, `expired`, `exhausted`).
* `use_in_transaction(t, code_item)`: adds `ADD used_count 1` to the caller's transaction, with
  a condition that re-checks, on the item as stored at commit time, that the code still exists,
  has a use left and is inside its validity window. Uses can therefore never overshoot
  `max_uses`, however many registrations race for the last one.

Money is integer minor units everywhere (the API shows 2 decimal places). Percent discounts
round half-up to the minor unit; a price never goes below 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pynamodb.transactions import TransactWrite

from lectern.data.discounts import DiscountCodeItem
from lectern.data.events import EventItem
from lectern.errors import ValidationFailed

FIELD = "discount_code"
MINOR_PER_UNIT = 100  # the API shows prices with 2 decimal places

REASONS: dict[str, str] = {
    "unknown_code": "This discount code does not exist for this event.",
    "not_yet_valid": "This discount code is not valid yet.",
    "expired": "This discount code has expired.",
    "exhausted": "This discount code has been used the maximum number of times.",
}


@dataclass(frozen=True)
class Quote:
    amount_minor: int  # to pay, after the discount
    code_used: str | None  # the code as the organiser wrote it, or None
    price_minor: int  # the event's price, undiscounted

    @property
    def discount_minor(self) -> int:
        return self.price_minor - self.amount_minor


def refusal(reason: str, field: str = FIELD) -> ValidationFailed:
    """The 422 for a code that cannot be used (`reason` is one of REASONS)."""
    return ValidationFailed.field(field, REASONS[reason], code=reason)


def to_minor(amount: Decimal | float | int | str) -> int:
    """A decimal amount in the currency's unit → integer minor units (half-up)."""
    return int((Decimal(str(amount)) * MINOR_PER_UNIT).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_minor(minor: int) -> float:
    """Integer minor units → the 2-decimal number the API shows."""
    return float(Decimal(int(minor)) / MINOR_PER_UNIT)


def apply(price_minor: int, kind: str, amount: int) -> int:
    """The discounted price: percent (1..100) rounds half-up to the minor unit; never below 0."""
    price_minor = max(0, int(price_minor))
    amount = int(amount)
    if kind == "percent":
        pct = min(max(amount, 0), 100)
        discount = (price_minor * pct + 50) // 100  # half-up on non-negative integers
    elif kind == "fixed":
        discount = max(amount, 0)
    else:  # pragma: no cover - stored kinds are validated on write
        raise ValueError(f"unknown discount kind {kind!r}")
    return max(0, price_minor - discount)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def check_usable(code_item: DiscountCodeItem, now: datetime, field: str = FIELD) -> None:
    """Raise the 422 explaining why the code cannot be used now, if it cannot."""
    now = _aware(now) or now
    valid_from = _aware(code_item.valid_from)
    valid_until = _aware(code_item.valid_until)
    if valid_from is not None and now < valid_from:
        raise refusal("not_yet_valid", field)
    if valid_until is not None and now >= valid_until:
        raise refusal("expired", field)
    if code_item.max_uses is not None and int(code_item.used_count or 0) >= int(code_item.max_uses):
        raise refusal("exhausted", field)


def quote(event: EventItem, code_item: DiscountCodeItem | None, now: datetime) -> Quote:
    """The price to pay for `event` with `code_item` (None: no code given)."""
    price = int(event.price_minor or 0)
    if code_item is None:
        return Quote(amount_minor=price, code_used=None, price_minor=price)
    if code_item.event_id != event.event_id:  # never honour another event's code
        raise refusal("unknown_code")
    check_usable(code_item, now)
    return Quote(
        amount_minor=apply(price, code_item.kind, int(code_item.amount)),
        code_used=code_item.code,
        price_minor=price,
    )


def quote_for_code(
    event: EventItem, code_text: str | None, code_item: DiscountCodeItem | None, now: datetime
) -> Quote:
    """As `quote`, but a code that was given (non-blank `code_text`) and not found is `unknown_code`."""
    given = code_text is not None and code_text.strip() != ""
    if given and code_item is None:
        raise refusal("unknown_code")
    return quote(event, code_item if given else None, now)


def use_condition(now: datetime) -> Any:
    """The condition under which one more use may be counted, evaluated on the stored item."""
    c = DiscountCodeItem
    return (
        c.pk.exists()
        & (c.max_uses.does_not_exist() | (c.used_count < c.max_uses))
        & (c.valid_from.does_not_exist() | (c.valid_from <= now))
        & (c.valid_until.does_not_exist() | (c.valid_until > now))
    )


def use_in_transaction(t: TransactWrite, code_item: DiscountCodeItem, now: datetime | None = None) -> None:
    """Count one use of `code_item` in the caller's transaction, conditionally (see module doc).

    If the transaction is cancelled by this item's condition, answer with
    `explain_failed_use(event_id, code)` (re-reads the code to name the reason)."""
    at = _aware(now) or datetime.now(UTC)
    t.update(code_item, actions=[DiscountCodeItem.used_count.add(1)], condition=use_condition(at))


def explain_failed_use(event_id: str, code: str, now: datetime) -> ValidationFailed:
    """After `use_in_transaction`'s condition failed: the 422 naming why (one GetItem)."""
    try:
        item = DiscountCodeItem.get(*DiscountCodeItem.key(event_id, code), consistent_read=True)
    except DiscountCodeItem.DoesNotExist:
        return refusal("unknown_code")
    try:
        check_usable(item, now)
    except ValidationFailed as err:
        return err
    return refusal("exhausted")  # raced with the last use
