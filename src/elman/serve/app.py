"""The HTTP application of ``elman serve``: one route family per run, found in its task's
``routes`` (``elman.tasks.base.Route``), plus ``GET /health``, ``GET /v1/models``, every
run's ``GET /v1/NAME/architecture`` and the page at ``/`` (``static/``, files of the package).

Every model call runs on one model thread, so the event loop keeps accepting requests while a
batch runs and no two calls share a model at once. Bad input is a 4xx JSON error naming the
field, ``{"error": "field: expected ..., got ...", "field": "field"}`` (pydantic's complaints,
an unknown route or method too); a full queue is 503
with Retry-After, a request over its time 504; an unexpected failure is a 500 with no detail.
"""

import asyncio
import json
import logging
from collections.abc import Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from fastapi import FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ConfigDict, Field, create_model
from starlette.exceptions import HTTPException

from ..errors import ElmanError, bad
from ..nn.summary import summarize
from .batching import Batcher, Busy
from .limits import BodyLimit, Limits
from .sessions import Sessions

log = logging.getLogger("elman.serve")
CONFIG = ConfigDict(extra="forbid")
STATIC = Path(__file__).parent / "static"
# the page loads nothing but its own files; the API page at /docs is FastAPI's and not bound
PAGE_POLICY = ("default-src 'self'; img-src 'self' data:; media-src 'self' data: blob:; "
               "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'")


@dataclass
class Served:
    """A run being served: its name in the URLs, the Run and its Task."""

    name: str
    run: Any                # elman.tasks.base.Run
    task: Any               # elman.tasks.base.Task


def build_app(served: list[Served], limits: Limits = Limits(), *,
              threads: int | None = None) -> FastAPI:
    """The application serving ``served``; ``threads``: torch threads of the model thread
    (None: torch's setting)."""
    app = FastAPI(title="elman serve", description="Trained elman models over HTTP; each run's "
                  "routes come from its task.")
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="elman-model",
                                  initializer=None if threads is None else torch.set_num_threads,
                                  initargs=() if threads is None else (threads,))
    app.add_middleware(BodyLimit, max_body=limits.max_body)
    fields: dict[str, list[str]] = {}           # path: the fields its body may hold
    add_error_handlers(app, fields)

    batchers: dict[str, Batcher] = {}

    @app.get("/health")
    def health() -> dict:
        """Up, the runs served and, per batched route, its model calls, the inputs they
        answered and the requests waiting."""
        return {"status": "ok", "runs": [s.name for s in served],
                "routes": {path: b.stats() for path, b in batchers.items()}}

    @app.get("/v1/models")
    def models() -> dict:
        return {"models": [describe(s) for s in served]}

    add_page(app)
    for s in served:
        s.task.serving(s.run)
        add_architecture(app, s)
        for route in s.task.routes:
            if route.kind not in KINDS:
                raise bad("route", f"one of the kinds {sorted(KINDS)}", repr(route.kind))
            endpoint = Endpoint(app, s, route, executor, limits, fields)
            batcher = KINDS[route.kind](endpoint)
            if batcher is not None:
                batchers[endpoint.path] = batcher
    return app


def describe(s: Served) -> dict:
    """The run as ``GET /v1/models`` lists it: task, config, sizes, parameter count, routes."""
    model, vocab = s.run.model, s.task.vocab
    return {"name": s.name, "task": s.run.config.task, "config": s.run.config.to_dict(),
            "parameters": sum(p.numel() for p in model.parameters()),
            "vocabulary": None if vocab is None else len(vocab),
            "hidden_sizes": s.run.config.model.hidden_sizes, "cell": s.run.config.model.cell,
            "routes": [{"path": f"/v1/{s.name}/{r.name}", "kind": r.kind, "help": r.help,
                        "input": r.input, "params": {p.name: p.default for p in r.params}}
                       for r in s.task.routes]}


def add_page(app: FastAPI):
    """``GET /``: the page (``static/index.html``), its scripts and styles under /static."""
    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html",
                            headers={"Content-Security-Policy": PAGE_POLICY})
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def add_architecture(app: FastAPI, s: Served):
    """``GET /v1/NAME/architecture``: the sizes table of the run's model
    (``elman.nn.summary``): per layer the shapes of W_F, W_R, b, z_t and a_t and its
    parameter count, and the count of every kind of parameter."""
    def architecture() -> dict:
        config = s.run.config.model
        return {"name": s.name, "cell": config.cell, "hidden_sizes": config.hidden_sizes,
                **summarize(s.run.model).to_dict()}
    app.get(f"/v1/{s.name}/architecture", summary=f"the layers and parameter counts of "
            f"{s.name}")(architecture)


