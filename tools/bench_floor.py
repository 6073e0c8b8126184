"""The cold-init floor for `make bench`: the barest handler that talks to DynamoDB — import
boto3, create one DynamoDB client. Never deployed; tools/bench_cold.py measures it."""

from __future__ import annotations

import os
from typing import Any

import boto3

_client: Any = None


def make_client() -> Any:
    global _client
    if _client is None:
        _client = boto3.client("dynamodb", region_name=os.environ.get("LECTERN_REGION", "eu-west-1"))
    return _client


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    make_client()
    return {"statusCode": 204}
