"""Contact lists, contacts and list membership (PRODUCT.md §9; spec-review M2, L1): CRUD, one
contact per email per organiser, membership copies kept in step, other organisers' ids (404),
pagination, audit entries and the DynamoDB calls per operation."""

from __future__ import annotations

import uuid

import pytest
from lectern.data.audit import AuditItem
from lectern.data.contacts import ContactEmailItem, ContactItem, ContactListItem, ListMembershipItem

import functions.contacts.handler
from tests.support.builders import verified_account
from tests.support.calls import dynamodb_calls
from tests.support.events import user_id_of


@pytest.fixture
def owner(api):
    return verified_account(api)


@pytest.fixture
def count(monkeypatch):
    return dynamodb_calls(monkeypatch, functions.contacts.handler)


def make_list(api, owner, name="Speakers", **kw):
    r = api.post("/contact-lists/", {"name": name, **kw}, token=owner.token)
    assert r.status == 201, r.json
    return r.json


def add(api, owner, list_id, email, **kw):
    return api.post(f"/contact-lists/{list_id}/contacts/", {"email": email, **kw}, token=owner.token)


def audit_actions(resource_type, resource_id):
    return [i.action for i in AuditItem.query(f"AUDIT#{resource_type}#{resource_id}")]


# ------------------------------------------------------------------ lists


def test_list_crud_round_trip(api, owner):
    created = make_list(api, owner, "Speakers 2026", description="Invited speakers")
    assert created["contact_count"] == 0 and created["description"] == "Invited speakers"
    lid = created["uuid"]
    assert api.get(f"/contact-lists/{lid}/", token=owner.token).json == created

    r = api.patch(f"/contact-lists/{lid}/", {"name": "Keynotes"}, token=owner.token)
    assert r.status == 200 and r.json["name"] == "Keynotes" and r.json["description"] == "Invited speakers"

    page = api.get("/contact-lists/", token=owner.token).json
    assert page["next_cursor"] is None
    # L1: the list items are lighter than the detail
    assert page["items"] == [
        {"uuid": lid, "name": "Keynotes", "contact_count": 0, "updated_at": r.json["updated_at"]}
    ]

    assert api.delete(f"/contact-lists/{lid}/", token=owner.token).status == 204
    assert api.get(f"/contact-lists/{lid}/", token=owner.token).status == 404
    assert audit_actions("contact_list", lid) == [
        "lectern.contact_list.created",
        "lectern.contact_list.updated",
        "lectern.contact_list.deleted",
    ]


def test_list_validation_names_fields(api, owner):
    r = api.post("/contact-lists/", {"name": ""}, token=owner.token)
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "name"
    lid = make_list(api, owner)["uuid"]
    r = api.patch(f"/contact-lists/{lid}/", {"name": None}, token=owner.token)
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "name"


def test_lists_are_paginated(api, owner):
    ids = [make_list(api, owner, f"List {n}")["uuid"] for n in range(5)]
    seen, cursor = [], None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = api.get("/contact-lists/", token=owner.token, query=query).json
        assert len(page["items"]) <= 2
        seen += [i["uuid"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))  # newest first


def test_a_cursor_of_another_listing_is_400(api, owner):
    for n in range(3):
        make_list(api, owner, f"L{n}")
    cursor = api.get("/contact-lists/", token=owner.token, query={"limit": "1"}).json["next_cursor"]
    r = api.get("/contacts/", token=owner.token, query={"cursor": cursor})
    assert r.status == 400 and r.error_code == "invalid_cursor"


# ------------------------------------------------------------------ contacts


def test_adding_a_contact_creates_it_and_counts_it(api, owner):
    lid = make_list(api, owner)["uuid"]
    r = add(
        api, owner, lid, "Ada@Example.ORG", name="Ada Lovelace", title="Dr", organization="AE", notes="VIP"
    )
    assert r.status == 201, r.json
    assert r.json["created"] is True and r.json["already_in_list"] is False
    contact = r.json["contact"]
    assert contact["email"] == "ada@example.org"
    assert (contact["name"], contact["title"], contact["organization"], contact["notes"]) == (
        "Ada Lovelace",
        "Dr",
        "AE",
        "VIP",
    )
    assert [x["uuid"] for x in contact["lists"]] == [lid]
    assert api.get(f"/contact-lists/{lid}/", token=owner.token).json["contact_count"] == 1

    members = api.get(f"/contact-lists/{lid}/contacts/", token=owner.token).json
    assert members["items"] == [
        {
            "uuid": contact["uuid"],
            "email": "ada@example.org",
            "name": "Ada Lovelace",
            "title": "Dr",
            "organization": "AE",
        }
    ]
    detail = api.get(f"/contacts/{contact['uuid']}/", token=owner.token).json
    assert detail["notes"] == "VIP" and detail["lists"][0]["name"] == "Speakers"
    assert audit_actions("contact", contact["uuid"]) == ["lectern.contact.created"]


