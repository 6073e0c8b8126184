"""Settings, read from the environment once and lazily (never at import time).

A frozen dataclass rather than a pydantic(-settings) model: the authorizer, which runs in
front of every request, then needs no pydantic at all (~90 ms less cold start), and the
checks are a few explicit lines.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ENV_PREFIX = "LECTERN_"

LOCAL_CORS_ORIGINS = [
    "http://localhost:3000",
    "http://127.0.0.1:3000",
    "http://localhost:5173",
    "http://127.0.0.1:5173",
    "http://localhost:8080",
    "http://localhost:4200",
]

# OWASP's floor for argon2id: m=19 MiB, t=2, p=1. Settings below it are refused.
ARGON2_MIN_MEMORY_KIB = 19 * 1024
ARGON2_MIN_TIME_COST = 2


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    """Everything a function needs to know about its deployment.

    Each value comes from a `LECTERN_<NAME>` environment variable set by the CDK app (or the
    local runtime); lists are JSON. Secrets are never values here, only the *names* of
    secrets to fetch.
    """

    stage: str = "local"
    local_mode: bool = False
    region: str = "eu-west-1"
    table_name: str = "lectern"
    files_bucket: str = "lectern-files"
    event_bus_name: str = "lectern"
    app_secret_name: str = "lectern/app"
    # Secrets Manager secret with Zoom's webhook secret token and OAuth client (empty: from env,
    # local mode and tests only — see lectern.zoom.credentials).
    zoom_secret_name: str = ""
    # The certificate-issuing state machine (functions/pipelines; local mode sets its own).
    issue_state_machine_arn: str = ""
    mail_from: str = "Lectern <no-reply@lectern.local>"
    # SES configuration set every message is sent through (bounce/complaint events → the
    # suppression list; docs/decisions/0007). Empty: none (local mode, tests).
    ses_configuration_set: str = ""
    app_base_url: str = "http://127.0.0.1:3000"
    cors_origins: list[str] = field(default_factory=list)
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_days: int = 30
    max_body_bytes: int = 256 * 1024
    argon2_memory_kib: int = ARGON2_MIN_MEMORY_KIB
    argon2_time_cost: int = ARGON2_MIN_TIME_COST
    argon2_parallelism: int = 1
    login_failures_per_account: int = 10
    login_failures_per_ip: int = 50
    login_window_seconds: int = 900

    def __post_init__(self) -> None:
        checks = [
            (60 <= self.access_token_ttl_seconds <= 900, "access_token_ttl_seconds must be 60..900"),
            (1 <= self.refresh_token_ttl_days <= 90, "refresh_token_ttl_days must be 1..90"),
            (self.max_body_bytes >= 1024, "max_body_bytes must be at least 1024"),
            (self.argon2_memory_kib >= ARGON2_MIN_MEMORY_KIB, "argon2_memory_kib is below OWASP's 19 MiB"),
            (self.argon2_time_cost >= ARGON2_MIN_TIME_COST, "argon2_time_cost is below OWASP's 2"),
            (self.argon2_parallelism >= 1, "argon2_parallelism must be at least 1"),
            (
                self.login_failures_per_account >= 1 and self.login_failures_per_ip >= 1,
                "login limits must be >= 1",
            ),
            (self.login_window_seconds >= 60, "login_window_seconds must be at least 60"),
        ]
        for ok, message in checks:
            if not ok:
                raise SettingsError(message)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None:
                continue
            values[f.name] = _parse(f.name, str(f.type), raw)
        return cls(**values)

    def allowed_origins(self) -> list[str]:
        if self.cors_origins:
            return self.cors_origins
        return LOCAL_CORS_ORIGINS if self.local_mode else []


def _parse(name: str, kind: str, raw: str) -> Any:
    try:
        if kind == "bool":
            if raw.strip().lower() in ("1", "true", "yes", "on"):
                return True
            if raw.strip().lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if kind == "int":
            return int(raw)
        if kind == "list[str]":
            value = json.loads(raw)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(raw)
            return value
        return raw
    except ValueError as exc:
        raise SettingsError(f"{ENV_PREFIX}{name.upper()}: cannot read {raw!r} as {kind}") from exc


@functools.cache
def get_settings() -> Settings:
    return Settings.from_env()


def reset_settings() -> None:
    """Forget cached settings (tests and the local runtime change the environment)."""
    get_settings.cache_clear()
