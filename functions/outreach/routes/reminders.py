"""An event's reminders: offsets before the start or after the end (PRODUCT.md §3)."""

from aws_lambda_powertools.event_handler.api_gateway import Router

router = Router()
TAGS = ["reminders"]
