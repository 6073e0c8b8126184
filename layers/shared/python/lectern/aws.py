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
    return session().client(service, region_name=get_settings().region)


def reset_clients() -> None:
    client.cache_clear()
