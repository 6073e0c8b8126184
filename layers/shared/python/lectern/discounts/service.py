"""Discount codes: the organiser's CRUD and the public validate (spec-review H4).

Access patterns (one table, see lectern/data/discounts.py):

* list: GetItem Event (ownership) -> Query PK `EVENT#id`, SK begins_with `CODE#` (1 per page).
* create: GetItem Event -> TransactWriteItems (Put Code cond. not exists -> 409
  `duplicate_code`; Put CodeId; ConditionCheck Event owner; Put audit).
* update: TransactGetItems (Event, CodeId) -> GetItem Code -> TransactWriteItems (Update Code
  cond. unchanged since read and `used_count <= max_uses`; audit). A new code text is a new key:
  Delete old Code (cond. unchanged, `used_count` as read) + Put new Code (cond. not exists) +
  Update CodeId, in the same transaction; the uuid and used_count are kept.
* delete: TransactGetItems (Event, CodeId) -> TransactWriteItems (Delete Code cond. it is this
  code id; Delete CodeId; audit).
* validate (public): BatchGetItem (Event, Code, the caller IP's failure window); a wrong code
  adds one UpdateItem (the failure counter).

Deleting a code that was used leaves its registrations intact: they keep the code's text in
`discount_code_used` and their `amount_paid`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import TransactWriteError

from lectern import audit
from lectern.data import tx
from lectern.data.discounts import DiscountCodeIdItem, DiscountCodeItem
from lectern.data.events import EventItem
from lectern.data.pagination import Page, PageRequest, query_page
from lectern.data.throttle import FailureWindowItem
from lectern.deps import Deps
from lectern.discounts import pricing
from lectern.errors import Conflict, NotFound, TooManyRequests, ValidationFailed
from lectern.events.access import PUBLIC_STATUSES, owned_event
from lectern.request import RequestMeta
from lectern.throttle import FailureCounter

CODE_PREFIX = "CODE#"
MAX_PERCENT = 100
MAX_FIXED_MINOR = 10**10  # 100 million in the currency's unit

# Guessing codes on the public validate endpoint: 20 wrong codes per IP per 15 minutes.
VALIDATE_FAILURES = FailureCounter("discount-validate-ip", limit=20, window_seconds=15 * 60)


@dataclass(frozen=True)
class DiscountCode:
    code_id: str
    event_id: str
    code: str
    kind: str
    amount: Decimal  # percent (whole number) or the currency amount with 2 places
    currency: str
    max_uses: int | None
    used_count: int
    valid_from: datetime | None
    valid_until: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, i: DiscountCodeItem, currency: str) -> DiscountCode:
        amount = (
            Decimal(int(i.amount))
            if i.kind == "percent"
            else (Decimal(int(i.amount)) / pricing.MINOR_PER_UNIT).quantize(Decimal("0.01"))
        )
        return cls(
            code_id=i.code_id,
            event_id=i.event_id,
            code=i.code,
            kind=i.kind,
            amount=amount,
            currency=currency,
            max_uses=None if i.max_uses is None else int(i.max_uses),
            used_count=int(i.used_count or 0),
            valid_from=i.valid_from,
            valid_until=i.valid_until,
            created_at=i.created_at,
            updated_at=i.updated_at,
        )


@dataclass(frozen=True)
class Validation:
    code: str
    kind: str
    amount: Decimal
    price_minor: int
    discounted_minor: int
    currency: str


# ---------------------------------------------------------------- helpers


def _duplicate(code: str) -> Conflict:
    return Conflict(
        f"This event already has the discount code “{code}” (codes are case-insensitive).",
        code="duplicate_code",
        details=[{"field": "code", "code": "duplicate"}],
    )


def _changed() -> Conflict:
    return Conflict(
        "The discount code was changed at the same time; read it again and retry.",
        code="concurrent_change",
    )


def _not_found() -> NotFound:
    return NotFound("The discount code does not exist.")


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _stored_amount(kind: str, amount: Decimal) -> int:
    """Validate an amount for its kind and return it as stored (percent, or minor units)."""
    if kind == "percent":
        if amount != amount.to_integral_value() or not 1 <= amount <= MAX_PERCENT:
            raise ValidationFailed.field("amount", "A percent discount is a whole number from 1 to 100.")
        return int(amount)
    minor = pricing.to_minor(amount)
    if amount != amount.quantize(Decimal("0.01")) or minor <= 0 or minor > MAX_FIXED_MINOR:
        raise ValidationFailed.field(
            "amount", "A fixed discount is an amount greater than 0 with at most 2 decimal places."
        )
    return minor


def _check_window(valid_from: datetime | None, valid_until: datetime | None) -> None:
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        raise ValidationFailed.field("valid_until", "Must be later than valid_from.")


class _Writes:
    """A transaction's actions, each with the error its failed condition means. pynamodb sends
    condition checks, then deletes, then puts, then updates, whatever the call order — so the
    cancellation reasons are matched in that order."""

    def __init__(self) -> None:
        self.ops: dict[str, list[tuple[Any, Exception | None]]] = {
            "check": [],
            "delete": [],
            "put": [],
            "update": [],
        }

    def check(self, model_cls: Any, key: tuple[str, str], condition: Any, err: Exception) -> None:
        self.ops["check"].append((lambda t: t.condition_check(model_cls, *key, condition=condition), err))

    def delete(self, model: Any, condition: Any, err: Exception) -> None:
        self.ops["delete"].append((lambda t: t.delete(model, condition=condition), err))

    def save(self, model: Any, condition: Any = None, err: Exception | None = None) -> None:
        self.ops["put"].append((lambda t: t.save(model, condition=condition), err))

    def update(self, model: Any, actions: list[Any], condition: Any, err: Exception) -> None:
        self.ops["update"].append((lambda t: t.update(model, actions=actions, condition=condition), err))

    def commit(self) -> None:
        ordered = [op for kind in ("check", "delete", "put", "update") for op in self.ops[kind]]
        try:
            with tx.write() as t:
                for add, _ in ordered:
                    add(t)
        except TransactWriteError as exc:
            reasons = getattr(exc, "cancellation_reasons", None) or []
            for i, r in enumerate(reasons):
                if r is not None and getattr(r, "code", "") == "ConditionalCheckFailed":
                    err = ordered[i][1] if i < len(ordered) else None
                    raise (err or _changed()) from exc
            raise


def _same_as_read(item: DiscountCodeItem) -> Any:
    """Condition: the stored code still has the values `item` was read with."""
    c = DiscountCodeItem
    cond = c.code_id == item.code_id
    cond &= c.kind == item.kind
    cond &= c.amount == int(item.amount)
    for attr, value in (
        (c.max_uses, item.max_uses),
        (c.valid_from, item.valid_from),
        (c.valid_until, item.valid_until),
    ):
        cond &= attr.does_not_exist() if value is None else attr == value
    return cond


def _event_and_code_id(owner_id: str, event_id: str, code_id: str) -> tuple[EventItem, DiscountCodeIdItem]:
    """Ownership and the uuid → code mapping in one TransactGetItems."""
    with tx.get() as t:
        ev = t.get(EventItem, *EventItem.key(event_id))
        cid = t.get(DiscountCodeIdItem, *DiscountCodeIdItem.key(event_id, code_id))
    try:
        event = ev.get()
    except EventItem.DoesNotExist as exc:
        raise NotFound("The event does not exist.") from exc
    if event.owner_id != owner_id:
        raise NotFound("The event does not exist.")
    try:
        return event, cid.get()
    except DiscountCodeIdItem.DoesNotExist as exc:
        raise _not_found() from exc


def _owned_code(owner_id: str, event_id: str, code_id: str) -> tuple[EventItem, DiscountCodeItem]:
    event, cid = _event_and_code_id(owner_id, event_id, code_id)
    try:
        item = DiscountCodeItem.get(*DiscountCodeItem.key(event_id, cid.code), consistent_read=True)
    except DiscountCodeItem.DoesNotExist as exc:
        raise _not_found() from exc
    if item.code_id != code_id:
        raise _not_found()
    return event, item


# ---------------------------------------------------------------- organiser


def list_codes(owner_id: str, event_id: str, page: PageRequest) -> Page[DiscountCode]:
    event = owned_event(owner_id, event_id)
    got = query_page(
        DiscountCodeItem.query,
        page,
        f"codes:{event_id}:{owner_id}",
        hash_key=f"EVENT#{event_id}",
        range_key_condition=DiscountCodeItem.sk.startswith(CODE_PREFIX),
    )
    return got.map(lambda i: DiscountCode.of(i, event.currency))


def create_code(
    *,
    owner_id: str,
    event_id: str,
    code: str,
    kind: str,
    amount: Decimal,
    max_uses: int | None,
    valid_from: datetime | None,
    valid_until: datetime | None,
    meta: RequestMeta,
    deps: Deps,
) -> DiscountCode:
    event = owned_event(owner_id, event_id)
    stored_amount = _stored_amount(kind, amount)
    _check_window(valid_from, valid_until)
    now = deps.clock.now()
    code_id = deps.ids()
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    item = DiscountCodeItem(
        *DiscountCodeItem.key(event_id, code),
        code_id=code_id,
        event_id=event_id,
        code=code,
        kind=kind,
        amount=stored_amount,
        max_uses=max_uses,
        used_count=0,
        valid_from=valid_from,
        valid_until=valid_until,
        created_at=now,
        updated_at=now,
    )
    pointer = DiscountCodeIdItem(*DiscountCodeIdItem.key(event_id, code_id), code=code)

    w = _Writes()
    w.save(item, DiscountCodeItem.pk.does_not_exist(), _duplicate(code))
    w.save(pointer, DiscountCodeIdItem.pk.does_not_exist(), _changed())
    w.check(
        EventItem,
        EventItem.key(event_id),
        EventItem.owner_id == owner_id,
        NotFound("The event does not exist."),
    )
    w.save(log.entry("lectern.discount_code.created", "discount_code", code_id))
    w.commit()
    return DiscountCode.of(item, event.currency)


def update_code(
    *,
    owner_id: str,
    event_id: str,
    code_id: str,
    changes: dict[str, Any],
    meta: RequestMeta,
    deps: Deps,
) -> DiscountCode:
    """`changes` holds only the fields the organiser sent (`max_uses`/`valid_*` may be None)."""
    event, item = _owned_code(owner_id, event_id, code_id)
    if not changes:
        return DiscountCode.of(item, event.currency)
    kind = changes.get("kind", item.kind)
    if "amount" in changes:
        new_amount = _stored_amount(kind, Decimal(str(changes["amount"])))
    elif kind != item.kind:
        raise ValidationFailed.field("amount", "Give the amount when you change the kind of discount.")
    else:
        new_amount = int(item.amount)
    valid_from = _aware(changes["valid_from"]) if "valid_from" in changes else _aware(item.valid_from)
    valid_until = _aware(changes["valid_until"]) if "valid_until" in changes else _aware(item.valid_until)
    _check_window(valid_from, valid_until)
    max_uses = changes["max_uses"] if "max_uses" in changes else item.max_uses
    max_uses = None if max_uses is None else int(max_uses)
    used = int(item.used_count or 0)
    if max_uses is not None and max_uses < used:
        raise _below_used(used)

    now = deps.clock.now()
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    new_text = changes.get("code", item.code)
    renamed_key = DiscountCodeItem.key(event_id, new_text) != (item.pk, item.sk)
    details = {"changed": ",".join(sorted(changes))}

    if renamed_key:
        # A new code text is a new key: delete + create in one transaction. The delete's
        # condition pins used_count, so a use counted meanwhile is never lost.
        new = DiscountCodeItem(
            *DiscountCodeItem.key(event_id, new_text),
            code_id=code_id,
            event_id=event_id,
            code=new_text,
            kind=kind,
            amount=new_amount,
            max_uses=max_uses,
            used_count=used,
            valid_from=valid_from,
            valid_until=valid_until,
            created_at=item.created_at,
            updated_at=now,
        )

        w = _Writes()
        w.delete(item, _same_as_read(item) & (DiscountCodeItem.used_count == used), _changed())
        w.save(new, DiscountCodeItem.pk.does_not_exist(), _duplicate(new_text))
        w.update(
            DiscountCodeIdItem(*DiscountCodeIdItem.key(event_id, code_id)),
            [DiscountCodeIdItem.code.set(new_text)],
            DiscountCodeIdItem.pk.exists(),
            _not_found(),
        )
        w.save(log.entry("lectern.discount_code.updated", "discount_code", code_id, **details))
        w.commit()
        return DiscountCode.of(new, event.currency)

    c = DiscountCodeItem
    actions: list[Any] = [
        c.code.set(new_text),
        c.kind.set(kind),
        c.amount.set(new_amount),
        c.updated_at.set(now),
    ]
    actions.append(c.max_uses.remove() if max_uses is None else c.max_uses.set(max_uses))
    actions.append(c.valid_from.remove() if valid_from is None else c.valid_from.set(valid_from))
    actions.append(c.valid_until.remove() if valid_until is None else c.valid_until.set(valid_until))
    condition = _same_as_read(item)
    if max_uses is not None:
        condition &= c.used_count <= max_uses

    w = _Writes()
    w.update(item, actions, condition, _changed())
    w.save(log.entry("lectern.discount_code.updated", "discount_code", code_id, **details))
    try:
        w.commit()
    except Conflict:
        # Tell apart "uses went past the new max meanwhile" from any other concurrent edit.
        fresh = DiscountCodeItem.get(item.pk, item.sk, consistent_read=True)
        if max_uses is not None and int(fresh.used_count or 0) > max_uses:
            raise _below_used(int(fresh.used_count)) from None
        raise
    fresh = DiscountCodeItem.get(item.pk, item.sk, consistent_read=True)
    return DiscountCode.of(fresh, event.currency)


def _below_used(used: int) -> Conflict:
    return Conflict(
        f"This code has already been used {used} times; max_uses cannot be lower than that.",
        code="max_uses_below_used",
        details=[{"field": "max_uses", "code": "below_used_count", "used_count": used}],
    )


def delete_code(*, owner_id: str, event_id: str, code_id: str, meta: RequestMeta, deps: Deps) -> None:
    _, cid = _event_and_code_id(owner_id, event_id, code_id)
    now = deps.clock.now()
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)

    w = _Writes()
    w.delete(
        DiscountCodeItem(*DiscountCodeItem.key(event_id, cid.code)),
        DiscountCodeItem.code_id == code_id,
        _not_found(),
    )
    w.delete(cid, DiscountCodeIdItem.code == cid.code, _changed())
    w.save(log.entry("lectern.discount_code.deleted", "discount_code", code_id, code=cid.code))
    w.commit()


# ---------------------------------------------------------------- public validate


def validate(*, event_id: str, code: str, meta: RequestMeta, deps: Deps) -> Validation:
    """Would `code` apply to this public event now? One BatchGetItem; a wrong code counts one
    failure for the caller's IP (UpdateItem), and 20 of them in 15 minutes answer 429."""
    now = deps.clock.now()
    text = code.strip()
    ev_key = EventItem.key(event_id)
    code_key = DiscountCodeItem.key(event_id, text)
    window_key = VALIDATE_FAILURES.key(meta.ip, now)
    found = tx.get_many([ev_key, code_key, window_key])

    window = found.get(window_key)
    if isinstance(window, FailureWindowItem) and int(window.failures or 0) >= VALIDATE_FAILURES.limit:
        raise TooManyRequests(
            VALIDATE_FAILURES.retry_after(now), "Too many wrong discount codes; wait before trying again."
        )
    event = found.get(ev_key)
    if not isinstance(event, EventItem) or event.status not in PUBLIC_STATUSES:
        raise NotFound("The event does not exist.")
    item = found.get(code_key)
    code_item = item if isinstance(item, DiscountCodeItem) else None
    try:
        if not text:
            raise pricing.refusal("unknown_code")
        q = pricing.quote_for_code(event, text, code_item, now)
    except ValidationFailed as err:
        VALIDATE_FAILURES.add(meta.ip, now)
        reason = err.details[0]["code"]
        raise pricing.refusal(reason, field="code") from None
    assert code_item is not None
    view = DiscountCode.of(code_item, event.currency)
    return Validation(
        code=code_item.code,
        kind=code_item.kind,
        amount=view.amount,
        price_minor=q.price_minor,
        discounted_minor=q.amount_minor,
        currency=event.currency,
    )
