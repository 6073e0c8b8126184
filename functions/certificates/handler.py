"""certificates: templates (versioned), issuing (the Step Functions pipeline), the organiser's
and the holder's certificates with short-lived downloads, public verification."""

from aws_lambda_powertools import Logger
from lectern.http import build_app

from functions.certificates.routes import certificates, issue, templates, verification

logger = Logger(service="certificates")
app = build_app(templates.router, issue.router, certificates.router, verification.router)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
