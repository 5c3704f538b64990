"""The messages of the WebSocket command channel: parsing a client's request, writing a reply.

A client sends ``{"id": "...", "op": "...", "args": {...}}``; :func:`parse_request` checks it
(the plain well-formed shape without pydantic, anything else through the app's request model
for the exact error) and :func:`reply_text` writes ``{"type": "reply", "id": ..., "ok": ...,
"result" | "error": ...}`` as JSON text. Used by :mod:`starlane.api.ws`.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import msgspec
from pydantic import BaseModel, ValidationError

from starlane.api.commands import WS_CONTROL_OPS, CommandTable
from starlane.api.errors import problem

_json = msgspec.json.Encoder()
_CONTROL_OPS = frozenset(WS_CONTROL_OPS)


def validation_problem(exc: ValidationError) -> dict[str, Any]:
    """The 422 ``validation_error`` problem of invalid ``args`` (every ``loc`` under ``args``).

    Args:
        exc: the validation error.

    Returns:
        The problem document.
    """
    errors = [
        {
            "loc": ["args", *[p if isinstance(p, int) else str(p) for p in e["loc"]]],
            "msg": e["msg"],
            "type": e["type"],
        }
        for e in exc.errors(include_url=False)
    ]
    names = ", ".join(".".join(str(p) for p in e["loc"]) for e in errors)
    first = errors[0]["msg"] if errors else "invalid"
    return problem(422, "validation_error", f"invalid {names}: {first}", errors=errors)


_REQUEST_KEYS = frozenset(("id", "op", "args"))


class Request(NamedTuple):
    """A checked client message (the fields of :class:`~starlane.api.schemas.WsRequest`)."""

    id: str | None
    op: str
    args: dict[str, Any]


def parse_request(data: Any, table: CommandTable) -> Request:
    """The request in a decoded message; the plain well-formed shape skips pydantic (it cannot
    fail its checks), anything else is validated in full for the exact error.

    Args:
        data: the decoded message.
        table: the app's declared commands (their ops are the valid ones, with the control
            ops).

    Returns:
        The request's id, op and args.

    Raises:
        ValidationError: the message is not a well-formed request.
    """
    if type(data) is dict and data.keys() <= _REQUEST_KEYS:
        request_id, op, args = data.get("id"), data.get("op"), data.get("args", _NO_ARGS)
        if (
            (request_id is None or (type(request_id) is str and len(request_id) <= 64))
            and type(op) is str
            and (op in table.by_op or op in _CONTROL_OPS)
            and (args is _NO_ARGS or type(args) is dict)
        ):
            return Request(request_id, op, {} if args is _NO_ARGS else args)
    checked: Any = table.request_model.model_validate(data)
    return Request(checked.id, checked.op, checked.args)


_NO_ARGS: Any = object()
_msgspec_decode = msgspec.json.Decoder().decode


def decode_json(raw: str) -> Any:
    """The decoded message: msgspec for speed, ``json`` for what msgspec refuses (numbers out of
    its range such as ``1e400``), so the same texts are accepted as before.

    Args:
        raw: the message text.

    Returns:
        The decoded JSON value.

    Raises:
        ValueError: the text is not JSON.
    """
    try:
        return _msgspec_decode(raw)
    except ValueError:
        return json.loads(raw)


def reply_text(request_id: str | None, ok: bool, key: str, body: Any) -> str:
    """The JSON text of a reply; a pydantic result is serialized straight to JSON.

    Args:
        request_id: the request's id (None when it had none or could not be read).
        ok: whether the request succeeded.
        key: ``result`` or ``error``.
        body: the result or the problem document.

    Returns:
        The reply message as JSON text.
    """
    if isinstance(body, BaseModel):
        text = body.__pydantic_serializer__.to_json(body).decode()
    else:
        text = _json.encode(body).decode()
    return (
        f'{{"type":"reply","id":{_json.encode(request_id).decode()},'
        f'"ok":{"true" if ok else "false"},"{key}":{text}}}'
    )