def test_one_contact_per_email_case_insensitively(api, owner):
    a = make_list(api, owner, "A")["uuid"]
    b = make_list(api, owner, "B")["uuid"]
    first = add(api, owner, a, "bob@example.org", name="Bob").json["contact"]
    r = add(api, owner, b, "BOB@example.org", name="Robert")
    assert r.status == 200 and r.json["created"] is False
    assert r.json["contact"]["uuid"] == first["uuid"]
    assert r.json["contact"]["name"] == "Bob"  # existing contacts are not changed by an add
    assert {x["uuid"] for x in r.json["contact"]["lists"]} == {a, b}
    again = add(api, owner, b, "bob@EXAMPLE.org")
    assert again.status == 200 and again.json["already_in_list"] is True
    assert api.get(f"/contact-lists/{b}/", token=owner.token).json["contact_count"] == 1
    page = api.get("/contacts/", token=owner.token).json
    assert [c["email"] for c in page["items"]] == ["bob@example.org"]
    assert "notes" not in page["items"][0]  # L1


def test_another_organiser_has_their_own_contact_for_the_same_email(api, owner):
    other = verified_account(api)
    mine = add(api, owner, make_list(api, owner)["uuid"], "carol@example.org").json["contact"]
    theirs = add(api, other, make_list(api, other)["uuid"], "carol@example.org")
    assert theirs.status == 201 and theirs.json["contact"]["uuid"] != mine["uuid"]


def test_invalid_email_is_422(api, owner):
    lid = make_list(api, owner)["uuid"]
    r = add(api, owner, lid, "not-an-email")
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "email"
    assert api.get(f"/contact-lists/{lid}/", token=owner.token).json["contact_count"] == 0


def test_patch_updates_the_contact_and_every_list_copy(api, owner):
    a = make_list(api, owner, "A")["uuid"]
    b = make_list(api, owner, "B")["uuid"]
    cid = add(api, owner, a, "dan@example.org", name="Dan").json["contact"]["uuid"]
    add(api, owner, b, "dan@example.org")
    r = api.patch(
        f"/contacts/{cid}/",
        {"name": "Daniel", "email": "Daniel@Example.org", "notes": "n"},
        token=owner.token,
    )
    assert r.status == 200, r.json
    assert r.json["email"] == "daniel@example.org" and r.json["name"] == "Daniel"
    for lid in (a, b):
        items = api.get(f"/contact-lists/{lid}/contacts/", token=owner.token).json["items"]
        assert [(i["email"], i["name"]) for i in items] == [("daniel@example.org", "Daniel")]
    # the claim moved: the old address is free, the new one is this contact's
    uid = user_id_of(owner.token)
    assert ContactEmailItem.get(*ContactEmailItem.key(uid, "daniel@example.org")).contact_id == cid
    old = ContactEmailItem.get(*ContactEmailItem.key(uid, "dan@example.org"))
    assert old.contact_id is None  # retired: free for a new contact
    fresh = add(api, owner, a, "dan@example.org", name="Another Dan")
    assert fresh.status == 201 and fresh.json["contact"]["uuid"] != cid
    assert audit_actions("contact", cid) == ["lectern.contact.created", "lectern.contact.updated"]


def test_patch_to_a_taken_email_is_409_and_changes_nothing(api, owner):
    lid = make_list(api, owner)["uuid"]
    eve = add(api, owner, lid, "eve@example.org", name="Eve").json["contact"]
    add(api, owner, lid, "fay@example.org")
    r = api.patch(f"/contacts/{eve['uuid']}/", {"email": "FAY@example.org", "name": "X"}, token=owner.token)
    assert r.status == 409 and r.error_code == "email_taken"
    got = api.get(f"/contacts/{eve['uuid']}/", token=owner.token).json
    assert (got["email"], got["name"]) == ("eve@example.org", "Eve")


