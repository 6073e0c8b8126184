"""Certificate routes: templates (see functions/certificates/handler.py)."""

from aws_lambda_powertools.event_handler.api_gateway import Router

router = Router()
TAGS = ["certificates"]
