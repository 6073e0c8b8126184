"""Matrix factories for invitations (outreach group), and the helpers the invitation tests share:
a contact list stored as the data model describes it, and the bus pumped into the consumer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lectern.data.base import TableItem
from lectern.data.invitations import InvitationRunItem
from lectern.ids import new_id

from tests.support.events import make_event, user_id_of

INVITE_BODY = {"emails": ["matrix-invitee@example.org"]}


def _invitation(api: Any, owner: Any) -> str:
    event = make_event(owner.token)
    r = api.post(f"/events/{event.event_id}/invitations/", INVITE_BODY, token=owner.token)
    assert r.status == 201, r.json
    return str(r.json["results"][0]["invitation"])


def _run(api: Any, owner: Any) -> str:
    event = make_event(owner.token)
    now = datetime.now(UTC)
    run_id = new_id()
    InvitationRunItem(
        *InvitationRunItem.key(event.event_id, run_id),
        run_id=run_id,
        event_id=event.event_id,
        owner_id=event.owner_id,
        contact_list_id=new_id(),
        status="running",
        created_at=now,
        updated_at=now,
    ).save()
    return run_id


FACTORIES = {"invitation_id": _invitation, "invitation_run_id": _run}

BODIES = {
    "/events/{event_id}/invitations": INVITE_BODY,
    "/invitations/decline": {"token": "not-a-token"},
}


# ------------------------------------------------------------------ shared test helpers


def _ts(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f+0000")


def make_contact_list(owner_token: str, emails: list[str]) -> str:
    """A contact list of the token's user with these members, written as the data model's
    `ContactList` and `ListMembership` items (independent of the contacts routes)."""
    owner_id = user_id_of(owner_token)
    list_id = new_id()
    now = _ts(datetime.now(UTC))
    client = TableItem._get_connection().connection.client
    table = TableItem.Meta.table_name
    client.put_item(
        TableName=table,
        Item={
            "PK": {"S": f"OWNER#{owner_id}"},
            "SK": {"S": f"CLIST#{list_id}"},
            "entity": {"S": "ContactList"},
            "list_id": {"S": list_id},
            "owner_id": {"S": owner_id},
            "name": {"S": "Test list"},
            "description": {"S": ""},
            "contact_count": {"N": str(len(emails))},
            "created_at": {"S": now},
            "updated_at": {"S": now},
        },
    )
    for email in emails:
        contact_id = new_id()
        norm = email.strip().casefold()
        client.put_item(
            TableName=table,
            Item={
                "PK": {"S": f"CONTACT#{contact_id}"},
                "SK": {"S": f"LIST#{list_id}"},
                "GSI1PK": {"S": f"CLIST#{list_id}"},
                "GSI1SK": {"S": f"{norm}#{contact_id}"},
                "entity": {"S": "ListMembership"},
                "contact_id": {"S": contact_id},
                "list_id": {"S": list_id},
                "owner_id": {"S": owner_id},
                "email": {"S": norm},
                "name": {"S": ""},
                "title": {"S": ""},
                "organization": {"S": ""},
                "added_at": {"S": now},
            },
        )
    return list_id


def pump(publisher: Any, deps: Any) -> list[str]:
    """Deliver what was published to the invitations consumer until nothing is left (as the
    EventBridge rule → SQS → Lambda wiring would); the consumer's outcomes in order."""
    from functions.workers.invitations import handle

    outcomes = []
    while publisher.events:
        e = publisher.events.pop(0)
        envelope = {"source": "lectern", "detail-type": e.detail_type, "detail": e.detail()}
        outcomes.append(handle(envelope, deps))
    return outcomes
