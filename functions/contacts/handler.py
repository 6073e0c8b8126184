"""contacts: the organiser's contact lists and contacts, CSV import and export, contacts from
an event's registrations."""

from aws_lambda_powertools import Logger
from lectern.http import build_app

from functions.contacts import csv_body
from functions.contacts.routes import contacts, imports

logger = Logger(service="contacts")
app = build_app(contacts.router, imports.router)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    # A text/csv import body bypasses the JSON-only, 256 KB check of the shared resolver
    # (functions/contacts/csv_body.py applies the CSV rules instead).
    return app.resolve(csv_body.detach(event), context)
