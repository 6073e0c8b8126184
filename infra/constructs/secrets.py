"""Secrets: the one application master secret (lectern.secrets derives per-purpose keys from it)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.nag import acknowledge

SECRET_LENGTH = 64


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
