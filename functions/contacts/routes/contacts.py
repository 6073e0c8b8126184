"""Contact lists, contacts and list membership (PRODUCT.md §9; spec-review M2, L1).
Import, export and contacts from an event live in functions/contacts/routes/imports.py."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from lectern.contacts import service
from lectern.contacts.service import Contact, ContactList, ContactSummary
from lectern.deps import default_deps
from lectern.http import BEARER, CursorQuery, LimitQuery, errors, page_request, principal, request_meta
from lectern.schemas import UUIDPath

from functions.contacts.schemas.contacts import (
    ContactAddedOut,
    ContactCreate,
    ContactListCreate,
    ContactListOut,
    ContactListPage,
    ContactListSummaryOut,
    ContactListUpdate,
    ContactOut,
    ContactPage,
    ContactSummaryOut,
    ContactUpdate,
    ListDeletionOut,
    ListRefOut,
)

router = Router()
TAGS = ["contacts"]

DELETE_LIST_RESPONSES: dict[int, OpenAPIResponse] = {
    204: {"description": "The list and all its memberships are gone (its contacts stay)"},
    202: {
        "description": "A very large list: 10,000 memberships were removed; call DELETE again for the rest",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ListDeletionOut"}}},
    },
}


def list_out(c: ContactList) -> ContactListOut:
    return ContactListOut(
        uuid=c.list_id,
        name=c.name,
        description=c.description,
        contact_count=c.contact_count,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def summary_out(c: ContactSummary) -> ContactSummaryOut:
    return ContactSummaryOut(
        uuid=c.contact_id, email=c.email, name=c.name, title=c.title, organization=c.organization
    )


def contact_out(c: Contact) -> ContactOut:
    return ContactOut(
        uuid=c.contact_id,
        email=c.email,
        name=c.name,
        title=c.title,
        organization=c.organization,
        notes=c.notes,
        created_at=c.created_at,
        updated_at=c.updated_at,
        lists=[ListRefOut(uuid=r.list_id, name=r.name, added_at=r.added_at) for r in c.lists],
    )


# ---------------------------------------------------------------- lists


@router.get("/contact-lists", summary="List my contact lists (newest first)", tags=TAGS, security=BEARER)
def list_lists(limit: LimitQuery = 50, cursor: CursorQuery = None) -> ContactListPage:
    page = service.list_lists(principal(router).user_id, page_request(limit, cursor))
    return ContactListPage(
        items=[
            ContactListSummaryOut(
                uuid=c.list_id, name=c.name, contact_count=c.contact_count, updated_at=c.updated_at
            )
            for c in page.items
        ],
        next_cursor=page.next_cursor,
    )


@router.post("/contact-lists", summary="Create a contact list", tags=TAGS, status_code=201, security=BEARER)
def create_list(body: ContactListCreate) -> ContactListOut:
    c = service.create_list(
        owner_id=principal(router).user_id,
        name=body.name,
        description=body.description,
        meta=request_meta(router),
        deps=default_deps(),
    )
    return list_out(c)


@router.get("/contact-lists/<list_id>", summary="A contact list", tags=TAGS, security=BEARER)
def get_list(list_id: Annotated[UUIDPath, Path()]) -> ContactListOut:
    return list_out(service.get_list(principal(router).user_id, str(list_id)))


@router.patch(
    "/contact-lists/<list_id>", summary="Rename or describe a contact list", tags=TAGS, security=BEARER
)
def update_list(list_id: Annotated[UUIDPath, Path()], body: ContactListUpdate) -> ContactListOut:
    c = service.update_list(
        owner_id=principal(router).user_id,
        list_id=str(list_id),
        changes=body.model_dump(exclude_unset=True),
        meta=request_meta(router),
        deps=default_deps(),
    )
    return list_out(c)


@router.delete(
    "/contact-lists/<list_id>",
    summary="Delete a contact list (its memberships go; the contacts stay)",
    description=(
        "Removes up to 10,000 memberships per request. A larger list answers 202 with how many "
        "memberships remain (the list stays, with a lower count); call DELETE again to continue."
    ),
    tags=TAGS,
    security=BEARER,
    responses=DELETE_LIST_RESPONSES,
)
def delete_list(list_id: Annotated[UUIDPath, Path()]) -> Response[str]:
    d = service.delete_list(
        owner_id=principal(router).user_id,
        list_id=str(list_id),
        meta=request_meta(router),
        deps=default_deps(),
    )
    if d.deleted:
        return Response(204, None, "")
    out = ListDeletionOut(
        deleted=False,
        removed_memberships=d.removed_memberships,
        remaining_memberships=d.remaining_memberships,
    )
    return Response(202, "application/json", out.model_dump_json())


# ---------------------------------------------------------------- contacts


@router.get(
    "/contact-lists/<list_id>/contacts",
    summary="The contacts in a list (ordered by email)",
    tags=TAGS,
    security=BEARER,
)
def list_members(
    list_id: Annotated[UUIDPath, Path()], limit: LimitQuery = 50, cursor: CursorQuery = None
) -> ContactPage:
    page = service.list_members(principal(router).user_id, str(list_id), page_request(limit, cursor))
    return ContactPage(items=[summary_out(c) for c in page.items], next_cursor=page.next_cursor)


@router.post(
    "/contact-lists/<list_id>/contacts",
    summary="Add a contact to a list (a new one, or my existing contact with this email)",
    description=(
        "One contact per email address per organiser, case-insensitively. When I already have a "
        "contact with this address, that contact (unchanged — PATCH /contacts/{uuid} changes it) is "
        "added to the list and the answer is 200 with `created: false`; a new contact is 201."
    ),
    tags=TAGS,
    status_code=201,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def add_member(list_id: Annotated[UUIDPath, Path()], body: ContactCreate) -> Response[ContactAddedOut]:
    added = service.add_to_list(
        owner_id=principal(router).user_id,
        list_id=str(list_id),
        fields=body.model_dump(),
        meta=request_meta(router),
        deps=default_deps(),
    )
    out = ContactAddedOut(
        created=added.created, already_in_list=added.already_in_list, contact=contact_out(added.contact)
    )
    return Response(201 if added.created else 200, "application/json", out)


@router.delete(
    "/contact-lists/<list_id>/contacts/<contact_id>",
    summary="Remove a contact from a list (the contact stays)",
    tags=TAGS,
    status_code=204,
    security=BEARER,
)
def remove_member(list_id: Annotated[UUIDPath, Path()], contact_id: Annotated[UUIDPath, Path()]) -> None:
    service.remove_from_list(
        owner_id=principal(router).user_id,
        list_id=str(list_id),
        contact_id=str(contact_id),
        meta=request_meta(router),
        deps=default_deps(),
    )


@router.get("/contacts", summary="All my contacts (ordered by email)", tags=TAGS, security=BEARER)
def list_contacts(limit: LimitQuery = 50, cursor: CursorQuery = None) -> ContactPage:
    page = service.list_contacts(principal(router).user_id, page_request(limit, cursor))
    return ContactPage(items=[summary_out(c) for c in page.items], next_cursor=page.next_cursor)


@router.get(
    "/contacts/<contact_id>", summary="A contact, with the lists it is in", tags=TAGS, security=BEARER
)
def get_contact(contact_id: Annotated[UUIDPath, Path()]) -> ContactOut:
    return contact_out(service.get_contact(principal(router).user_id, str(contact_id)))


@router.patch(
    "/contacts/<contact_id>",
    summary="Change a contact (every list it is in shows the change)",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def update_contact(contact_id: Annotated[UUIDPath, Path()], body: ContactUpdate) -> ContactOut:
    c = service.update_contact(
        owner_id=principal(router).user_id,
        contact_id=str(contact_id),
        changes=body.model_dump(exclude_unset=True),
        meta=request_meta(router),
        deps=default_deps(),
    )
    return contact_out(c)


@router.delete(
    "/contacts/<contact_id>",
    summary="Delete a contact (and its memberships of every list)",
    tags=TAGS,
    status_code=204,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def delete_contact(contact_id: Annotated[UUIDPath, Path()]) -> None:
    service.delete_contact(
        owner_id=principal(router).user_id,
        contact_id=str(contact_id),
        meta=request_meta(router),
        deps=default_deps(),
    )
