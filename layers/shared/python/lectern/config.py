"""Settings, read from the environment once and lazily (never at import time)."""

from __future__ import annotations

import functools

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_CORS_ORIGINS = [
    "http://localhost:3000",
    "http://127.0.0.1:3000",
    "http://localhost:5173",
    "http://127.0.0.1:5173",
    "http://localhost:8080",
    "http://localhost:4200",
]


class Settings(BaseSettings):
    """Everything a function needs to know about its deployment.

    Each value comes from a `LECTERN_*` environment variable set by the CDK app (or by the local
    runtime). Secrets are never values here, only the *names* of secrets to fetch.
    """

    model_config = SettingsConfigDict(env_prefix="LECTERN_", extra="ignore", frozen=True)

    stage: str = "local"
    local_mode: bool = False
    region: str = Field(default="eu-west-1")
    table_name: str = "lectern"
    files_bucket: str = "lectern-files"
    event_bus_name: str = "lectern"
    app_secret_name: str = "lectern/app"
    mail_from: str = "Lectern <no-reply@lectern.local>"
    app_base_url: str = "http://127.0.0.1:3000"
    cors_origins: list[str] = Field(default_factory=list)
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=900)
    refresh_token_ttl_days: int = Field(default=30, ge=1, le=90)
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    # argon2id parameters: OWASP's floor is m=19 MiB, t=2, p=1. These are not lowered in tests.
    argon2_memory_kib: int = Field(default=19 * 1024, ge=19 * 1024)
    argon2_time_cost: int = Field(default=2, ge=2)
    argon2_parallelism: int = Field(default=1, ge=1)
    login_failures_per_account: int = 10
    login_failures_per_ip: int = 50
    login_window_seconds: int = 900

    def allowed_origins(self) -> list[str]:
        if self.cors_origins:
            return self.cors_origins
        return LOCAL_CORS_ORIGINS if self.local_mode else []


@functools.cache
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests and the local runtime change the environment)."""
    get_settings.cache_clear()
