"""Thin pydantic v2 -> OpenAPI 3.1 layer for aiohttp, as much as the admin API uses.

Routes are declared once, with their models, on an `ApiSpec`; the same
declaration registers the aiohttp route, produces the OpenAPI document and tells
the auth guard which routes are public, so the three cannot drift. Swagger UI is
served from swagger-ui-py's packaged assets (no CDN).

    spec = ApiSpec("Lucky Draw", "1.0.0")
    spec.route("POST", "/api/campaigns", create_campaign, body=CampaignIn,
               responses={201: CampaignOut}, summary="Create a campaign",
               tags=["campaigns"])
    spec.register(app)   # adds routes + /api/openapi.json + /api/docs
"""

from __future__ import annotations

import html
import importlib.resources
import inspect
import json
import re
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import JsonSchemaMode, models_json_schema

__all__ = [
    "ApiError",
    "ApiSpec",
    "ErrorDetail",
    "ErrorOut",
    "Handler",
    "RawBody",
    "ResponseSpec",
    "error_middleware",
    "json_response",
    "parse_body",
    "parse_path",
    "parse_query",
]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# A response is described by a model, `list[Model]`, a RawBody, or None (no body, e.g. 204).
# Typed `object` because `list[Model]` is a GenericAlias, not a type; checked in route().
ResponseSpec = object
M = TypeVar("M", bound=BaseModel)
Ref = Callable[[type[BaseModel], JsonSchemaMode], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class RawBody:
    """A response that is not JSON, e.g. `RawBody("text/csv")` for a streamed export."""

    media_type: str
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})


REF_TEMPLATE = "#/components/schemas/{model}"
SECURITY_SCHEME = "bearerAuth"
# Same grammar aiohttp uses for dynamic segments: {name} or {name:regex}
# (regex may itself contain one level of braces, e.g. {id:\d{1,9}}).
_PLACEHOLDER = re.compile(
    r"\{(?P<name>[_a-zA-Z][_a-zA-Z0-9]*)(?::(?P<re>[^{}]*(?:\{[^{}]*\}[^{}]*)*))?\}"
)


# --------------------------------------------------------------------- errors


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorOut(BaseModel):
    """Body of every error response: {"error": {"code", "message", "field"}}."""

    error: ErrorDetail


class ApiError(web.HTTPError):
    """An aiohttp HTTP error whose body is an `ErrorOut` JSON document.

    Subclasses HTTPError (not Response) so handlers can `raise` it and aiohttp
    turns it into the response; the status is per-instance so one class covers
    every code the API documents.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str = "invalid",
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status_code = status  # read by HTTPException.__init__
        self.code, self.field = code, field  # for the refusal's log line and metric
        body = ErrorOut(error=ErrorDetail(code=code, message=message, field=field))
        super().__init__(
            text=body.model_dump_json(), content_type="application/json", headers=headers
        )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn aiohttp's own plain-text 4xx (router 404/405, client_max_size 413...) into ErrorOut.

    Without it a path that fails a `{id:\\d+}` regex gets `text/plain` "404: Not Found",
    which contradicts the documented `application/json` error body.
    """
    try:
        return await handler(request)
    except ApiError:
        raise
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise  # redirects, and errors that already carry a JSON body
        keep = {k: v for k, v in exc.headers.items() if k.lower() not in _BODY_HEADERS}
        code = HTTPStatus(exc.status).name.lower() if exc.status in _STATUSES else "error"
        raise ApiError(exc.status, exc.reason, code=code, headers=keep) from None


_BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding"})
_STATUSES = frozenset(s.value for s in HTTPStatus)


# ------------------------------------------------------------ request helpers


def _loc(loc: Sequence[int | str]) -> str | None:
    return ".".join(str(part) for part in loc) or None


def _validation_error(exc: ValidationError) -> ApiError:
    # One error is enough for a client to fix its request; the first is the
    # outermost field, which is the most useful one.
    first = exc.errors(include_url=False)[0]
    if first["type"] == "json_invalid":
        return ApiError(400, f"invalid JSON: {first['msg']}")
    return ApiError(400, first["msg"], field=_loc(first["loc"]))


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


