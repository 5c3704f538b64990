"""The API's documentation pages, served with no internet access.

FastAPI's own ``/docs`` (Swagger UI) and ``/redoc`` pages load their scripts and styles from a
CDN, so on a machine without internet they are blank. Here the same pages load them from the
assets the ``fastapi-offline`` package ships, served under :data:`STATIC_PATH`; ``/`` redirects
to ``/docs`` so a newcomer who opens the server's address lands on the API's documentation.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, HTTPException, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, RedirectResponse, Response

STATIC_PATH = "/static/docs"
"""Where the Swagger UI and ReDoc assets are served."""

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}
"""The assets served, file name -> media type (no other file of the package is reachable)."""

DOCS_PATH = "/docs"
REDOC_PATH = "/redoc"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"


def install_docs(app: FastAPI) -> None:
    """Add ``/``, ``/docs``, its OAuth2 redirect and ``/redoc``, with their assets, to an app.

    The app must be created with ``docs_url=None`` and ``redoc_url=None`` (FastAPI's CDN
    pages) and keep its schema at ``app.openapi_url``.

    Args:
        app: the application.
    """
    assets = files("fastapi_offline") / "static"
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(f"{STATIC_PATH}/{{asset}}", include_in_schema=False)
    async def docs_asset(asset: str) -> Response:
        media_type = ASSETS.get(asset)
        if media_type is None:
            raise HTTPException(status_code=404, detail=f"no docs asset {asset!r}")
        body = (assets / asset).read_bytes()
        return Response(body, media_type=media_type, headers={"cache-control": "max-age=86400"})

    @app.get("/", include_in_schema=False)
    async def root(request: Request) -> RedirectResponse:
        return RedirectResponse(f"{request.scope.get('root_path', '')}{DOCS_PATH}")

    @app.get(DOCS_PATH, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_PATH}",
            swagger_js_url=f"{root}{STATIC_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{STATIC_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{STATIC_PATH}/favicon.png",
            # no validator badge: Swagger UI would fetch it from validator.swagger.io
            swagger_ui_parameters={"validatorUrl": None, **(app.swagger_ui_parameters or {})},
        )

    @app.get(OAUTH2_REDIRECT_PATH, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_PATH, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{STATIC_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{STATIC_PATH}/favicon.png",
            with_google_fonts=False,
        )
