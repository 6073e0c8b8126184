"""meta: health, OpenAPI document, interactive docs."""

from aws_lambda_powertools import Logger
from lectern.http import build_app

from functions.meta.routes import meta

logger = Logger(service="meta")
app = build_app(meta.router)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
