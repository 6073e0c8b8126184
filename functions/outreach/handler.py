"""outreach: invitations (by address or contact list, with the invitee's registration link) and
an event's scheduled reminders."""

from aws_lambda_powertools import Logger
from lectern.http import build_app

from functions.outreach.routes import invitations, reminders

logger = Logger(service="outreach")
app = build_app(invitations.router, reminders.router)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
