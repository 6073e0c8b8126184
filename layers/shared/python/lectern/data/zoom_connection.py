"""An organiser's Zoom connection (OAuth), and what the connect flow needs.

| entity           | PK                       | SK     |
|------------------|--------------------------|--------|
| ZoomConnection   | USER#<owner_id>          | ZOOM   |
| ZoomUserPointer  | ZOOMUSER#<zoom_user_id>  | OWNER  |
| ZoomOAuthState   | ZOOMSTATE#<nonce>        | STATE  |

The connection holds the tokens encrypted (AES-256-GCM, associated data = the owner id, see
lectern.zoom.connection), never in clear. The pointer maps Zoom's user id back to the owner for
the deauthorization notification; it is written and deleted in the connection's own
transactions. An OAuth state's nonce lives until it is used (deleted on use) or its TTL ends:
a state works once.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from lectern.data.base import TableItem

CONNECTION_STATUSES = ("connected", "needs_reconnect")


class ZoomConnectionItem(TableItem, discriminator="ZoomConnection"):
    owner_id = UnicodeAttribute()
    zoom_user_id = UnicodeAttribute()
    zoom_account_id = UnicodeAttribute(default="")
    zoom_email = UnicodeAttribute(default="")
    access_token_enc = UnicodeAttribute()  # "v1.<base64url(nonce | ciphertext+tag)>"
    refresh_token_enc = UnicodeAttribute()
    expires_at = UTCDateTimeAttribute()  # of the access token
    scope = UnicodeAttribute(default="")
    status = UnicodeAttribute(default="connected")  # connected | needs_reconnect
    token_version = NumberAttribute(default=0)  # +1 on every refresh (the refresh's condition)
    # The one-refresh-at-a-time lease: epoch milliseconds until which `refresh_lease_holder` may
    # refresh (0: nobody holds it).
    refresh_lease_until = NumberAttribute(default=0)
    refresh_lease_holder = UnicodeAttribute(null=True)
    connected_at = UTCDateTimeAttribute()
    refreshed_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()

    @staticmethod
    def key(owner_id: str) -> tuple[str, str]:
        return f"USER#{owner_id}", "ZOOM"


class ZoomUserPointerItem(TableItem, discriminator="ZoomUserPointer"):
    owner_id = UnicodeAttribute()
    zoom_account_id = UnicodeAttribute(default="")

    @staticmethod
    def key(zoom_user_id: str) -> tuple[str, str]:
        return f"ZOOMUSER#{zoom_user_id}", "OWNER"


class ZoomOAuthStateItem(TableItem, discriminator="ZoomOAuthState"):
    owner_id = UnicodeAttribute()
    expires_at = UTCDateTimeAttribute()

    @staticmethod
    def key(nonce: str) -> tuple[str, str]:
        return f"ZOOMSTATE#{nonce}", "STATE"
