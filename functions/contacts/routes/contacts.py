"""Contact lists, contacts, membership, CSV import and export (PRODUCT.md §9)."""

from aws_lambda_powertools.event_handler.api_gateway import Router

router = Router()
TAGS = ["contacts"]
