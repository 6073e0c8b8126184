"""CPD requirements, activities and the summary.

All of a user's CPD items live in their partition, so the summary is one Query (paged through
if a user has more than 1 MB of CPD records).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pynamodb.exceptions import TransactWriteError

from lectern import audit
from lectern.cpd.periods import category_key, period_for
from lectern.data import tx
from lectern.data.base import TableItem
from lectern.data.certificates import CpdCertificateEntryItem
from lectern.data.cpd import CpdActivityItem, CpdCategoryClaimItem, CpdRequirementItem
from lectern.data.pagination import Page, PageRequest, query_page
from lectern.deps import Deps
from lectern.errors import Conflict, NotFound, ValidationFailed
from lectern.request import RequestMeta


def _hours(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Requirement:
    requirement_id: str
    category: str
    hours_required: Decimal
    period: str
    period_start_month: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, i: CpdRequirementItem) -> Requirement:
        return cls(
            i.requirement_id,
            i.category,
            _hours(i.hours_required),
            i.period,
            int(i.period_start_month),
            i.created_at,
            i.updated_at,
        )


@dataclass(frozen=True)
class Activity:
    activity_id: str
    title: str
    provider: str
    category: str
    hours: Decimal
    completed_on: date
    notes: str
    evidence_url: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, i: CpdActivityItem) -> Activity:
        return cls(
            i.activity_id,
            i.title,
            i.provider or "",
            i.category,
            _hours(i.hours),
            date.fromisoformat(i.completed_on),
            i.notes or "",
            i.evidence_url,
            i.created_at,
            i.updated_at,
        )


# ---------------------------------------------------------------- requirements


def _claim(user_id: str, category: str, requirement_id: str) -> CpdCategoryClaimItem:
    return CpdCategoryClaimItem(
        *CpdCategoryClaimItem.key(user_id, category_key(category)), requirement_id=requirement_id
    )


def _duplicate(category: str) -> Conflict:
    return Conflict(
        f"You already have a requirement for the category “{category}”; edit that one instead.",
        code="duplicate_category",
        details=[{"field": "category", "code": "duplicate"}],
    )


def create_requirement(
    *,
    user_id: str,
    category: str,
    hours_required: Decimal,
    period: str,
    period_start_month: int,
    meta: RequestMeta,
    deps: Deps,
) -> Requirement:
    now = deps.clock.now()
    log = audit.Auditor(actor_id=user_id, at=now, ids=deps.ids, ip=meta.ip)
    rid = deps.ids()
    item = CpdRequirementItem(
        *CpdRequirementItem.key(user_id, rid),
        requirement_id=rid,
        user_id=user_id,
        category=category,
        category_key=category_key(category),
        hours_required=float(hours_required),
        period=period,
        period_start_month=period_start_month,
        created_at=now,
        updated_at=now,
    )
    with tx.write(on_condition_failed=_duplicate(category)) as t:
        t.save(_claim(user_id, category, rid), condition=CpdCategoryClaimItem.pk.does_not_exist())
        t.save(item)
        t.save(log.entry("lectern.cpd.requirement_created", "cpd_requirement", rid))
    return Requirement.of(item)


def _get_requirement(user_id: str, requirement_id: str) -> CpdRequirementItem:
    try:
        return CpdRequirementItem.get(*CpdRequirementItem.key(user_id, requirement_id), consistent_read=True)
    except CpdRequirementItem.DoesNotExist as exc:
        raise NotFound("The CPD requirement does not exist.") from exc


def get_requirement(user_id: str, requirement_id: str) -> Requirement:
    return Requirement.of(_get_requirement(user_id, requirement_id))


def list_requirements(user_id: str, page: PageRequest) -> Page[Requirement]:
    got = query_page(
        CpdRequirementItem.query,
        page,
        f"cpdreq:{user_id}",
        hash_key=f"USER#{user_id}",
        range_key_condition=CpdRequirementItem.sk.startswith(CpdRequirementItem.PREFIX),
    )
    return got.map(Requirement.of)


def update_requirement(
    *, user_id: str, requirement_id: str, changes: dict[str, Any], meta: RequestMeta, deps: Deps
) -> Requirement:
    item = _get_requirement(user_id, requirement_id)
    if not changes:
        return Requirement.of(item)
    now = deps.clock.now()
    log = audit.Auditor(actor_id=user_id, at=now, ids=deps.ids, ip=meta.ip)
    changes = {k: float(v) if isinstance(v, Decimal) else v for k, v in changes.items()}
    actions = [getattr(CpdRequirementItem, k).set(v) for k, v in changes.items()]
    actions.append(CpdRequirementItem.updated_at.set(now))
    new_category: str = changes.get("category") or item.category
    moving = category_key(new_category) != item.category_key
    actions.append(CpdRequirementItem.category_key.set(category_key(new_category)))
    try:
        with tx.write() as t:
            if moving:
                t.delete(CpdCategoryClaimItem(*CpdCategoryClaimItem.key(user_id, item.category_key)))
                t.save(
                    _claim(user_id, new_category, requirement_id),
                    condition=CpdCategoryClaimItem.pk.does_not_exist(),
                )
            t.update(item, actions=actions, condition=CpdRequirementItem.updated_at == item.updated_at)
            t.save(
                log.entry(
                    "lectern.cpd.requirement_updated",
                    "cpd_requirement",
                    requirement_id,
                    fields=",".join(sorted(changes)),
                )
            )
    except TransactWriteError as exc:
        if tx.cancelled_by_condition(exc) and moving:
            raise _duplicate(new_category) from exc
        if tx.cancelled_by_condition(exc):
            raise Conflict("The requirement changed meanwhile; reload and try again.") from exc
        raise
    for k, v in changes.items():
        setattr(item, k, v)
    item.category_key = category_key(item.category)
    item.updated_at = now
    return Requirement.of(item)


def delete_requirement(*, user_id: str, requirement_id: str, meta: RequestMeta, deps: Deps) -> None:
    item = _get_requirement(user_id, requirement_id)
    now = deps.clock.now()
    log = audit.Auditor(actor_id=user_id, at=now, ids=deps.ids, ip=meta.ip)
    with tx.write() as t:
        t.delete(item)
        t.delete(CpdCategoryClaimItem(*CpdCategoryClaimItem.key(user_id, item.category_key)))
        t.save(log.entry("lectern.cpd.requirement_deleted", "cpd_requirement", requirement_id))


# ---------------------------------------------------------------- activities


def create_activity(*, user_id: str, data: dict[str, Any], meta: RequestMeta, deps: Deps) -> Activity:
    now = deps.clock.now()
    log = audit.Auditor(actor_id=user_id, at=now, ids=deps.ids, ip=meta.ip)
    _check_not_future(data["completed_on"], now)
    aid = deps.ids()
    item = CpdActivityItem(
        *CpdActivityItem.key(user_id, aid),
        activity_id=aid,
        user_id=user_id,
        title=data["title"],
        provider=data.get("provider", ""),
        category=data["category"],
        category_key=category_key(data["category"]),
        hours=float(data["hours"]),
        completed_on=data["completed_on"].isoformat(),
        notes=data.get("notes", ""),
        evidence_url=data.get("evidence_url"),
        created_at=now,
        updated_at=now,
    )
    with tx.write() as t:
        t.save(item)
        t.save(log.entry("lectern.cpd.activity_logged", "cpd_activity", aid))
    return Activity.of(item)


def _check_not_future(day: date, now: datetime) -> None:
    if day > now.date():
        raise ValidationFailed.field("completed_on", "cannot be in the future", code="in_future")


def _get_activity(user_id: str, activity_id: str) -> CpdActivityItem:
    try:
        return CpdActivityItem.get(*CpdActivityItem.key(user_id, activity_id), consistent_read=True)
    except CpdActivityItem.DoesNotExist as exc:
        raise NotFound("The CPD activity does not exist.") from exc


def get_activity(user_id: str, activity_id: str) -> Activity:
    return Activity.of(_get_activity(user_id, activity_id))


def list_activities(user_id: str, page: PageRequest) -> Page[Activity]:
    got = query_page(
        CpdActivityItem.query,
        page,
        f"cpdact:{user_id}",
        hash_key=f"USER#{user_id}",
        range_key_condition=CpdActivityItem.sk.startswith(CpdActivityItem.PREFIX),
        scan_index_forward=False,
    )
    return got.map(Activity.of)


def update_activity(
    *, user_id: str, activity_id: str, changes: dict[str, Any], meta: RequestMeta, deps: Deps
) -> Activity:
    item = _get_activity(user_id, activity_id)
    if not changes:
        return Activity.of(item)
    now = deps.clock.now()
    log = audit.Auditor(actor_id=user_id, at=now, ids=deps.ids, ip=meta.ip)
    if "completed_on" in changes:
        _check_not_future(changes["completed_on"], now)
        changes = {**changes, "completed_on": changes["completed_on"].isoformat()}
    changes = {k: float(v) if isinstance(v, Decimal) else v for k, v in changes.items()}
    actions = [getattr(CpdActivityItem, k).set(v) for k, v in changes.items()]
    if "category" in changes:
        actions.append(CpdActivityItem.category_key.set(category_key(changes["category"])))
    actions.append(CpdActivityItem.updated_at.set(now))
    with tx.write() as t:
        t.update(item, actions=actions, condition=CpdActivityItem.pk.exists())
        t.save(
            log.entry(
                "lectern.cpd.activity_updated", "cpd_activity", activity_id, fields=",".join(sorted(changes))
            )
        )
    for k, v in changes.items():
        setattr(item, k, v)
    item.updated_at = now
    return Activity.of(item)


def delete_activity(*, user_id: str, activity_id: str, meta: RequestMeta, deps: Deps) -> None:
    now = deps.clock.now()
    log = audit.Auditor(actor_id=user_id, at=now, ids=deps.ids, ip=meta.ip)
    with tx.write(on_condition_failed=NotFound("The CPD activity does not exist.")) as t:
        t.delete(
            CpdActivityItem(*CpdActivityItem.key(user_id, activity_id)),
            condition=CpdActivityItem.pk.exists(),
        )
        t.save(log.entry("lectern.cpd.activity_deleted", "cpd_activity", activity_id))


# ---------------------------------------------------------------- summary


UNCATEGORISED = "Uncategorised"  # a certificate of an event without a CPD category


@dataclass(frozen=True)
class Earned:
    """One source of CPD hours: a self-logged activity, or a certificate's ledger entry."""

    category: str
    hours: Decimal
    on: date
    source: str  # "activity" | "certificate"


