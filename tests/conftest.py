"""Shared test setup. The environment is set before any lectern settings are read; AWS is moto
(`mock_aws`, single-threaded) for unit/integration tests."""

from __future__ import annotations

import os

# Before anything reads settings or builds a client.
for _k in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
    os.environ.pop(_k, None)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "LECTERN_REGION": "eu-west-1",
        "LECTERN_STAGE": "test",
        "LECTERN_TABLE_NAME": "lectern-test",
        "LECTERN_FILES_BUCKET": "lectern-test-files",
        "LECTERN_EVENT_BUS_NAME": "lectern-test",
        "LECTERN_APP_SECRET_NAME": "lectern/test/app",
        "LECTERN_MAIL_FROM": "Lectern <no-reply@lectern.test>",
        "LECTERN_APP_BASE_URL": "https://app.lectern.test",
        "LECTERN_CORS_ORIGINS": '["https://app.lectern.test"]',
        "LECTERN_BULK_WRITE_WORKERS": "1",  # moto in-process is not thread-safe
        "POWERTOOLS_SERVICE_NAME": "lectern-tests",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "lectern-tests",
    }
)


# Property tests judge results, not speed: a loaded CI machine must not fail them for slow input
# generation or a slow example (each test still sets its own example counts).
from hypothesis import HealthCheck, settings  # noqa: E402

from tests.support.api import api  # noqa: E402,F401  (fixture)
from tests.support.aws import aws_env  # noqa: E402,F401  (fixture)

settings.register_profile("lectern", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("lectern")
