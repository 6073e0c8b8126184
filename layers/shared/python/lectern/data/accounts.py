"""Account entities: users, the email claim that makes emails unique, sessions, one-time tokens.

| entity      | PK                 | SK                 | GSI1                              |
|-------------|--------------------|--------------------|-----------------------------------|
| User        | USER#<user_id>     | PROFILE            | —                                 |
| EmailClaim  | EMAIL#<email>      | EMAIL              | —                                 |
| Session     | USER#<user_id>     | SESSION#<sid>      | —                                 |
| OneTimeToken| TOKEN#<sha256>     | TOKEN              | —                                 |
"""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, UnicodeAttribute, UTCDateTimeAttribute

from lectern.data.base import TableItem


class UserItem(TableItem, discriminator="User"):
    user_id = UnicodeAttribute()
    email = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    full_name = UnicodeAttribute()
    professional_title = UnicodeAttribute(default="")
    organization_name = UnicodeAttribute(default="")
    timezone = UnicodeAttribute(default="UTC")
    email_verified_at = UTCDateTimeAttribute(null=True)
    password_changed_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", "PROFILE"


class EmailClaimItem(TableItem, discriminator="EmailClaim"):
    """Makes an email belong to at most one user: created with attribute_not_exists(PK)
    in the same transaction as the user."""

    user_id = UnicodeAttribute()

    @staticmethod
    def key(email: str) -> tuple[str, str]:
        return f"EMAIL#{email}", "EMAIL"


class SessionItem(TableItem, discriminator="Session"):
    """A signed-in device. Revoking a session deletes it; the authorizer checks it exists."""

    user_id = UnicodeAttribute()
    session_id = UnicodeAttribute()
    device = UnicodeAttribute(default="")
    ip = UnicodeAttribute(default="")
    refresh_hash = UnicodeAttribute()
    # Hashes of refresh tokens already rotated away: presenting one again is reuse → revoke.
    used_hashes = ListAttribute(of=UnicodeAttribute, default=list)
    created_at = UTCDateTimeAttribute()
    last_used_at = UTCDateTimeAttribute()

    @staticmethod
    def key(user_id: str, session_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"SESSION#{session_id}"

    PREFIX = "SESSION#"


class OneTimeTokenItem(TableItem, discriminator="OneTimeToken"):
    """Email-verification and password-reset tokens, stored by hash, expiring by TTL
    (and checked against `expires_at`, since TTL deletion is lazy)."""

    purpose = UnicodeAttribute()
    user_id = UnicodeAttribute()
    email = UnicodeAttribute()
    expires_at = UTCDateTimeAttribute()

    @staticmethod
    def key(token_hash: str) -> tuple[str, str]:
        return f"TOKEN#{token_hash}", "TOKEN"
