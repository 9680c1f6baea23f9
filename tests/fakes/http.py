"""What every local fake service does to answer a request over real HTTP."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler


def send_json(
    handler: BaseHTTPRequestHandler,
    status: int,
    data: bytes,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> None:
    """One JSON response with its length and extra headers; a client that already gave up
    (its own timeout) is not an error of the fake's."""
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            handler.send_header(k, v)
        handler.end_headers()
        handler.wfile.write(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
