"""AWS clients, created on first use and cached (never at import time, so moto can start first
and cold starts pay only for the clients a function actually uses). One boto3 session serves
every client, so service models are loaded from disk once per process."""

from __future__ import annotations

import functools
from typing import Any

from lectern.config import get_settings


@functools.cache
def session() -> Any:
    import boto3  # imported lazily: a function that never calls AWS never pays for boto3

    return boto3.session.Session()


@functools.cache
def client(service: str) -> Any:
    kwargs: dict[str, Any] = {"region_name": get_settings().region}
    if service == "s3":
        from botocore.config import Config

        # SigV4 presigned URLs (X-Amz-Expires), virtual-hosted style: what every region accepts.
        kwargs["config"] = Config(signature_version="s3v4", s3={"addressing_style": "auto"})
    return session().client(service, **kwargs)


def reset_clients() -> None:
    client.cache_clear()