@dataclass
class Endpoint:
    """What the adders below need of one route of one run."""

    app: FastAPI
    served: Served
    route: Any              # elman.tasks.base.Route
    executor: Executor
    limits: Limits
    fields: dict                # path: the fields of its body, for errors (build_app's)

    @property
    def path(self) -> str:
        return f"/v1/{self.served.name}/{self.route.name}"

    @property
    def summary(self) -> str:
        return f"{self.route.help} ({self.served.task.name})"

    def call(self, *args, **params):
        """The task's method on the run's model."""
        return getattr(self.served.task, self.route.method)([self.served.run.model], *args,
                                                             **params)

    def params(self, values) -> dict:
        """The route's params of a request body (or query), checked by their parsers."""
        get = values.get if isinstance(values, Mapping) else \
            (lambda name, default: getattr(values, name))
        return {p.name: parse(p, get(p.name, p.default)) for p in self.route.params}

    def body(self, **fields):
        """The pydantic model of a request body: ``fields`` and the route's params."""
        params = {p.name: (p.kind, Field(p.default, description=p.help))
                  for p in self.route.params}
        self.fields[self.path] = [*fields, *params]
        name = "".join(w.title() for w in self.path.replace("-", " ").split("/"))
        return create_model(name, __config__=CONFIG, **fields, **params)

    def batcher(self) -> Batcher:
        return Batcher(self.call, self.executor, max_batch=self.limits.max_batch,
                       max_wait=self.limits.max_wait_ms / 1000, max_queue=self.limits.max_queue)


def add_batch(e: Endpoint) -> Batcher:
    """``{"inputs": [...], **params}`` -> ``{"outputs": [...]}``, micro-batched."""
    batcher, limits = e.batcher(), e.limits
    Body = e.body(inputs=(list[Any], Field(..., min_length=1, max_length=limits.max_inputs,
                                           description=f"up to {limits.max_inputs}, each "
                                           f"{e.route.input}")))

    async def batch(body: Body) -> dict:
        check_inputs(body.inputs, limits)
        return {"outputs": await within(batcher.submit(body.inputs, e.params(body)), limits)}
    e.app.post(e.path, summary=e.summary)(batch)
    return batcher


def add_stream(e: Endpoint) -> None:
    """``{"input": ..., **params}`` -> server-sent events (or ``{"events": [...]}``)."""
    Body = e.body(input=(Any, Field("", description=e.route.input)),
                  stream=(bool, Field(True, description="server-sent events; false: one "
                                      "JSON answer")))

    async def stream(body: Body):
        check_inputs([body.input], e.limits, "input")
        events = e.call(body.input, **e.params(body))
        first = await next_event(events, e.executor)              # errors before the 200
        if not body.stream:
            rest = await within(gather_events(events, e.executor), e.limits)
            return {"events": ([] if first is None else [first]) + rest}
        return StreamingResponse(sse(first, events, e.executor), media_type="text/event-stream")
    e.app.post(e.path, summary=e.summary)(stream)


def add_session(e: Endpoint) -> None:
    """``{"input": ..., "session": id or null, **params}`` -> ``{"session", "output"}``, the
    state kept between requests; ``DELETE PATH/ID`` closes a session."""
    sessions = Sessions(max_sessions=e.limits.max_sessions,
                        idle_seconds=e.limits.session_idle_s)
    Body = e.body(input=(Any, Field(..., description=e.route.input)),
                  session=(str | None, Field(None, description="the id a previous answer "
                                             "gave; none: a new session")))

    async def step(state, body) -> tuple:
        params = e.params(body)
        return await within(asyncio.get_running_loop().run_in_executor(
            e.executor, lambda: e.call(state, body.input, **params)), e.limits)

    async def session(body: Body) -> dict:
        check_inputs([body.input], e.limits, "input")
        if body.session is None:                      # opened once its first input is read
            state, output = await step(None, body)
            sid, record = sessions.open()
            record.state = state
        else:
            sid, record = body.session, sessions.get(body.session)
            async with record.lock:
                record.state, output = await step(record.state, body)
        return {"session": sid, "output": output, "open_sessions": len(sessions)}

    async def close(sid: str) -> dict:
        sessions.close(sid)
        return {"closed": sid}
    e.app.post(e.path, summary=e.summary)(session)
    e.app.delete(e.path + "/{sid}", summary="close a session")(close)


def add_upload(e: Endpoint) -> Batcher:
    """Multipart files (field ``file``), params in the query -> ``{"outputs": [...]}``."""
    batcher, limits = e.batcher(), e.limits
    names = [p.name for p in e.route.params]

    async def upload(request: Request, file: list[UploadFile] = File(
            ..., description=f"up to {limits.max_inputs} files, each {e.route.input}")):
        if len(file) > limits.max_inputs:
            raise bad("file", f"at most {limits.max_inputs} files", len(file))
        unknown = sorted(set(request.query_params) - set(names))
        if unknown:
            raise bad(unknown[0], f"one of the params {', '.join(names)}" if names else
                      "no params (this route takes none)", "an unknown one")
        params = e.params(request.query_params)
        blobs = [await f.read() for f in file]
        return {"outputs": await within(batcher.submit(blobs, params), limits)}
    e.app.post(e.path, summary=e.summary)(upload)
    return batcher


KINDS = {"batch": add_batch, "stream": add_stream, "session": add_session, "upload": add_upload}


def parse(param, value):
    return value if param.parse is None else param.parse(param.name, value)