async def parse_body(
    request: web.Request, model: type[M], max_bytes: int, *, strict: bool = True
) -> M:
    """Read, size-limit and validate a JSON body; raise `ApiError` on failure.

    415 unless Content-Type is JSON, 413 above `max_bytes`, 400 for invalid
    UTF-8 / JSON / schema (with `field` as a dotted path, e.g. "prizes.0.probability").

    `strict` (default) makes validation match the published schema: lax mode
    would accept `false` for a number or `"5"` for an integer, which the
    document says are invalid (schemathesis flags that as ST201).
    """
    if not _is_json(request.content_type):
        raise ApiError(415, "Content-Type must be application/json", code="unsupported_media_type")
    if request.content_length is not None and request.content_length > max_bytes:
        raise ApiError(413, f"body exceeds {max_bytes} bytes", code="too_large")
    # Read incrementally: chunked requests have no Content-Length, and
    # request.read() would buffer up to client_max_size before we can refuse.
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(65536):
        size += len(chunk)
        if size > max_bytes:
            raise ApiError(413, f"body exceeds {max_bytes} bytes", code="too_large")
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        # Decode explicitly so invalid UTF-8 gets its own message; JSON must be UTF-8 (RFC 8259).
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"body is not valid UTF-8 (byte {exc.start})") from None
    try:
        # JSON-mode validation (not json.loads + model_validate): in strict
        # mode it still accepts the JSON forms the schema documents, e.g. ISO
        # datetime / UUID strings and enum values.
        return model.model_validate_json(text, strict=strict)
    except ValidationError as exc:
        raise _validation_error(exc) from None


def parse_query(request: web.Request, model: type[M]) -> M:
    """Validate the query string against `model` (one value per key)."""
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise _validation_error(exc) from None


def parse_path(request: web.Request, model: type[M]) -> M:
    """Validate `request.match_info` against `model` (e.g. to coerce ids to int)."""
    try:
        return model.model_validate(dict(request.match_info))
    except ValidationError as exc:
        raise _validation_error(exc) from None


