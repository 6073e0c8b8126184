"""Deployment settings, read from CDK context (cdk.json, or `-c key=value` on the CLI).

| context key    | meaning                                                   | default (cdk.json)       |
|----------------|-----------------------------------------------------------|--------------------------|
| stage          | deployment name, part of every resource name              | dev                      |
| cors_origins   | browser origins allowed to call the API and upload files  | ["http://localhost:5173"]|
|                | (JSON list, or comma-separated on the CLI)                |                          |
| mail_from      | SES sender, e.g. `Lectern <no-reply@example.com>`        |                          |
| app_base_url   | the SPA's URL, used in links sent by mail                 |                          |
| layer_dir      | built shared layer (`make layer`), relative to the repo  | build/layer              |
| alarm_email    | optional: subscribe this address to the alarm topic       | (none)                   |
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

_STAGE = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")


@dataclass(frozen=True)
class DeploymentConfig:
    stage: str = "dev"
    cors_origins: tuple[str, ...] = ()
    mail_from: str = "Lectern <no-reply@example.com>"
    app_base_url: str = "http://localhost:5173"
    layer_dir: str = "build/layer"
    alarm_email: str | None = None

    def __post_init__(self) -> None:
        if not _STAGE.match(self.stage):
            raise ValueError(
                f"stage {self.stage!r}: lowercase letters, digits and '-', at most 20, letter first"
            )
        for origin in self.cors_origins:
            # An origin is scheme://host[:port] — no path, no trailing slash, no wildcard.
            if not _ORIGIN.match(origin):
                raise ValueError(f"cors_origins: {origin!r} is not an origin (scheme://host[:port])")
        if "@" not in self.sender_address:
            raise ValueError(f"mail_from {self.mail_from!r} has no email address")

    @property
    def sender_address(self) -> str:
        return parseaddr(self.mail_from)[1]

    @property
    def sender_domain(self) -> str:
        return self.sender_address.rpartition("@")[2].lower()

    @classmethod
    def from_context(cls, get: Any) -> DeploymentConfig:
        """`get` is `node.try_get_context` (or any callable name -> value | None)."""
        defaults = cls()

        def value(key: str, default: Any) -> Any:
            v = get(key)
            return default if v is None or v == "" else v

        return cls(
            stage=str(value("stage", defaults.stage)),
            cors_origins=_origins(value("cors_origins", [])),
            mail_from=str(value("mail_from", defaults.mail_from)),
            app_base_url=str(value("app_base_url", defaults.app_base_url)),
            layer_dir=str(value("layer_dir", defaults.layer_dir)),
            alarm_email=value("alarm_email", None),
        )


def _origins(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        text = raw.strip()
        raw = json.loads(text) if text.startswith("[") else text.split(",")
    if not isinstance(raw, list | tuple):
        raise ValueError("cors_origins must be a list of origins")
    return tuple(str(o).strip().rstrip("/") for o in raw if str(o).strip())