def test_patch_validation(api, owner):
    lid = make_list(api, owner)["uuid"]
    cid = add(api, owner, lid, "gus@example.org").json["contact"]["uuid"]
    for body, field in (
        ({"email": "nope"}, "email"),
        ({"name": None}, "name"),
        ({"notes": "x" * 5001}, "notes"),
    ):
        r = api.patch(f"/contacts/{cid}/", body, token=owner.token)
        assert r.status == 422 and r.json["error"]["details"][0]["field"] == field, r.json


def test_removing_from_a_list_keeps_the_contact(api, owner):
    lid = make_list(api, owner)["uuid"]
    cid = add(api, owner, lid, "hal@example.org").json["contact"]["uuid"]
    assert api.delete(f"/contact-lists/{lid}/contacts/{cid}/", token=owner.token).status == 204
    assert api.get(f"/contact-lists/{lid}/", token=owner.token).json["contact_count"] == 0
    assert api.get(f"/contacts/{cid}/", token=owner.token).json["lists"] == []
    assert api.delete(f"/contact-lists/{lid}/contacts/{cid}/", token=owner.token).status == 404
    assert api.delete(f"/contact-lists/{lid}/contacts/{uuid.uuid4()}/", token=owner.token).status == 404


def test_deleting_a_contact_removes_it_from_its_lists(api, owner):
    a = make_list(api, owner, "A")["uuid"]
    b = make_list(api, owner, "B")["uuid"]
    cid = add(api, owner, a, "ivy@example.org").json["contact"]["uuid"]
    add(api, owner, b, "ivy@example.org")
    assert api.delete(f"/contacts/{cid}/", token=owner.token).status == 204
    assert api.get(f"/contacts/{cid}/", token=owner.token).status == 404
    for lid in (a, b):
        assert api.get(f"/contact-lists/{lid}/", token=owner.token).json["contact_count"] == 0
        assert api.get(f"/contact-lists/{lid}/contacts/", token=owner.token).json["items"] == []
    uid = user_id_of(owner.token)
    with pytest.raises(ContactEmailItem.DoesNotExist):
        ContactEmailItem.get(*ContactEmailItem.key(uid, "ivy@example.org"))
    assert audit_actions("contact", cid) == ["lectern.contact.created", "lectern.contact.deleted"]
    again = add(api, owner, a, "ivy@example.org")
    assert again.status == 201
    assert again.json["contact"]["uuid"] == cid  # the deterministic id is free again


def test_deleting_a_list_removes_memberships_not_contacts(api, owner):
    lid = make_list(api, owner)["uuid"]
    ids = [add(api, owner, lid, f"p{n}@example.org").json["contact"]["uuid"] for n in range(30)]
    assert api.delete(f"/contact-lists/{lid}/", token=owner.token).status == 204
    for cid in ids:
        assert (
            list(ListMembershipItem.query(f"CONTACT#{cid}", ListMembershipItem.sk.startswith("LIST#"))) == []
        )
        assert api.get(f"/contacts/{cid}/", token=owner.token).json["lists"] == []


def test_deleting_a_huge_list_is_bounded_and_resumable(api, owner, monkeypatch):
    from lectern.contacts import service

    monkeypatch.setattr(service, "DELETE_BOUND", 10)
    monkeypatch.setattr(service, "DELETE_PAGE", 4)
    lid = make_list(api, owner)["uuid"]
    for n in range(25):
        add(api, owner, lid, f"q{n}@example.org")
    r = api.delete(f"/contact-lists/{lid}/", token=owner.token)
    assert r.status == 202 and r.json == {
        "deleted": False,
        "removed_memberships": 10,
        "remaining_memberships": 15,
    }
    assert api.get(f"/contact-lists/{lid}/", token=owner.token).json["contact_count"] == 15
    assert api.delete(f"/contact-lists/{lid}/", token=owner.token).status == 202
    assert api.delete(f"/contact-lists/{lid}/", token=owner.token).status == 204
    assert api.get("/contacts/", token=owner.token, query={"limit": "200"}).json["items"].__len__() == 25


