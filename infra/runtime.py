"""The Lambda runtime every function and the shared layer are built for, in one place.

Plain Python (no CDK import): `infra/build_layer.py` reads it without paying for jsii.
Why 3.12 and arm64: docs/decisions/0003-infra.md. The code stays 3.11-compatible (ruff/mypy
target py311, tests run on 3.11).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PYTHON_VERSION = "3.12"
ARCHITECTURE = "arm64"
# What pip must resolve wheels for: Lambda's arm64 runtimes are glibc-based (AL2023, glibc 2.34),
# so any manylinux2014 (glibc 2.17) aarch64 wheel runs there.
PIP_PLATFORM = "manylinux2014_aarch64"

MEMORY_MB = 512
TIMEOUT_SECONDS = 15  # API Gateway's integration timeout is 29 s
# Functions that need more: contacts imports a 10,000-row CSV inside one request (1,200
# BatchWriteItem calls, written 4 at a time) — 1,769 MB is one full vCPU, and the time stays
# under API Gateway's 29 s.
MEMORY_MB_BY_FUNCTION = {"contacts": 1769}
TIMEOUT_SECONDS_BY_FUNCTION = {"contacts": 28}
LOG_RETENTION_DAYS = 30
