"""registrations: registering (guest or signed in), capacity and waitlist, the organiser's and
the attendee's views, bulk add and CSV export, discount-code validation, account linking."""

from aws_lambda_powertools import Logger

from functions.registrations.routes import attendee, bulk, discount_validate, linking, organiser, register
from lectern.http import build_app

logger = Logger(service="registrations")
app = build_app(
    register.router, discount_validate.router, organiser.router, bulk.router, attendee.router, linking.router
)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
