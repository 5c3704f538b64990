"""What the Python client needs to send one declared game command, and its JSON type.

The server declares each game command once (:mod:`starlane.api.game_commands`);
``python -m starlane.api.codegen`` turns each declaration into a :class:`ClientCommand` and a
method of :class:`~starlane.client.game_methods.GameMethods`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

JSON = dict[str, Any]
"""A decoded JSON object as the API returns it."""


class ClientCommand(NamedTuple):
    """How to send one game command (generated from the server's declarations).

    Attributes:
        method: ``GET`` or ``POST``.
        path: the path, ``{name}`` for each path parameter.
        body: whether it carries a JSON body (the arguments that are not path parameters);
            otherwise they go in the query string (``GET``) or nowhere.
    """

    method: str
    path: str
    body: bool
