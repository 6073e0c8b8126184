"""users: my profile, password, sessions, CPD requirements, activities and summary."""

from aws_lambda_powertools import Logger
from lectern.http import build_app

from functions.users.routes import cpd, me, sessions

logger = Logger(service="users")
app = build_app(me.router, sessions.router, cpd.router)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
