"""auth: signup, email verification, login, refresh, logout, password reset."""

from aws_lambda_powertools import Logger
from lectern.http import build_app

from functions.auth.routes import passwords, signup, tokens

logger = Logger(service="auth")
app = build_app(signup.router, tokens.router, passwords.router)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
