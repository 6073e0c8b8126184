"""Counting DynamoDB calls per operation (the floors of docs/data-model.md): botocore's
`_make_api_call` is wrapped while one route group's `lambda_handler` handles the request, so
the authorizer's own calls are not counted.

    @pytest.fixture
    def count(monkeypatch):
        return dynamodb_calls(monkeypatch, functions.events.handler)

    assert count(lambda: api.get("/events/", token=t)) == {"Query": 1}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from botocore.client import BaseClient


def dynamodb_calls(
    monkeypatch: pytest.MonkeyPatch, handler_module: ModuleType
) -> Callable[[Any], Counter[str]]:
    calls: list[str] = []
    active = [False]
    original_call = BaseClient._make_api_call
    original_handler = handler_module.lambda_handler

    def _make_api_call(client: Any, operation: str, params: Any) -> Any:
        if active[0] and client.meta.service_model.service_name == "dynamodb":
            calls.append(operation)
        return original_call(client, operation, params)

    def handler(event: Any, context: Any) -> Any:
        active[0] = True
        try:
            return original_handler(event, context)
        finally:
            active[0] = False

    monkeypatch.setattr(BaseClient, "_make_api_call", _make_api_call)
    monkeypatch.setattr(handler_module, "lambda_handler", handler)

    def run(fn: Callable[[], Any]) -> Counter[str]:
        calls.clear()
        reply = fn()
        assert reply.status < 300, reply.json if reply.raw[:1] == b"{" else reply.raw
        return Counter(calls)

    return run
