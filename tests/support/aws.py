"""moto-backed AWS for one test: the table, bus, bucket, secret and SES identity, created the
way the CDK app creates them (the table from the same pynamodb definition)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from lectern import aws, secrets
from lectern.config import get_settings, reset_settings
from lectern.data.base import create_table
from lectern.deps import default_deps
from moto import mock_aws

from local.emulator import query_one_partition

ACCOUNT = "123456789012"


def reset_caches() -> None:
    from lectern.auth import passwords

    # Clients and the table connection survive between tests (moto intercepts every botocore
    # client while a mock is active); building them costs ~0.2 s each.
    reset_settings()
    secrets.clear_cache()
    default_deps.cache_clear()
    passwords._hasher.cache_clear()


def provision() -> None:
    s = get_settings()
    create_table()
    aws.client("events").create_event_bus(Name=s.event_bus_name)
    aws.client("s3").create_bucket(
        Bucket=s.files_bucket, CreateBucketConfiguration={"LocationConstraint": s.region}
    )
    aws.client("secretsmanager").create_secret(Name=s.app_secret_name, SecretString="test-secret-" + "x" * 52)
    aws.client("ses").verify_email_identity(EmailAddress="no-reply@lectern.test")


@pytest.fixture
def aws_env() -> Iterator[None]:
    query_one_partition()
    with mock_aws():
        reset_caches()
        provision()
        yield
    reset_caches()


def sent_emails(to: str | None = None) -> list[dict[str, Any]]:
    """Messages SES accepted, oldest first: to, subject, text, html."""
    from lectern.integrations.mail import from_mime
    from moto.ses.models import ses_backends

    out = []
    for msg in ses_backends[ACCOUNT][get_settings().region].sent_messages:
        raw = getattr(msg, "raw_data", None)
        if raw is None:
            continue
        parsed = from_mime(raw)
        if to is None or to.lower() in parsed["to"].lower():
            out.append(parsed)
    return out


def last_token(to: str) -> str:
    """The `token=` of the newest mail to `to`."""
    import re

    mails = sent_emails(to)
    assert mails, f"no mail to {to}"
    m = re.search(r"token=([A-Za-z0-9_\-]+)", mails[-1]["text"])
    assert m, f"no token in: {mails[-1]['text']}"
    return m.group(1)