def test_contacts_are_paginated_by_email(api, owner):
    lid = make_list(api, owner)["uuid"]
    emails = [f"z{n:02d}@example.org" for n in range(7)]
    for e in reversed(emails):
        add(api, owner, lid, e)
    for path in ("/contacts/", f"/contact-lists/{lid}/contacts/"):
        seen, cursor = [], None
        while True:
            query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
            page = api.get(path, token=owner.token, query=query).json
            seen += [i["email"] for i in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == emails, path


# ------------------------------------------------------------------ tenancy and auth


def test_other_organisers_lists_and_contacts_are_404(api, owner):
    mallory = verified_account(api)
    lid = make_list(api, owner)["uuid"]
    cid = add(api, owner, lid, "jo@example.org").json["contact"]["uuid"]
    t = mallory.token
    assert api.get(f"/contact-lists/{lid}/", token=t).status == 404
    assert api.patch(f"/contact-lists/{lid}/", {"name": "x"}, token=t).status == 404
    assert api.delete(f"/contact-lists/{lid}/", token=t).status == 404
    assert api.get(f"/contact-lists/{lid}/contacts/", token=t).status == 404
    assert api.post(f"/contact-lists/{lid}/contacts/", {"email": "m@example.org"}, token=t).status == 404
    assert api.delete(f"/contact-lists/{lid}/contacts/{cid}/", token=t).status == 404
    assert api.get(f"/contacts/{cid}/", token=t).status == 404
    assert api.patch(f"/contacts/{cid}/", {"name": "x"}, token=t).status == 404
    assert api.delete(f"/contacts/{cid}/", token=t).status == 404
    assert api.get("/contacts/", token=t).json["items"] == []
    assert api.get("/contact-lists/", token=t).json["items"] == []
    # mallory's own list cannot take owner's contact out of owner's list either
    own = make_list(api, mallory)["uuid"]
    assert api.delete(f"/contact-lists/{own}/contacts/{cid}/", token=t).status == 404
    assert api.get(f"/contact-lists/{lid}/", token=owner.token).json["contact_count"] == 1
    assert api.get(f"/contacts/{cid}/", token=owner.token).json["name"] == ""


def test_unknown_ids_and_missing_tokens(api, owner):
    nope = str(uuid.uuid4())
    assert api.get(f"/contact-lists/{nope}/", token=owner.token).status == 404
    assert api.get(f"/contacts/{nope}/", token=owner.token).status == 404
    assert api.get("/contact-lists/", token=None).status == 401
    assert api.get("/contacts/", token="garbage").status == 401
    assert api.get("/contact-lists/not-a-uuid/", token=owner.token).status == 422


# ------------------------------------------------------------------ calls per operation


def test_dynamodb_calls_per_operation(api, owner, count):
    t = owner.token
    assert count(lambda: api.post("/contact-lists/", {"name": "L"}, token=t)) == {"TransactWriteItems": 1}
    lid = api.get("/contact-lists/", token=t).json["items"][0]["uuid"]
    assert count(lambda: api.get("/contact-lists/", token=t)) == {"Query": 1}
    assert count(lambda: api.get(f"/contact-lists/{lid}/", token=t)) == {"GetItem": 1}
    assert count(lambda: api.patch(f"/contact-lists/{lid}/", {"name": "M"}, token=t)) == {
        "GetItem": 1,
        "TransactWriteItems": 1,
    }
    assert count(lambda: add(api, owner, lid, "k@example.org")) == {
        "BatchGetItem": 1,
        "TransactWriteItems": 1,
    }
    cid = api.get("/contacts/", token=t).json["items"][0]["uuid"]
    other = make_list(api, owner, "Other")["uuid"]
    # an existing contact: + BatchGetItem (contact, membership); the answer's detail is a Query
    # of its partition + BatchGetItem of its lists' names
    assert count(lambda: add(api, owner, other, "k@example.org")) == {
        "BatchGetItem": 3,
        "TransactWriteItems": 1,
        "Query": 1,
    }
    assert count(lambda: api.get(f"/contact-lists/{lid}/contacts/", token=t)) == {"GetItem": 1, "Query": 1}
    assert count(lambda: api.get("/contacts/", token=t)) == {"Query": 1}
    assert count(lambda: api.get(f"/contacts/{cid}/", token=t)) == {"Query": 1, "BatchGetItem": 1}
    assert count(lambda: api.patch(f"/contacts/{cid}/", {"name": "K"}, token=t)) == {
        "Query": 1,
        "TransactWriteItems": 1,
        "BatchGetItem": 1,  # list names for the answer
    }
    assert count(lambda: api.delete(f"/contact-lists/{other}/contacts/{cid}/", token=t)) == {
        "GetItem": 1,
        "TransactWriteItems": 1,
    }
    assert count(lambda: api.delete(f"/contacts/{cid}/", token=t)) == {
        "Query": 1,
        "BatchGetItem": 1,
        "TransactWriteItems": 1,
    }
    assert count(lambda: api.delete(f"/contact-lists/{lid}/", token=t)) == {
        "GetItem": 1,
        "Query": 1,
        "TransactWriteItems": 1,
    }


def test_stored_items_follow_the_data_model(api, owner):
    uid = user_id_of(owner.token)
    lid = make_list(api, owner)["uuid"]
    cid = add(api, owner, lid, "Lee@Example.org", name="Lee").json["contact"]["uuid"]
    lst = ContactListItem.get(f"OWNER#{uid}", f"CLIST#{lid}")
    assert lst.contact_count == 1
    c = ContactItem.get(f"CONTACT#{cid}", "CONTACT")
    assert (c.gsi2pk, c.gsi2sk) == (f"OWNER#{uid}#CONTACTS", f"lee@example.org#{cid}")
    m = ListMembershipItem.get(f"CONTACT#{cid}", f"LIST#{lid}")
    assert (m.gsi1pk, m.gsi1sk, m.name) == (f"CLIST#{lid}", f"lee@example.org#{cid}", "Lee")
    assert ContactEmailItem.get(f"OWNER#{uid}", "CEMAIL#lee@example.org").contact_id == cid


def test_bulk_attribute_maps_equal_the_models_serialisation():
    from datetime import UTC, datetime

    from lectern.contacts.service import claim, membership, new_contact
    from lectern.data.contacts import raw_claim, raw_contact, raw_membership, serialized_time

    now = datetime.now(UTC)
    fields = {"name": "N", "title": "", "organization": "O", "notes": "x"}
    model = new_contact("own", "cid", {**fields, "email": "A@B.org"}, now)
    assert raw_contact("own", "cid", "A@B.org", fields, serialized_time(now)) == model.serialize()
    assert raw_claim("own", "a@b.org", "cid") == claim("own", "A@b.org", "cid").serialize()
    assert (
        raw_membership("own", "cid", "l", "A@b.org", fields, serialized_time(now))
        == membership(model, "l", now).serialize()
    )


def test_a_contact_in_more_lists_than_one_transaction_holds(api, owner, monkeypatch):
    from lectern.contacts import service

    monkeypatch.setattr(service, "TX_LIMIT", 6)  # room for 2 copies in the first transaction
    lists = [make_list(api, owner, f"L{n}")["uuid"] for n in range(5)]
    cid = None
    for lid in lists:
        cid = add(api, owner, lid, "many@example.org").json["contact"]["uuid"]
    r = api.patch(f"/contacts/{cid}/", {"name": "Renamed", "email": "many2@example.org"}, token=owner.token)
    assert r.status == 200, r.json
    assert len(r.json["lists"]) == 5
    for lid in lists:
        items = api.get(f"/contact-lists/{lid}/contacts/", token=owner.token).json["items"]
        assert [(i["email"], i["name"]) for i in items] == [("many2@example.org", "Renamed")]
    assert api.delete(f"/contacts/{cid}/", token=owner.token).status == 204
    for lid in lists:
        assert api.get(f"/contact-lists/{lid}/", token=owner.token).json["contact_count"] == 0
        assert api.get(f"/contact-lists/{lid}/contacts/", token=owner.token).json["items"] == []


def test_patch_to_the_same_email_in_another_case_changes_nothing(api, owner):
    lid = make_list(api, owner)["uuid"]
    cid = add(api, owner, lid, "same@example.org").json["contact"]["uuid"]
    r = api.patch(f"/contacts/{cid}/", {"email": "SAME@example.org"}, token=owner.token)
    assert r.status == 200 and r.json["email"] == "same@example.org"
