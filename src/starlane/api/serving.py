"""How the HTTP server (uvicorn) is configured to protect the app: the keyword arguments of
``uvicorn.Config`` that come from ``settings.security``.

- ``ws_max_size``: WebSocket messages over ``security.ws_max_frame_bytes`` are refused by the
  protocol (close 1009) before they are buffered;
- ``ws_ping_interval``/``ws_ping_timeout``: a WebSocket peer that stops answering pings is
  dropped after ``ws_heartbeat_seconds``;
- ``timeout_keep_alive``: an idle keep-alive connection is closed after
  ``security.http_keep_alive_seconds``;
- a header timeout (:func:`header_timeout_protocol`): a connection that has not sent a whole
  request head within ``security.http_header_timeout_seconds`` of connecting (or of starting a
  request) is closed, so slow clients cannot hold connections;
- ``limit_concurrency``: ``security.http_max_connections`` (0: none);
- forwarded headers: believed only from ``security.forwarded_allow_ips`` (uvicorn's proxy
  headers off when it is empty, the default, so a client cannot pick its own address).
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlane.config import Settings


def header_timeout_protocol(seconds: float) -> type[Any]:
    """uvicorn's httptools HTTP protocol, closing connections that are slow to send a head.

    The timer starts when the connection opens and when a request begins, and stops once the
    request's headers are complete.

    Args:
        seconds: the longest a request head may take, seconds.

    Returns:
        A protocol class for ``uvicorn.Config(http=...)``.
    """
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class HeaderTimeoutProtocol(HttpToolsProtocol):
        """:class:`HttpToolsProtocol` with a deadline for each request head."""

        _head_timer: asyncio.TimerHandle | None = None

        def _start_head_timer(self) -> None:
            self._stop_head_timer()
            self._head_timer = self.loop.call_later(seconds, self._head_timed_out)

        def _stop_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if self.transport is not None and not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._start_head_timer()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._start_head_timer()

        def on_headers_complete(self) -> None:
            self._stop_head_timer()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_head_timer()
            super().connection_lost(exc)

    return HeaderTimeoutProtocol


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The ``uvicorn.Config`` keyword arguments that protect the server (module docstring).

    Args:
        settings: the server settings.

    Returns:
        Keyword arguments to pass to ``uvicorn.Config`` besides the app, host and port.
    """
    security = settings.security
    allowed = security.forwarded_allow_ips
    options: dict[str, Any] = {
        "ws_max_size": security.ws_max_frame_bytes,
        "ws_ping_interval": settings.ws_heartbeat_seconds,
        "ws_ping_timeout": settings.ws_heartbeat_seconds,
        "timeout_keep_alive": security.http_keep_alive_seconds,
        "limit_concurrency": security.http_max_connections or None,
        "proxy_headers": bool(allowed),
        "forwarded_allow_ips": ",".join(allowed) if allowed else "",
    }
    try:
        options["http"] = header_timeout_protocol(security.http_header_timeout_seconds)
    except ImportError:  # httptools missing: uvicorn's h11 protocol, without the head deadline
        options["http"] = "h11"
    return options
