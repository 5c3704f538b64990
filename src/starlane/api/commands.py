"""Declared game commands: one declaration per command, from which everything else follows.

A :class:`GameCommand` says, once, what a command is called, which input model it takes,
which domain command it builds, its REST method and path, its WebSocket op and what shapes the
answer. From a table of them (:class:`CommandTable`; the game's is
:data:`starlane.api.game_commands.GAME_COMMANDS`):

- :func:`rest_routes` builds the REST routes (the JSON body or the query string validated in
  one pydantic-core call, :mod:`starlane.api.inputs`; path parameters as FastAPI path
  parameters; the OpenAPI document describes them all);
- :meth:`CommandTable.dispatch` answers a WebSocket op (``args`` holds the path parameters
  and the input model's fields);
- :mod:`starlane.api.codegen` writes the Python client's methods (``client/api.py``) and the
  commands table of ``docs/api.md``, and checks they are current.

Running one call (:meth:`GameCommand.run`): ``prepare`` (optional, before anything changes),
``build`` the domain command (a read builds none), execute it as the caller
(:meth:`~starlane.api.game.GameApi.execute`: rate limit, metrics), then ``answer`` from the
committed events. The answer is a response model, or plain data with the response model's
fields (encoded without building the model: the hot paths).

Adding a game command: a domain rule (a decider and its events in ``domain/``), one
declaration in :mod:`starlane.api.game_commands`, ``python -m starlane.api.codegen`` to write
the client method and the docs row, and tests.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Path, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel, create_model

from starlane.api.auth import Principal
from starlane.api.errors import ApiError
from starlane.api.inputs import json_body, json_body_openapi, query_openapi, query_params
from starlane.api.routes import DataResponse
from starlane.api.schemas.common import MAX_ID
from starlane.api.schemas.ws import WsRequest
from starlane.domain.commands import Command
from starlane.domain.events import Event

if TYPE_CHECKING:
    from starlane.api.game import GameApi

_PATH_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(slots=True)
class Args:
    """The validated arguments of one call of a declared command.

    Attributes:
        input: the input model instance (None for a command without one).
        path: the path parameters, by name (positive integer ids).
        prepared: what the declaration's ``prepare`` returned (None without one).
    """

    input: Any
    path: dict[str, int]
    prepared: Any = None


Build = Callable[[int, Args], Command | None]
"""``build(player_id, args)``: the domain command to execute, or None to execute nothing."""
Answer = Callable[["GameApi", Principal, Args, list[Event]], Any]
"""``answer(game, principal, args, events)``: the response (a model, or plain data), or an
awaitable of it for an answer that reads the database."""
Prepare = Callable[["GameApi", Principal, Args], Any]
"""``prepare(game, principal, args)``: computed before anything changes (kept in ``args``)."""


@dataclass(frozen=True, slots=True)
class GameCommand:
    """One game command, declared once.

    Attributes:
        name: the command's name: the Python client's method and the route's default name.
        method: the REST method, ``GET`` (a read) or ``POST``.
        path: the REST path, ``{name}`` for each path parameter (positive integer ids).
        summary: one line for ``/docs``.
        description: what it does (``/docs`` and the client method's docstring).
        response: the response model (documents the answer in the OpenAPI schema).
        answer: shapes the answer (see :data:`Answer`).
        answer_doc: the answer in a few words, for the docs table.
        input: the input model: the JSON body of a ``POST``, the query string of a ``GET``, the
            WebSocket ``args`` besides the path parameters; None when it takes none.
        command: the domain command class it builds (None for a read).
        build: builds the domain command from the caller's id and the arguments (see
            :data:`Build`); required when ``command`` is given.
        ws_op: its WebSocket op, None when it is REST only.
        tag: the OpenAPI tag (groups it in ``/docs``).
        route_name: the route's name (the OpenAPI operation id's stem) when not ``name``.
        prepare: computed before the command is built (see :data:`Prepare`), or None.
        client_defaults: defaults of the client method's parameters that differ from the input
            model's.
        client_keyword_only: client method parameters that are keyword-only.
    """

    name: str
    method: Literal["GET", "POST"]
    path: str
    summary: str
    description: str
    response: Any
    answer: Answer
    answer_doc: str
    input: type[BaseModel] | None = None
    command: type[Command] | None = None
    build: Build | None = None
    ws_op: str | None = None
    tag: str = "game"
    route_name: str | None = None
    prepare: Prepare | None = None
    client_defaults: Mapping[str, Any] = field(default_factory=dict)
    client_keyword_only: tuple[str, ...] = ()
    path_params: tuple[str, ...] = field(init=False, repr=False, compare=False)
    """The names of the path parameters, in path order (from ``path``)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "path_params", tuple(_PATH_PARAM.findall(self.path)))
        if (self.command is None) != (self.build is None):
            raise ValueError(f"{self.name}: a command and its build go together")
        if self.method == "GET" and self.command is not None:
            raise ValueError(f"{self.name}: a GET is a read and builds no command")
        if self.input is not None and set(self.path_params) & set(self.input.model_fields):
            raise ValueError(f"{self.name}: a path parameter is also an input field")

    @property
    def input_fields(self) -> tuple[str, ...]:
        """The input model's field names, in declaration order (none without a model)."""
        return () if self.input is None else tuple(self.input.model_fields)

    async def run(self, game: GameApi, principal: Principal, args: Args) -> Any:
        """Run one call: prepare, build, execute as the caller, answer.

        Args:
            game: the game operations.
            principal: the caller.
            args: the validated arguments.

        Returns:
            The answer: a response model or plain data with its fields.

        Raises:
            ApiError: 429 over the command rate, 404 ``player_not_in_galaxy``...
            DomainError: the rules refused the command.
        """
        if self.prepare is not None:
            args.prepared = self.prepare(game, principal, args)
        events: list[Event] = []
        if self.build is not None:
            command = self.build(principal.account_id, args)
            if command is not None:
                events = await game.execute(principal, command)
        result = self.answer(game, principal, args, events)
        return await result if inspect.isawaitable(result) else result


