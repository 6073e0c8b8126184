"""Webhooks: each provider's webhook is a Lambda function URL (no API Gateway, no authorizer —
the provider signs every request and the function verifies the signature before anything else).

Zoom (`functions/webhooks/zoom.py`): verify, store the raw delivery (one PutItem), put it on the
bus (one PutEvents). Its role holds exactly that plus reading the Zoom secret.
"""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs.functions import Access, Shared, route_group_function
from infra.staging import stage_module

ZOOM_WEBHOOK_MODULE = "functions.webhooks.zoom"
ZOOM_WEBHOOK_ACCESS = Access(table_actions=("dynamodb:PutItem",), bus=True, zoom_secret=True)


class Webhooks(Construct):
    def __init__(self, scope: Construct, id: str, *, shared: Shared) -> None:
        super().__init__(scope, id)
        self.zoom = route_group_function(
            self,
            "Zoom",
            name="zoom-webhook",
            handler=f"{ZOOM_WEBHOOK_MODULE}.lambda_handler",
            code_dir=stage_module(ZOOM_WEBHOOK_MODULE),
            shared=shared,
            access=ZOOM_WEBHOOK_ACCESS,
            description="Lectern Zoom webhook: verify the signature, store the raw event, put it on the bus",
        )
        # Public by design: Zoom cannot sign AWS requests; it signs its own (x-zm-signature).
        self.zoom_url = self.zoom.add_function_url(auth_type=lambda_.FunctionUrlAuthType.NONE)
        self.functions: dict[str, lambda_.Function] = {"zoom-webhook": self.zoom}