@dataclass
class RequirementProgress:
    requirement: Requirement
    period_start: date
    period_end: date
    hours_earned: Decimal
    hours_remaining: Decimal
    percent_complete: int
    met: bool


@dataclass
class CategoryPeriod:
    category: str
    period_start: date
    period_end: date
    hours: Decimal
    activities: int = 0
    certificates: int = 0
    activity_hours: Decimal = Decimal("0.00")
    certificate_hours: Decimal = Decimal("0.00")


@dataclass
class Summary:
    as_of: date
    requirements: list[RequirementProgress] = field(default_factory=list)
    categories: list[CategoryPeriod] = field(default_factory=list)
    total_hours_current_year: Decimal = Decimal("0.00")


def summary(user_id: str, as_of: date) -> Summary:
    requirements: list[Requirement] = []
    earned: list[Earned] = []
    # One Query over the user's CPD items (requirements, activities and certificate entries all
    # start with "CPD"); a revoked certificate's hours no longer count.
    for item in TableItem.query(f"USER#{user_id}", TableItem.sk.startswith("CPD")):
        if isinstance(item, CpdRequirementItem):
            requirements.append(Requirement.of(item))
        elif isinstance(item, CpdActivityItem):
            a = Activity.of(item)
            earned.append(Earned(a.category, a.hours, a.completed_on, "activity"))
        elif isinstance(item, CpdCertificateEntryItem) and item.status == "valid":
            on = date.fromisoformat(item.completed_on)
            earned.append(Earned(item.category or UNCATEGORISED, _hours(item.hours), on, "certificate"))
    return compute_summary(requirements, earned, as_of)


