"""My CPD requirements, self-logged activities and the summary against requirements."""

from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from lectern.cpd import service
from lectern.cpd.service import Activity, Requirement
from lectern.deps import default_deps
from lectern.http import BEARER, CursorQuery, LimitQuery, errors, page_request, principal, request_meta
from lectern.schemas import UUIDPath

from functions.users.schemas import (
    CategoryPeriodOut,
    CpdActivityCreate,
    CpdActivityOut,
    CpdActivityPage,
    CpdActivityUpdate,
    CpdRequirementCreate,
    CpdRequirementOut,
    CpdRequirementPage,
    CpdRequirementUpdate,
    CpdSummaryOut,
    RequirementProgressOut,
)

router = Router()
TAGS = ["cpd"]


def requirement_out(r: Requirement) -> CpdRequirementOut:
    return CpdRequirementOut(
        uuid=r.requirement_id,
        category=r.category,
        hours_required=float(r.hours_required),
        period=r.period,
        period_start_month=r.period_start_month,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def activity_out(a: Activity) -> CpdActivityOut:
    return CpdActivityOut(
        uuid=a.activity_id,
        title=a.title,
        provider=a.provider,
        category=a.category,
        hours=float(a.hours),
        completed_on=a.completed_on,
        notes=a.notes,
        evidence_url=a.evidence_url,
        created_at=a.created_at,
        updated_at=a.updated_at,
    )


@router.get("/users/me/cpd-requirements", summary="List my CPD requirements", tags=TAGS, security=BEARER)
def list_requirements(limit: LimitQuery = 50, cursor: CursorQuery = None) -> CpdRequirementPage:
    page = service.list_requirements(principal(router).user_id, page_request(limit, cursor))
    return CpdRequirementPage(items=[requirement_out(r) for r in page.items], next_cursor=page.next_cursor)


@router.post(
    "/users/me/cpd-requirements",
    summary="Add a CPD requirement (one per category)",
    tags=TAGS,
    status_code=201,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def create_requirement(body: CpdRequirementCreate) -> CpdRequirementOut:
    r = service.create_requirement(
        user_id=principal(router).user_id,
        category=body.category,
        hours_required=body.hours_required,
        period=body.period,
        period_start_month=body.period_start_month,
        meta=request_meta(router),
        deps=default_deps(),
    )
    return requirement_out(r)


@router.get(
    "/users/me/cpd-requirements/<requirement_id>",
    summary="One of my CPD requirements",
    tags=TAGS,
    security=BEARER,
)
def get_requirement(requirement_id: Annotated[UUIDPath, Path()]) -> CpdRequirementOut:
    return requirement_out(service.get_requirement(principal(router).user_id, str(requirement_id)))


@router.patch(
    "/users/me/cpd-requirements/<requirement_id>",
    summary="Change a CPD requirement",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def update_requirement(
    requirement_id: Annotated[UUIDPath, Path()], body: CpdRequirementUpdate
) -> CpdRequirementOut:
    r = service.update_requirement(
        user_id=principal(router).user_id,
        requirement_id=str(requirement_id),
        changes=body.model_dump(exclude_unset=True, exclude_none=True),
        meta=request_meta(router),
        deps=default_deps(),
    )
    return requirement_out(r)


@router.delete(
    "/users/me/cpd-requirements/<requirement_id>",
    summary="Remove a CPD requirement",
    tags=TAGS,
    status_code=204,
    security=BEARER,
)
def delete_requirement(requirement_id: Annotated[UUIDPath, Path()]) -> None:
    service.delete_requirement(
        user_id=principal(router).user_id,
        requirement_id=str(requirement_id),
        meta=request_meta(router),
        deps=default_deps(),
    )


@router.get(
    "/users/me/cpd-activities",
    summary="List my self-logged CPD activities (newest first)",
    tags=TAGS,
    security=BEARER,
)
def list_activities(limit: LimitQuery = 50, cursor: CursorQuery = None) -> CpdActivityPage:
    page = service.list_activities(principal(router).user_id, page_request(limit, cursor))
    return CpdActivityPage(items=[activity_out(a) for a in page.items], next_cursor=page.next_cursor)


@router.post(
    "/users/me/cpd-activities",
    summary="Log an external CPD activity",
    tags=TAGS,
    status_code=201,
    security=BEARER,
)
def create_activity(body: CpdActivityCreate) -> CpdActivityOut:
    data = body.model_dump()
    if body.evidence_url is not None:
        data["evidence_url"] = str(body.evidence_url)
    a = service.create_activity(
        user_id=principal(router).user_id, data=data, meta=request_meta(router), deps=default_deps()
    )
    return activity_out(a)


@router.get(
    "/users/me/cpd-activities/<activity_id>", summary="One of my CPD activities", tags=TAGS, security=BEARER
)
def get_activity(activity_id: Annotated[UUIDPath, Path()]) -> CpdActivityOut:
    return activity_out(service.get_activity(principal(router).user_id, str(activity_id)))


@router.patch(
    "/users/me/cpd-activities/<activity_id>", summary="Correct a CPD activity", tags=TAGS, security=BEARER
)
def update_activity(activity_id: Annotated[UUIDPath, Path()], body: CpdActivityUpdate) -> CpdActivityOut:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "evidence_url" in changes:
        changes["evidence_url"] = str(changes["evidence_url"])
    a = service.update_activity(
        user_id=principal(router).user_id,
        activity_id=str(activity_id),
        changes=changes,
        meta=request_meta(router),
        deps=default_deps(),
    )
    return activity_out(a)


@router.delete(
    "/users/me/cpd-activities/<activity_id>",
    summary="Delete a CPD activity",
    tags=TAGS,
    status_code=204,
    security=BEARER,
)
def delete_activity(activity_id: Annotated[UUIDPath, Path()]) -> None:
    service.delete_activity(
        user_id=principal(router).user_id,
        activity_id=str(activity_id),
        meta=request_meta(router),
        deps=default_deps(),
    )


@router.get(
    "/users/me/cpd-summary",
    summary="Hours earned per category and period against my requirements",
    tags=TAGS,
    security=BEARER,
)
def cpd_summary(
    as_of: Annotated[date | None, Query(description="Date whose periods to report (default today)")] = None,
) -> CpdSummaryOut:
    day = as_of or default_deps().clock.now().date()
    s = service.summary(principal(router).user_id, day)
    return CpdSummaryOut(
        as_of=s.as_of,
        total_hours_current_year=float(s.total_hours_current_year),
        requirements=[
            RequirementProgressOut(
                requirement=requirement_out(p.requirement),
                period_start=p.period_start,
                period_end=p.period_end,
                hours_earned=float(p.hours_earned),
                hours_remaining=float(p.hours_remaining),
                percent_complete=p.percent_complete,
                met=p.met,
            )
            for p in s.requirements
        ],
        categories=[
            CategoryPeriodOut(
                category=c.category,
                period_start=c.period_start,
                period_end=c.period_end,
                hours=float(c.hours),
                activities=c.activities,
                certificates=c.certificates,
                activity_hours=float(c.activity_hours),
                certificate_hours=float(c.certificate_hours),
            )
            for c in s.categories
        ],
    )
