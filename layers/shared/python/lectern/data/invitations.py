"""Invitation entities (issue 6).

| entity        | PK               | SK                          | GSI1PK / GSI1SK            | TTL  |
|---------------|------------------|-----------------------------|----------------------------|------|
| Invitation    | EVENT#<event_id> | INVITE#<casefolded email>   | INVITE#<invitation_id> / INVITE | —    |
| InvitationRun | EVENT#<event_id> | INVRUN#<run_id>             | —                          | 30 d |

An invitation is ONE item (so n invitations are ⌈n/25⌉ BatchWriteItem calls), keyed by its
address: one invitation per email per event, found by BatchGetItem before writing. The GSI1 entry
maps the uuid in the organiser's routes to it.

Mail bookkeeping: `mail_seq` counts the mails asked for (1 at creation, +1 per resend),
`mailed_seq` the mails claimed for sending. The mail consumer claims with a conditional update
(`mailed_seq < mail_seq`) before sending, so a redelivered bus message never mails one invitation
twice, and releases the claim when SES refuses so the retry sends it.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from lectern.data.base import TableItem

STATUSES = ("sent", "registered", "declined", "revoked")


def email_key(email: str) -> str:
    return email.strip().casefold()


class InvitationItem(TableItem, discriminator="Invitation"):
    invitation_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    email = UnicodeAttribute()  # casefolded (the key)
    status = UnicodeAttribute(default="sent")  # sent | registered | declined | revoked
    message = UnicodeAttribute(null=True)  # the organiser's note, shown in the mail
    run_id = UnicodeAttribute(null=True)  # the background run that created it (contact lists)
    contact_list_id = UnicodeAttribute(null=True)
    mail_seq = NumberAttribute(default=1)
    mailed_seq = NumberAttribute(default=0)
    mailed_at = UTCDateTimeAttribute(null=True)
    last_mail_requested_at = UTCDateTimeAttribute()
    resend_count = NumberAttribute(default=0)
    registration_id = UnicodeAttribute(null=True)
    registered_at = UTCDateTimeAttribute(null=True)
    declined_at = UTCDateTimeAttribute(null=True)
    revoked_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    @staticmethod
    def key(event_id: str, email: str) -> tuple[str, str]:
        return f"EVENT#{event_id}", f"INVITE#{email_key(email)}"

    @staticmethod
    def id_index(invitation_id: str) -> tuple[str, str]:
        return f"INVITE#{invitation_id}", "INVITE"


class InvitationRunItem(TableItem, discriminator="InvitationRun"):
    run_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    contact_list_id = UnicodeAttribute()
    message = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="running")  # running | completed | failed
    total = NumberAttribute(default=0)  # the list's contact_count when the run started
    processed = NumberAttribute(default=0)
    invited = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    reasons = JSONAttribute(default=dict)  # {reason: count} of the skipped
    step = NumberAttribute(default=0)  # pages done (the condition of every advance)
    cursor = JSONAttribute(null=True)  # GSI1 LastEvaluatedKey of the list's members
    error = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)

    @staticmethod
    def key(event_id: str, run_id: str) -> tuple[str, str]:
        return f"EVENT#{event_id}", f"INVRUN#{run_id}"
