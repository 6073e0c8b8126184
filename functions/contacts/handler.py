"""contacts: the organiser's contact lists and contacts, CSV import and export, contacts from
an event's registrations."""

from aws_lambda_powertools import Logger
from lectern.http import build_app

from functions.contacts.routes import contacts

logger = Logger(service="contacts")
app = build_app(contacts.router)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
