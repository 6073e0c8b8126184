"""integrations: the organiser's Zoom connection (OAuth authorization-code flow)."""

from aws_lambda_powertools import Logger
from lectern.http import build_app

from functions.integrations.routes import zoom

logger = Logger(service="integrations")
app = build_app(zoom.router)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
