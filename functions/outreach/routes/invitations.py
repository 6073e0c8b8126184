"""Invitations to an event: up to 500 addresses or a contact list, dry run, resend, revoke, and
the invitee's link (PRODUCT.md §3)."""

from aws_lambda_powertools.event_handler.api_gateway import Router

router = Router()
TAGS = ["invitations"]
