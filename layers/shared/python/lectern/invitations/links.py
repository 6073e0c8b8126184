"""The invitee's link: a signed token (lectern/signing.py) naming the invitation — its event, its
key (the casefolded address) and its uuid — so opening it is one read of the item, and the item
has the last word (revoked, or replaced by a newer invitation → the link no longer works)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from lectern import signing
from lectern.config import get_settings
from lectern.data.invitations import InvitationItem
from lectern.errors import Conflict

PURPOSE = "invitation"
LIFETIME = timedelta(days=180)
INVALID = "The invitation link is invalid or has expired."


@dataclass(frozen=True)
class LinkClaims:
    event_id: str
    invitation_id: str
    email: str

    def key(self) -> tuple[str, str]:
        return InvitationItem.key(self.event_id, self.email)


def issue(item: InvitationItem, now: datetime) -> str:
    return signing.issue(
        PURPOSE, {"e": item.event_id, "i": item.invitation_id, "m": item.email}, now + LIFETIME
    )


def read(token: str, now: datetime) -> LinkClaims:
    """The claims of a genuine, unexpired link (401 `invalid_token` otherwise). No call."""
    claims = signing.read(PURPOSE, token, now, INVALID)
    return LinkClaims(str(claims.get("e") or ""), str(claims.get("i") or ""), str(claims.get("m") or ""))


def url(token: str, action: str = "open") -> str:
    return f"{get_settings().app_base_url.rstrip('/')}/invitations/{action}?token={token}"


def revoked() -> Conflict:
    return Conflict(
        "This invitation was withdrawn by the organiser; the link no longer works.",
        code="invitation_revoked",
    )


def check(claims: LinkClaims, item: object) -> InvitationItem:
    """The invitation the link names, still valid (not revoked, not replaced)."""
    if not isinstance(item, InvitationItem) or item.invitation_id != claims.invitation_id:
        raise revoked()
    if item.status == "revoked":
        raise revoked()
    return item
