"""A minimal keep-alive HTTP/1.1 client for the load generator.

httpx is a fine general client but costs several times more CPU per request than the server
spends answering a simple one; on a 2-core machine the load generator would measure itself.
This client keeps one connection open, writes a pre-built request and reads a
``Content-Length`` (or chunked) answer: nothing else. It is only used by the benchmark.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

import msgspec

_encode = msgspec.json.Encoder().encode


class RawHttpError(Exception):
    """The connection failed or the answer could not be parsed."""


class RawHttp:
    """One persistent HTTP/1.1 connection to a server.

    Args:
        base_url: ``http://host:port`` (no TLS).
        token: a bearer token sent with every request, or None.
    """

    def __init__(self, base_url: str, token: str | None = None) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http":
            raise ValueError("the benchmark client speaks plain http:// only")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._host_header = f"{self.host}:{self.port}"
        self.token = token
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        """Close the connection."""
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await self._writer.wait_closed()
            self._reader = self._writer = None

    async def request(
        self, method: str, path: str, body: object | None = None
    ) -> tuple[int, bytes, dict[str, str]]:
        """Send one request and read the whole answer.

        Args:
            method: ``GET`` or ``POST``.
            path: path and query (``/api/v1/me``).
            body: a JSON-encodable body, or None.

        Returns:
            The status, the body bytes and the headers (lower-case names).

        Raises:
            RawHttpError: the connection broke or the answer was malformed.
        """
        payload = b"" if body is None else _encode(body)
        head = [f"{method} {path} HTTP/1.1", f"Host: {self._host_header}"]
        if self.token:
            head.append(f"Authorization: Bearer {self.token}")
        if body is not None:
            head.append("Content-Type: application/json")
        head.append(f"Content-Length: {len(payload)}")
        data = ("\r\n".join(head) + "\r\n\r\n").encode() + payload
        for attempt in (0, 1):
            if self._writer is None:
                await self._connect()
            assert self._writer is not None and self._reader is not None
            try:
                self._writer.write(data)
                return await self._read_response()
            except (OSError, ConnectionError, asyncio.IncompleteReadError) as exc:
                await self.close()
                if attempt:
                    raise RawHttpError(f"{type(exc).__name__}: {exc}") from exc
        raise RawHttpError("unreachable")  # pragma: no cover

    async def _read_response(self) -> tuple[int, bytes, dict[str, str]]:
        assert self._reader is not None
        raw = await self._reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        try:
            status = int(lines[0].split(" ", 2)[1])
        except (IndexError, ValueError) as exc:
            raise RawHttpError(f"bad status line {lines[0]!r}") from exc
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self._reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self._reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self._reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            body = b"".join(chunks)
        else:
            body = b""
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, body, headers
