"""Shared API model base, limits, pagination and problem details."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

USERNAME_PATTERN = r"^[A-Za-z0-9_-]{3,24}$"
"""Usernames: 3-24 characters of letters, digits, ``_`` and ``-``."""
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 256
MAX_ID = 2**31 - 1
"""Largest id accepted anywhere (ids are 32-bit positive integers)."""
MAX_QUANTITY = 100_000
"""Largest quantity accepted at the edge (the rules may refuse less: ``GameRules``)."""
MAX_PAGE = 500
DEFAULT_PAGE = 100

Id = int
CommodityKey = str


def _whole_number(value: Any) -> Any:
    """A float with no fractional part as that integer (JSON Schema's ``integer`` includes
    ``3.0``); anything else unchanged, for the strict integer check to judge."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
"""An integer input of a request model: a JSON integer (``3`` or ``3.0``), never a string
(``"3"``) or a boolean (``true``)."""


class ApiModel(BaseModel):
    """Base of every API model: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class RequestModel(ApiModel):
    """Base of every request body (and WebSocket ``args``): unknown fields are refused and
    types are strict, so ``true`` is not the integer 1 and ``"5"`` is not a quantity (422
    ``validation_error`` naming the field). Query-string models stay lax: a query string holds
    only text."""

    model_config = ConfigDict(extra="forbid", strict=True)


T = TypeVar("T")


class Page(ApiModel, Generic[T]):
    """One page of a list. Pass ``next_cursor`` back as ``cursor`` to get the next page.

    Attributes:
        items: the entries of this page, in a stable order.
        next_cursor: opaque cursor of the next page; None on the last page.
    """

    items: list[T]
    next_cursor: str | None = None


class PageQuery(BaseModel):
    """The query parameters of a paged list (unknown parameters are ignored, as query strings
    go; not an :class:`ApiModel` for that reason).

    Attributes:
        cursor: the ``next_cursor`` of the previous page; None for the first page.
        limit: items per page, 1 to :data:`MAX_PAGE`.
    """

    cursor: str | None = Field(
        default=None, pattern=r"^[0-9]{1,9}$", description="next_cursor of a page"
    )
    limit: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE, description="items per page")


# --- errors -------------------------------------------------------------------------------
class FieldError(ApiModel):
    """One invalid input field of a 422 response.

    Attributes:
        loc: where the field is (``["body", "quantity"]``, ``["query", "limit"]``).
        msg: what is wrong.
        type: Pydantic's error type (``"greater_than_equal"``).
    """

    loc: list[str | int]
    msg: str
    type: str


class Problem(ApiModel):
    """An RFC 9457 problem details object (``application/problem+json``).

    Attributes:
        type: URI naming the problem type (``https://starlane.dev/problems/<code>``).
        title: short human summary of the problem type.
        status: the HTTP status code.
        detail: human explanation of this occurrence, naming the numbers involved.
        code: stable machine-readable code (a domain code such as ``insufficient_turns``, or
            ``validation_error``, ``not_authenticated``, ``invalid_token``, ``forbidden``,
            ``not_found``, ``rate_limited``, ``engine_busy``, ``engine_unavailable``,
            ``internal_error``...).
        instance: the request path.
        context: extra machine-readable facts (``{"needed": 3, "available": 1}``).
        errors: for ``validation_error``: every invalid field.
    """

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    context: dict[str, Any] | None = None
    errors: list[FieldError] | None = None