# --- the WebSocket side ---------------------------------------------------------------------
WS_CONTROL_OPS = ("auth", "ping", "subscribe", "unsubscribe")
"""WebSocket ops that are not game commands (the connection itself)."""


class CommandTable:
    """The declared commands one app serves, by WebSocket op.

    Args:
        commands: the declarations, in the order their routes are declared.

    Attributes:
        commands: the declarations.
        by_op: WebSocket op -> declaration.
        ws_ops: every op a client may send: the control ops, then the commands' ops.
        request_model: the model of a client's WebSocket message, ``op`` restricted to
            :attr:`ws_ops` (an unknown op is a 422 ``validation_error`` naming ``op``).

    Raises:
        ValueError: two declarations share a name, a WebSocket op, or a method and path.
    """

    def __init__(self, commands: Sequence[GameCommand]) -> None:
        self.commands = tuple(commands)
        self.by_op: dict[str, GameCommand] = {}
        seen: set[object] = set(WS_CONTROL_OPS)
        for c in self.commands:
            keys: list[object] = [("name", c.name), (c.method, c.path)]
            if c.ws_op is not None:
                keys.append(c.ws_op)
                self.by_op[c.ws_op] = c
            for key in keys:
                if key in seen:
                    raise ValueError(f"{c.name}: {key!r} is declared twice")
                seen.add(key)
        self.ws_ops: tuple[str, ...] = WS_CONTROL_OPS + tuple(self.by_op)
        self.request_model: type[WsRequest] = create_model(
            "WsRequest",
            __base__=WsRequest,
            op=(Literal[self.ws_ops], ...),  # type: ignore[arg-type]
        )

    def ws_args(self, command: GameCommand, raw: dict[str, Any]) -> Args:
        """Validate a WebSocket op's ``args``: the path parameters, then the input model.

        Args:
            command: the declaration of the op.
            raw: the message's ``args``.

        Returns:
            The validated arguments.

        Raises:
            ApiError: 422 ``validation_error`` for a path parameter that is not a positive
                integer id.
            pydantic.ValidationError: the other arguments are not a valid input model (without one,
                they are ignored).
        """
        path: dict[str, int] = {}
        params = command.path_params
        if params:
            rest = dict(raw)
            for name in params:
                path[name] = _positive_id(name, rest.pop(name, None))
        else:
            rest = raw
        model = command.input
        # strict even for a query model: WebSocket args are JSON, not query-string text
        return Args(None if model is None else model.model_validate(rest, strict=True), path)

    async def dispatch(self, game: GameApi, principal: Principal, op: str, raw: Any) -> Any:
        """Answer one WebSocket game op.

        Args:
            game: the game operations.
            principal: the caller.
            op: a game op of :attr:`by_op`.
            raw: the message's ``args``.

        Returns:
            The answer (a response model, or plain data).

        Raises:
            ApiError, ValidationError, DomainError: as for the REST route.
        """
        command = self.by_op[op]
        return await command.run(game, principal, self.ws_args(command, raw))