def json_response(
    data: BaseModel | Iterable[BaseModel],
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """Serialise a model (or iterable of models) exactly as the document describes it.

    by_alias=True because the document's schemas use aliases (pydantic's
    model_json_schema default) while model_dump defaults to field names.
    """
    if isinstance(data, BaseModel):
        payload: Any = data.model_dump(mode="json", by_alias=True)
    else:
        payload = [item.model_dump(mode="json", by_alias=True) for item in data]
    return web.json_response(payload, status=status, headers=headers)


# ------------------------------------------------------------------ the spec


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str  # aiohttp form, may contain {name:regex}
    handler: Handler
    body: type[BaseModel] | None
    responses: Mapping[int, ResponseSpec]
    query: type[BaseModel] | None
    path_model: type[BaseModel] | None
    summary: str | None
    description: str | None
    tags: tuple[str, ...]
    operation_id: str


def _list_item(spec: object) -> type[BaseModel] | None:
    """Model `M` if `spec` is `list[M]`, else None."""
    if typing.get_origin(spec) is list:
        (item,) = typing.get_args(spec)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None


def _is_model(spec: object) -> typing.TypeGuard[type[BaseModel]]:
    return isinstance(spec, type) and issubclass(spec, BaseModel)


@dataclass
class ApiSpec:
    """Registry of routes + their models; renders OpenAPI 3.1 and registers aiohttp routes."""

    title: str
    version: str
    description: str | None = None
    openapi_url: str = "/api/openapi.json"
    docs_url: str = "/api/docs"
    routes: list[Route] = field(default_factory=list)
    # Canonical paths of the routes registered without the bearer token (the document, the UI).
    _public: set[str] = field(default_factory=set)

    def route(
        self,
        method: str,
        path: str,
        handler: Handler,
        *,
        body: type[BaseModel] | None = None,
        responses: Mapping[int, ResponseSpec] | None = None,
        query: type[BaseModel] | None = None,
        path_params: type[BaseModel] | None = None,
        summary: str | None = None,
        description: str | None = None,
        tags: Sequence[str] = (),
    ) -> None:
        """Declare a route (every declared route needs the bearer token).

        `path` uses aiohttp syntax; `{id:\\d+}` is documented as an integer
        unless `path_params` (a model with one field per placeholder) says otherwise.
        Errors the layer itself can produce are documented automatically as
        ErrorOut (400/413/415 for `body`, 400 for `query`/`path_params`, 401,
        404 when the path has placeholders) unless declared.
        """
        op_id = handler.__name__
        if any(r.operation_id == op_id for r in self.routes):
            # Swagger UI and client generators key on operationId; duplicates break them.
            raise ValueError(f"duplicate operationId {op_id!r}")
        resp: dict[int, ResponseSpec] = dict(responses or {})
        if body is not None:
            for status in (400, 413, 415):
                resp.setdefault(status, ErrorOut)
        if query is not None or path_params is not None:
            resp.setdefault(400, ErrorOut)
        resp.setdefault(401, ErrorOut)
        if _PLACEHOLDER.search(path):
            # The router itself 404s when a value fails the placeholder regex.
            resp.setdefault(404, ErrorOut)
        self.routes.append(
            Route(
                method=method.upper(),
                path=path,
                handler=handler,
                body=body,
                responses=resp,
                query=query,
                path_model=path_params,
                summary=summary,
                description=description if description is not None else inspect.getdoc(handler),
                tags=tuple(tags),
                operation_id=op_id,
            )
        )

    def is_public(self, request: web.Request) -> bool:
        """Whether `request` matched a route registered without the token; unknown paths
        match none, so the guard refuses them like any other."""
        resource = request.match_info.route.resource
        return resource is not None and resource.canonical in self._public

    # ---------------------------------------------------------- document

    def document(self) -> dict[str, Any]:
        """Build the OpenAPI 3.1 document; every referenced model lands in components.schemas."""
        inputs: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ErrorOut, "serialization")]
        for r in self.routes:
            inputs += [(m, "validation") for m in (r.body, r.query, r.path_model) if m is not None]
            for spec in r.responses.values():
                model = spec if _is_model(spec) else _list_item(spec)
                if model is not None:
                    inputs.append((model, "serialization"))
        # One call for all models so shared sub-models get one name, and a model
        # used as both input and output gets "-Input"/"-Output" variants only
        # when its two schemas actually differ.
        refs, top = models_json_schema(list(dict.fromkeys(inputs)), ref_template=REF_TEMPLATE)
        schemas: dict[str, Any] = top.get("$defs", {})

        def ref(model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
            return dict(refs[(model, mode)])

        def resolved(model: type[BaseModel]) -> dict[str, Any]:
            name = refs[(model, "validation")]["$ref"].rsplit("/", 1)[1]
            return dict(schemas[name])

        paths: dict[str, dict[str, Any]] = {}
        for r in self.routes:
            op = _operation(r, ref, resolved)
            paths.setdefault(_openapi_path(r.path), {})[r.method.lower()] = op

        doc: dict[str, Any] = {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": self.version},
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {SECURITY_SCHEME: {"type": "http", "scheme": "bearer"}},
            },
            "security": [{SECURITY_SCHEME: []}],
        }
        if self.description:
            doc["info"]["description"] = self.description
        tags = sorted({t for r in self.routes for t in r.tags})
        if tags:
            doc["tags"] = [{"name": t} for t in tags]
        return doc

    # ---------------------------------------------------------- aiohttp

    def register(self, app: web.Application) -> None:
        """Add every declared route plus the public document and Swagger UI routes.

        The document is rendered once, here, so a broken model fails at startup
        rather than on the first docs request. Declare all routes before calling.
        """
        for r in self.routes:
            app.router.add_route(r.method, r.path, r.handler)
        doc_bytes = json.dumps(self.document(), separators=(",", ":")).encode()

        async def openapi_json(_: web.Request) -> web.Response:
            return web.Response(body=doc_bytes, content_type="application/json")

        public = [app.router.add_get(self.openapi_url, openapi_json)]
        public += _add_swagger_ui(app, self.docs_url, self.openapi_url, self.title)
        self._public.update(route.resource.canonical for route in public if route.resource)


def _operation(r: Route, ref: Ref, resolved: Callable[[type[BaseModel]], dict[str, Any]]) -> Any:
    op: dict[str, Any] = {"operationId": r.operation_id}
    if r.summary:
        op["summary"] = r.summary
    if r.description:
        op["description"] = r.description
    if r.tags:
        op["tags"] = list(r.tags)
    params = [
        *(_parameters(resolved(r.path_model), "path") if r.path_model else []),
        *(_parameters(resolved(r.query), "query") if r.query else []),
    ]
    if params:
        op["parameters"] = params
    if r.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(r.body, "validation")}},
        }
    op["responses"] = {
        str(status): _response(status, spec, ref) for status, spec in sorted(r.responses.items())
    }
    op["security"] = [{SECURITY_SCHEME: []}]
    return op


