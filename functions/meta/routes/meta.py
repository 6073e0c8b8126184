"""Health, the OpenAPI document and Swagger UI (assets served from the function: works offline)."""

import functools
import mimetypes
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from lectern.errors import NotFound

from functions.meta.schemas import Health

router = Router()

OPENAPI_FILE = Path(__file__).resolve().parents[1] / "openapi.json"
_ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png"}

_DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lectern API</title>
<link rel="stylesheet" href="/api/v1/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/v1/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/api/v1/openapi.json", dom_id: "#swagger-ui",
persistAuthorization: true});</script></body></html>"""


@functools.cache
def _openapi() -> str:
    # The document is generated from every route group (tools/openapi.py) and packaged with
    # this function; docs/openapi.json is the committed copy.
    for candidate in (OPENAPI_FILE, Path(__file__).resolve().parents[3] / "docs" / "openapi.json"):
        if candidate.exists():
            return candidate.read_text()
    raise NotFound("The OpenAPI document is not packaged with this deployment.")


@router.get("/health", summary="Health check", tags=["meta"])
def health() -> Health:
    return Health(status="ok")


@router.get(
    "/openapi.json", summary="The OpenAPI 3 document of the whole API", tags=["meta"], include_in_schema=False
)
def openapi() -> Response[str]:
    return Response(200, "application/json", _openapi())


@router.get(
    "/docs", summary="Interactive API documentation (Swagger UI)", tags=["meta"], include_in_schema=False
)
def docs() -> Response[str]:
    return Response(200, "text/html; charset=utf-8", _DOCS_HTML)


@router.get("/docs/<asset>", summary="Swagger UI asset", tags=["meta"], include_in_schema=False)
def docs_asset(asset: str) -> Response[str]:
    if asset not in _ASSETS:
        raise NotFound("No such documentation asset.")
    import swagger_ui_bundle

    path = Path(str(swagger_ui_bundle.swagger_ui_path)) / asset
    ctype = mimetypes.guess_type(asset)[0] or "application/octet-stream"
    data = path.read_bytes()
    body: Any = data if ctype.startswith("image/") else data.decode()
    return Response(200, ctype, body, headers={"Cache-Control": "public, max-age=86400"})