def compute_summary(requirements: list[Requirement], earned: list[Earned], as_of: date) -> Summary:
    """Pure: hours per category and period, and each requirement's progress in the period that
    contains `as_of`. Categories without a requirement use calendar years."""
    out = Summary(as_of=as_of)
    start_month_by_cat = {category_key(r.category): r.period_start_month for r in requirements}
    display = {category_key(e.category): e.category for e in earned}
    display.update({category_key(r.category): r.category for r in requirements})
    buckets: dict[tuple[str, date], CategoryPeriod] = {}
    for e in earned:
        key = category_key(e.category)
        start, end = period_for(e.on, start_month_by_cat.get(key, 1))
        bucket = buckets.setdefault((key, start), CategoryPeriod(display[key], start, end, Decimal("0.00")))
        bucket.hours += e.hours
        if e.source == "certificate":
            bucket.certificates += 1
            bucket.certificate_hours += e.hours
        else:
            bucket.activities += 1
            bucket.activity_hours += e.hours
    for r in requirements:
        start, end = period_for(as_of, r.period_start_month)
        got = buckets.get((category_key(r.category), start))
        hours = got.hours if got else Decimal("0.00")
        remaining = max(Decimal("0.00"), r.hours_required - hours)
        pct = 100 if r.hours_required == 0 else min(100, int(hours * 100 / r.hours_required))
        out.requirements.append(
            RequirementProgress(r, start, end, hours, remaining, pct, hours >= r.hours_required)
        )
    year_start, year_end = period_for(as_of, 1)
    out.total_hours_current_year = sum(
        (e.hours for e in earned if year_start <= e.on <= year_end), Decimal("0.00")
    )
    out.categories = sorted(
        buckets.values(), key=lambda c: (c.period_start, c.category.casefold()), reverse=True
    )
    out.requirements.sort(key=lambda p: p.requirement.category.casefold())
    return out