def _parameters(schema: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """One parameter per property of a path or query model's schema."""
    required = set(schema.get("required", ()))
    return [
        {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
            **({"description": prop["description"]} if "description" in prop else {}),
            "schema": prop,
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _response(status: int, spec: ResponseSpec, ref: Ref) -> dict[str, Any]:
    try:
        out: dict[str, Any] = {"description": HTTPStatus(status).phrase}
    except ValueError:
        out = {"description": f"HTTP {status}"}
    if _is_model(spec):
        out["content"] = {"application/json": {"schema": ref(spec, "serialization")}}
    elif isinstance(spec, RawBody):
        out["content"] = {spec.media_type: {"schema": dict(spec.schema)}}
    elif (item := _list_item(spec)) is not None:
        out["content"] = {
            "application/json": {"schema": {"type": "array", "items": ref(item, "serialization")}}
        }
    return out


def _openapi_path(path: str) -> str:
    return _PLACEHOLDER.sub(lambda m: "{" + m["name"] + "}", path)


# ------------------------------------------------------------- Swagger UI

# Only what the page loads; the package's static dir also ships the editor
# bundles and a petstore initializer we don't want to expose.
_SWAGGER_ASSETS: dict[str, str] = {
    "swagger-ui.css": "text/css",
    "index.css": "text/css",
    "swagger-ui-bundle.js": "application/javascript",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}
# Browser-enforced guarantee that the page talks to no other host. Swagger UI
# needs inline styles and data: images; its `Function("return this")`
# fallbacks are never reached in browsers, so no 'unsafe-eval'.
_DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def _add_swagger_ui(
    app: web.Application, docs_url: str, openapi_url: str, title: str
) -> list[web.AbstractRoute]:
    # swagger_ui.api_doc() is not used: with config_url it re-downloads the
    # spec with blocking urllib on each request, it injects a Swagger-2 `host`
    # key (invalid in 3.1), and it leaves the default validatorUrl, which makes
    # the browser call validator.swagger.io. We only borrow its packaged assets.
    static = Path(str(importlib.resources.files("swagger_ui") / "static"))
    prefix = docs_url.rstrip("/")
    page_html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<link rel="stylesheet" href="{prefix}/static/swagger-ui.css">
<link rel="stylesheet" href="{prefix}/static/index.css">
<link rel="icon" type="image/png" href="{prefix}/static/favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="{prefix}/static/favicon-16x16.png" sizes="16x16">
</head><body><div id="swagger-ui"></div>
<script src="{prefix}/static/swagger-ui-bundle.js"></script>
<script src="{prefix}/init.js"></script>
</body></html>
"""
    # External file rather than inline <script> so the CSP needs no 'unsafe-inline' for scripts.
    # validatorUrl: null -- otherwise Swagger UI fetches a badge from validator.swagger.io.
    init_js = (
        "window.onload = function () {\n"
        "  window.ui = SwaggerUIBundle({\n"
        f"    url: {json.dumps(openapi_url)},\n"
        '    dom_id: "#swagger-ui",\n'
        "    deepLinking: true,\n"
        "    displayRequestDuration: true,\n"
        "    validatorUrl: null,\n"
        "    presets: [SwaggerUIBundle.presets.apis],\n"
        '    layout: "BaseLayout",\n'
        "  });\n"
        "};\n"
    )
    headers = {"Content-Security-Policy": _DOCS_CSP, "X-Content-Type-Options": "nosniff"}

    async def page(_: web.Request) -> web.Response:
        return web.Response(text=page_html, content_type="text/html", headers=headers)

    async def init(_: web.Request) -> web.Response:
        return web.Response(text=init_js, content_type="application/javascript", headers=headers)

    async def asset(request: web.Request) -> web.FileResponse:
        name = request.match_info["name"]
        if name not in _SWAGGER_ASSETS:  # allow-list: also rules out path traversal
            raise web.HTTPNotFound()
        # FileResponse: sendfile + ETag/Last-Modified for the ~1.5 MB bundle.
        return web.FileResponse(
            static / name, headers={**headers, "Content-Type": _SWAGGER_ASSETS[name]}
        )

    return [
        app.router.add_get(prefix, page),
        app.router.add_get(f"{prefix}/init.js", init),
        app.router.add_get(prefix + "/static/{name}", asset),
    ]
