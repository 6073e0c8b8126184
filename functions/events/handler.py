"""events: events, their custom registration fields and discount codes (organiser), public
event pages and iCalendar, the personal calendar feed."""

from aws_lambda_powertools import Logger
from lectern.http import build_app

from functions.events.routes import calendar_feed, custom_fields, discount_codes, events, public, sessions

logger = Logger(service="events")
app = build_app(
    events.router,
    custom_fields.router,
    discount_codes.router,
    public.router,
    calendar_feed.router,
    sessions.router,
)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
