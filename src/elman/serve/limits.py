"""What one server and one request may use: body size, inputs and characters per request,
request time, batch size and wait, queue length, open sessions and their idle time."""

import json
from dataclasses import dataclass, field


def limit(default, help: str):
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Limits:
    max_body: int = limit(1_000_000, "bytes of one request body")
    max_inputs: int = limit(64, "inputs of one batch request")
    max_chars: int = limit(10_000, "characters of one string input")
    request_seconds: float = limit(30.0, "a request's time in the queue and the model")
    max_batch: int = limit(64, "inputs of one model call (1: no micro-batching)")
    max_wait_ms: float = limit(5.0, "how long a batch waits for more requests")
    max_queue: int = limit(256, "waiting requests of one route; more: 503")
    max_sessions: int = limit(1000, "open sessions of one session route")
    session_idle_s: float = limit(600.0, "a session's life without a request")


class BodyLimit:
    """ASGI middleware: a request body over ``max_body`` bytes (by its Content-Length or as
    it arrives) is answered 413 before the application reads it."""

    def __init__(self, app, *, max_body: int):
        self.app, self.max_body = app, max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            return await too_large(send, self.max_body)
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body:
                return await too_large(send, self.max_body)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, replay, send)


async def too_large(send, max_body: int):
    body = json.dumps({"error": f"body: expected at most {max_body:,} bytes, got more",
                       "field": "body"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
