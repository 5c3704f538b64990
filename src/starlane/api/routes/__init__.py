"""The API's routes: ``game`` (built from the command declarations), ``auth``, ``health``."""

from typing import Any

import msgspec
from starlette.responses import Response

_encode = msgspec.json.Encoder().encode


class DataResponse(Response):
    """A JSON response encoded straight from plain data (the hot game routes).

    The route still declares its ``response_model``, which documents the response in the
    OpenAPI schema; returning a response object makes FastAPI skip validating and serializing
    through that model (documented FastAPI behaviour), a measurable share of the server's CPU
    on the REST game mix. The data comes from the answers of the declared commands (plain
    dicts), whose fields the tests compare with the models (``tests/api/test_ws.py``,
    schemathesis).
    """

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """The content as JSON bytes (msgspec)."""
        return _encode(content)
