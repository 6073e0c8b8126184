"""registrations: registering (guest or signed in), capacity and waitlist, the organiser's and
the attendee's views, bulk add and CSV export, discount-code validation, account linking."""

from aws_lambda_powertools import Logger
from lectern.http import build_app

from functions.registrations.routes import attendee, bulk, discount_validate, linking, organiser, register

logger = Logger(service="registrations")
# bulk before organiser: powertools tries dynamic routes in registration order, and
# /events/<event_id>/registrations/export must win over /events/<event_id>/registrations/<registration_id>.
app = build_app(
    register.router, discount_validate.router, bulk.router, organiser.router, attendee.router, linking.router
)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
