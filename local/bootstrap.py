"""Point every AWS client of this process at the embedded emulator and create what the CDK app
would have deployed: the table (+TTL), the files bucket (+CORS for browser uploads from the
local front-end origins), the event bus, the verified SES sender and the app secret.

Everything here is idempotent: running it twice changes nothing.

The app secret is a fresh random value per start. Nothing else survives a restart either (the
emulator keeps its state in memory), so tokens issued before a restart are meaningless anyway:
sign in again after restarting `make dev`.
"""

from __future__ import annotations

import contextlib
import os
import secrets as _random
from email.utils import parseaddr

DEFAULTS = {
    "LECTERN_LOCAL_MODE": "true",
    "LECTERN_STAGE": "local",
    "LECTERN_REGION": "eu-west-1",
    "LECTERN_TABLE_NAME": "lectern-local",
    "LECTERN_FILES_BUCKET": "lectern-local-files",
    "LECTERN_EVENT_BUS_NAME": "lectern-local",
    "LECTERN_APP_SECRET_NAME": "lectern/local/app",
    "LECTERN_MAIL_FROM": "Lectern <no-reply@lectern.local>",
    # Documented local defaults for the webhook signing secrets (the simulator signs with them).
    "LECTERN_ZOOM_WEBHOOK_SECRET": "local-zoom-webhook-secret",
    "LECTERN_STRIPE_WEBHOOK_SECRET": "whsec_local_stripe_webhook_secret",
    # powertools: no X-Ray daemon here.
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "Lectern",
}


def configure_environment(emulator_url: str, api_base_url: str) -> None:
    """Set the environment the functions read. Must run before any AWS client is created.

    LECTERN_* values already in the environment win (except local mode, which is forced), so a
    developer can e.g. point LECTERN_APP_BASE_URL at a front-end dev server.
    """
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
    os.environ["LECTERN_LOCAL_MODE"] = "true"
    os.environ.setdefault("LECTERN_APP_BASE_URL", api_base_url)
    region = os.environ["LECTERN_REGION"]

    # Hermetic AWS: fake credentials, the emulator as the one endpoint, no profile or config
    # file that could send a call anywhere else.
    for key in list(os.environ):
        if key.startswith("AWS_ENDPOINT_URL_") or key in (
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
            "AWS_ROLE_ARN",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ):
            del os.environ[key]
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": emulator_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    reset_caches()


def reset_caches() -> None:
    """Forget settings, clients and connections created under another environment."""
    from lectern import aws, secrets
    from lectern.config import reset_settings
    from lectern.data.base import TableItem

    reset_settings()
    aws.reset_clients()
    TableItem.unbind()
    with contextlib.suppress(Exception):  # powertools not initialised yet: nothing cached
        secrets.clear_cache()
    from lectern import deps

    deps.default_deps.cache_clear()  # its mailer/publisher were built for the old environment


def bootstrap() -> dict[str, str]:
    """Create the deployment's resources in the emulator (idempotent). Returns their names."""
    from lectern.config import get_settings

    s = get_settings()
    _table()
    _bucket(s.files_bucket, s.region, s.allowed_origins())
    _event_bus(s.event_bus_name)
    sender = _ses_identity(s.mail_from)
    _secret(s.app_secret_name)
    return {
        "table": s.table_name,
        "bucket": s.files_bucket,
        "event_bus": s.event_bus_name,
        "mail_from": sender,
        "secret": s.app_secret_name,
        "region": s.region,
    }


def _table() -> None:
    from lectern.data.base import TableItem, create_table

    if not TableItem.exists():
        create_table()


def _bucket(name: str, region: str, origins: list[str]) -> None:
    from lectern import aws

    s3 = aws.client("s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if name not in existing:
        kwargs: dict = {"Bucket": name}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**kwargs)
    s3.put_bucket_cors(
        Bucket=name,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": origins or ["http://localhost:5173"],
                    "AllowedMethods": ["GET", "HEAD", "PUT", "POST"],
                    "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["ETag"],
                    "MaxAgeSeconds": 600,
                }
            ]
        },
    )


def _event_bus(name: str) -> None:
    from lectern import aws

    if name == "default":
        return
    events = aws.client("events")
    names = {b["Name"] for b in events.list_event_buses().get("EventBuses", [])}
    if name not in names:
        events.create_event_bus(Name=name)


def _ses_identity(mail_from: str) -> str:
    from lectern import aws

    address = parseaddr(mail_from)[1] or mail_from
    aws.client("ses").verify_email_identity(EmailAddress=address)
    return address


def _secret(name: str) -> None:
    from lectern import aws

    sm = aws.client("secretsmanager")
    try:
        sm.describe_secret(SecretId=name)
    except sm.exceptions.ResourceNotFoundException:
        sm.create_secret(Name=name, SecretString=_random.token_urlsafe(48))
