"""Invitations to an event (issue 6, PRODUCT.md §3): by address or contact list, the invitee's
signed link, resend, revoke, and registering through the link."""