def _positive_id(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise ApiError(
            422, "validation_error", f"invalid args.{name}: a positive integer is required"
        )
    return value


# --- the REST side --------------------------------------------------------------------------
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
"""A path parameter: a positive integer id."""


def rest_endpoint(
    command: GameCommand, caller: Any, game_of: Callable[[Any], GameApi]
) -> Callable[..., Any]:
    """The endpoint function of a declared command's REST route.

    Args:
        command: the declaration.
        caller: the FastAPI dependency annotation of the endpoint's caller parameter
            (``Annotated[X, Depends(...)]``), giving an object with a ``principal``.
        game_of: the game operations from that caller object.

    Returns:
        An ``async`` endpoint whose signature FastAPI reads: one parameter per path parameter
        (a positive integer id), the request and the caller. Plain-data answers are encoded
        straight to JSON; a response model goes through the route's ``response_model``.
    """
    model = command.input
    is_get = command.method == "GET"
    prepare, build, answer = command.prepare, command.build, command.answer

    async def endpoint(request: Request, caller: Any, **path: int) -> Any:
        # GameCommand.run, inlined: the hot routes run through here
        if model is None:
            body = None
        elif is_get:
            body = query_params(request, model)
        else:
            body = await json_body(request, model)
        game = game_of(caller)
        principal = caller.principal
        args = Args(body, path)
        if prepare is not None:
            args.prepared = prepare(game, principal, args)
        events: list[Event] = []
        if build is not None:
            domain_command = build(principal.account_id, args)
            if domain_command is not None:
                events = await game.execute(principal, domain_command)
        result = answer(game, principal, args, events)
        if inspect.isawaitable(result):  # an answer that reads the database
            result = await result
        if type(result) is dict:
            return DataResponse(result)
        return result

    params = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=IdPath)
        for name in command.path_params
    ]
    params += [
        inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request),
        inspect.Parameter("caller", inspect.Parameter.KEYWORD_ONLY, annotation=caller),
    ]
    endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    endpoint.__name__ = command.route_name or command.name
    endpoint.__doc__ = command.description
    return endpoint


def rest_routes(
    table: CommandTable,
    *,
    caller: Any,
    game_of: Callable[[Any], GameApi],
    responses: dict[int | str, dict[str, Any]],
) -> list[APIRoute]:
    """The REST routes of every declared command, in declaration order.

    Args:
        table: the declared commands.
        caller: see :func:`rest_endpoint`.
        game_of: see :func:`rest_endpoint`.
        responses: the error responses every route documents.

    Returns:
        One route per declaration.
    """
    routes: list[APIRoute] = []
    for command in table.commands:
        extra: dict[str, Any] | None = None
        if command.input is not None:
            extra = (
                query_openapi(command.input)
                if command.method == "GET"
                else json_body_openapi(command.input)
            )
        routes.append(
            APIRoute(
                command.path,
                rest_endpoint(command, caller, game_of),
                methods=[command.method],
                response_model=command.response,
                responses=responses,
                summary=command.summary,
                description=command.description,
                tags=[command.tag],
                name=command.route_name or command.name,
                openapi_extra=extra,
            )
        )
    return routes
