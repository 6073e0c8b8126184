"""Secrets: the application master secret (lectern.secrets derives per-purpose keys from it) and
Zoom's secrets (lectern.zoom.credentials reads them)."""

from __future__ import annotations

import json

from aws_cdk import RemovalPolicy
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.nag import acknowledge

SECRET_LENGTH = 64
# Zoom's secrets are issued by Zoom (the app's page in the Marketplace); the operator puts them
# in after the first deploy. Until then the webhook secret token is a random placeholder, so
# nothing verifies (no forged event can pass), and without a client id Zoom is "not connected".
ZOOM_SECRET_TEMPLATE = {"client_id": "", "client_secret": ""}
ZOOM_WEBHOOK_KEY = "webhook_secret_token"


class Secrets(Construct):
    def __init__(self, scope: Construct, id: str, *, stage: str) -> None:
        super().__init__(scope, id)
        # The literal name: `Secret.secret_name` is parsed back out of the ARN at deploy time,
        # which breaks on names that contain '-'.
        self.secret_name = f"lectern/{stage}/app"
        self.app_secret = secretsmanager.Secret(
            self,
            "App",
            secret_name=self.secret_name,
            description="Lectern master secret: token, cursor and state-signing keys derive from it",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=SECRET_LENGTH,
                exclude_punctuation=True,  # alphanumeric: ~380 bits, no quoting surprises anywhere
                include_space=False,
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.app_secret,
            "AwsSolutions-SMG4",
            "Master key of the HMAC-derived token/cursor keys: a single-value rotation would end every "
            "session and invalidate every cursor at once. Rotation needs a current+previous key scheme in "
            "lectern.secrets first (tracked in docs/decisions/0003-infra.md).",
        )

        self.zoom_secret_name = f"lectern/{stage}/zoom"
        self.zoom_secret = secretsmanager.Secret(
            self,
            "Zoom",
            secret_name=self.zoom_secret_name,
            description=(
                "Zoom app secrets as JSON: webhook_secret_token (verifies webhooks), client_id and "
                "client_secret (OAuth). Placeholders until the operator sets Zoom's values."
            ),
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps(ZOOM_SECRET_TEMPLATE),
                generate_string_key=ZOOM_WEBHOOK_KEY,
                password_length=SECRET_LENGTH,
                exclude_punctuation=True,
                include_space=False,
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.zoom_secret,
            "AwsSolutions-SMG4",
            "Zoom issues these values (webhook secret token, OAuth client secret); they are rotated in "
            "Zoom's Marketplace and copied here by the operator — a Lambda rotation cannot rotate them.",
        )
