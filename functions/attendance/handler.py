"""attendance: completing sessions, the per-event aggregate with explanations, one
registration's sessions, eligibility overrides (H3), manual bulk entry, unmatched participants."""

from aws_lambda_powertools import Logger
from lectern.http import build_app

from functions.attendance.routes import overrides, sessions, unmatched, views

logger = Logger(service="attendance")
app = build_app(sessions.router, views.router, overrides.router, unmatched.router)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