def check_inputs(inputs: list, limits: Limits, name: str = "inputs"):
    for i, x in enumerate(inputs):
        if isinstance(x, str) and len(x) > limits.max_chars:
            where = name if name == "input" else f"{name}[{i}]"
            raise bad(where, f"at most {limits.max_chars:,} characters", f"{len(x):,}")


async def within(awaitable, limits: Limits):
    try:
        return await asyncio.wait_for(awaitable, limits.request_seconds)
    except TimeoutError:
        raise HTTPException(504, f"the request took over {limits.request_seconds:g} s") \
            from None


_END = object()


async def next_event(events, executor):
    """The next event of a task's iterator, computed on the model thread (None at the end)."""
    value = await asyncio.get_running_loop().run_in_executor(executor, next, events, _END)
    return None if value is _END else value


async def gather_events(events, executor) -> list:
    out = []
    while (event := await next_event(events, executor)) is not None:
        out.append(event)
    return out


async def sse(first, events, executor):
    """Server-sent events: ``data: {...}`` per event, then ``event: end``."""
    count, event = 0, first
    try:
        while event is not None:
            yield f"data: {json.dumps(event)}\n\n"
            count += 1
            event = await next_event(events, executor)
    except Exception as e:                       # after the 200: an error event, no detail
        log.exception("stream failed after %d events", count)
        message = " ".join(str(e).splitlines()) if isinstance(e, ElmanError) else "internal error"
        yield f"event: error\ndata: {json.dumps({'error': message})}\n\n"
        return
    yield f"event: end\ndata: {json.dumps({'events': count})}\n\n"


def error(status: int, message: str, field: str | None = None, headers=None) -> JSONResponse:
    return JSONResponse({"error": message, "field": field}, status_code=status,
                        headers=headers)


# what a pydantic error type means a field should be
EXPECTED = {"int_parsing": "an integer", "int_type": "an integer", "int_from_float": "an integer",
            "float_parsing": "a number", "float_type": "a number",
            "bool_parsing": "a boolean (true or false)", "bool_type": "a boolean (true or false)",
            "string_type": "a string", "list_type": "a list", "dict_type": "a JSON object",
            "model_type": "a JSON object", "model_attributes_type": "a JSON object"}


def shown(value) -> str:
    """A JSON value for a message: null, true, 'text', [1, 2] (shortened)."""
    if value is None or isinstance(value, bool):
        text = {None: "null", True: "true", False: "false"}[value]
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def location(loc) -> str:
    """A pydantic error's location as elman names fields: inputs[0], body."""
    out = ""
    for part in loc:
        if part == "body":
            continue
        out += f"[{part}]" if isinstance(part, int) else f"{'.' if out else ''}{part}"
    return out or "body"


def validation_error(first: dict, fields: list[str] | None) -> tuple[str, str]:
    """(field, message) of pydantic's first complaint about a request, as the standard
    ``field: expected ..., got ...``."""
    kind, ctx = first.get("type"), first.get("ctx") or {}
    where, got = location(first.get("loc", ())), shown(first.get("input"))
    if kind == "json_invalid":
        where, expected = "body", "a JSON object"
        got = f"invalid JSON ({ctx.get('error', 'unreadable')})"
    elif kind == "missing":
        expected, got = ("a JSON object", "nothing") if where == "body" else \
            ("a value (the field is required)", "none")
    elif kind == "extra_forbidden":
        expected = f"one of the fields {', '.join(fields)}" if fields else \
            "a field of this route (the API page /docs lists them)"
        got = "an unknown field"
    elif kind in ("too_short", "too_long"):
        bound = ("at least", ctx.get("min_length")) if kind == "too_short" else \
            ("at most", ctx.get("max_length"))
        expected = f"{bound[0]} {bound[1]} item{'' if bound[1] == 1 else 's'}"
        got = f"{ctx.get('actual_length')}"
    else:
        message = str(first.get("msg", "a valid value"))
        expected = EXPECTED.get(kind) or message.removeprefix("Input should be ").split(",")[0]
    return where, f"{where}: expected {expected}, got {got}"


def add_error_handlers(app: FastAPI, fields: dict[str, list[str]]):
    @app.exception_handler(ElmanError)
    async def bad_input(request: Request, e: ElmanError):
        message = " ".join(str(e).splitlines())
        return error(422, message, message.split(":", 1)[0])

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError):
        where, message = validation_error(e.errors()[0], fields.get(request.url.path))
        return error(422, message, where)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException):
        method, path = request.method, request.url.path
        if e.status_code == 404:
            return error(404, "path: expected a route of this server (GET /v1/models lists "
                         f"them), got {method} {path}", "path")
        if e.status_code == 405:
            allowed = (e.headers or {}).get("Allow", "another method")
            return error(405, f"method: expected {allowed} for {path}, got {method}",
                         "method", headers=e.headers)
        return error(e.status_code, str(e.detail), headers=getattr(e, "headers", None))

    @app.exception_handler(Busy)
    async def busy(request: Request, e: Busy):
        return error(503, "the server is busy: the queue of this route is full; retry",
                     headers={"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def failed(request: Request, e: Exception):
        log.exception("failed: %s %s", request.method, request.url.path)
        return error(500, "internal error (logged on the server)")
