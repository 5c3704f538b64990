"""``starlane admin region``: the operator's region controls, through the running server.

Suspending, resuming, transferring and closing a region are commands to the region's engine,
which only the running server has: unlike the account verbs (which work on the database),
these verbs call the server's admin API over HTTP (``--server``, default
``http://127.0.0.1:8000``) as an admin account. Credentials come from ``--username`` and
``--password``, else ``STARLANE_ADMIN_USERNAME`` and ``STARLANE_ADMIN_PASSWORD``, else a
prompt (the password is not echoed). Each change is audited by the server with the
justification given; ``transfer`` and ``close`` need a second admin by default: they print the
pending request's id, which another admin approves with ``starlane admin region approve``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import httpx
import typer
from rich.table import Table

from starlane.cli.common import console, fail

__all__ = ["app", "make_client"]

app = typer.Typer(
    help=(
        "Region controls (list, suspend, resume, transfer, close, approve) through the running "
        "server's admin API: region actions run in the server's engines, so these verbs need "
        "--server (default http://127.0.0.1:8000) and an admin's credentials (--username and "
        "--password, or STARLANE_ADMIN_USERNAME and STARLANE_ADMIN_PASSWORD, or a prompt)."
    ),
    no_args_is_help=True,
)

DEFAULT_SERVER = "http://127.0.0.1:8000"

make_client: Callable[[str], httpx.Client] = lambda server: httpx.Client(  # noqa: E731
    base_url=server, timeout=30.0
)
"""Makes the HTTP client for ``--server`` (tests replace it with an in-process client)."""

ServerOption = Annotated[
    str,
    typer.Option("--server", envvar="STARLANE_SERVER", help="The Starlane server's base URL."),
]
UserOption = Annotated[
    str | None,
    typer.Option("--username", envvar="STARLANE_ADMIN_USERNAME", help="An admin account."),
]
PasswordOption = Annotated[
    str | None,
    typer.Option(
        "--password",
        envvar="STARLANE_ADMIN_PASSWORD",
        help="Its password (prompted for when not given).",
    ),
]
JustificationOption = Annotated[
    str, typer.Option("--justification", "-j", help="Why (required; recorded in the audit log).")
]
RegionArgument = Annotated[int, typer.Argument(help="The region's id.", min=1)]


def _problem(r: httpx.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return f"HTTP {r.status_code}: {r.text[:200]}"
    if isinstance(body, dict) and "code" in body:
        return f"{body['code']} (HTTP {r.status_code}): {body.get('detail', '')}"
    return f"HTTP {r.status_code}: {body}"


def _session(server: str, username: str | None, password: str | None) -> httpx.Client:
    if not server.startswith(("http://", "https://")):
        fail(f"--server must start with http:// or https://, not {server!r}")
    user = username or typer.prompt("Admin username")
    secret = password or typer.prompt("Password", hide_input=True)
    client = make_client(server)
    try:
        r = client.post("/api/v1/auth/login", json={"username": user, "password": secret})
    except httpx.HTTPError as exc:
        client.close()
        fail(f"cannot reach {server}: {exc}")
    if r.status_code != 200:
        client.close()
        fail(f"login refused: {_problem(r)}")
    client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    client.headers["User-Agent"] = "starlane-cli"
    return client


def _call(
    server: str,
    username: str | None,
    password: str | None,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    client = _session(server, username, password)
    try:
        r = client.request(method, path, json=body)
    except httpx.HTTPError as exc:
        fail(f"cannot reach {server}: {exc}")
    finally:
        client.close()
    if r.status_code >= 400:
        fail(_problem(r))
    answer: dict[str, Any] = r.json()
    answer["_status"] = r.status_code
    return answer


def _report(answer: dict[str, Any]) -> None:
    if answer["_status"] == 202:
        console.print(
            f"pending: request {answer['approval_id']} (audit entry {answer['index']}) waits "
            f"for a second admin: starlane admin region approve {answer['approval_id']} -j ..."
        )
        return
    console.print(
        f"done: audit entry {answer['index']}; before {answer['before']}; after {answer['after']}"
    )


@app.command("list")
def list_regions(
    server: ServerOption = DEFAULT_SERVER,
    username: UserOption = None,
    password: PasswordOption = None,
) -> None:
    """Every region with its status, governor, players and treasury."""
    answer = _call(server, username, password, "GET", "/api/v1/admin/regions")
    table = Table("id", "name", "kind", "status", "governor", "players", "treasury")
    for item in answer["items"]:
        table.add_row(
            str(item["id"]),
            item["name"],
            item["kind"],
            item["status"],
            "-" if item["governor_id"] is None else str(item["governor_id"]),
            str(item["players"]),
            str(item["treasury"]),
        )
    console.print(table)


def _verb(region_id: int, verb: str, body: dict[str, Any], server: str, u: Any, p: Any) -> None:
    path = f"/api/v1/admin/regions/{region_id}/{verb}"
    _report(_call(server, u, p, "POST", path, body))


@app.command("suspend")
def suspend(
    region_id: RegionArgument,
    justification: JustificationOption = "",
    server: ServerOption = DEFAULT_SERVER,
    username: UserOption = None,
    password: PasswordOption = None,
) -> None:
    """Suspend a region: arrivals refused, players inside may leave."""
    _verb(region_id, "suspend", {"justification": justification}, server, username, password)


@app.command("resume")
def resume(
    region_id: RegionArgument,
    justification: JustificationOption = "",
    server: ServerOption = DEFAULT_SERVER,
    username: UserOption = None,
    password: PasswordOption = None,
) -> None:
    """Resume a suspended region."""
    _verb(region_id, "resume", {"justification": justification}, server, username, password)


@app.command("transfer")
def transfer(
    region_id: RegionArgument,
    governor: Annotated[int, typer.Option("--governor", help="The new governor's account id.")],
    justification: JustificationOption = "",
    server: ServerOption = DEFAULT_SERVER,
    username: UserOption = None,
    password: PasswordOption = None,
) -> None:
    """Give a region to another governor (a second admin approves, by default)."""
    body = {"governor_id": governor, "justification": justification}
    _verb(region_id, "transfer", body, server, username, password)


@app.command("close")
def close(
    region_id: RegionArgument,
    justification: JustificationOption = "",
    server: ServerOption = DEFAULT_SERVER,
    username: UserOption = None,
    password: PasswordOption = None,
) -> None:
    """Close a region (a second admin approves, by default): its players are relocated with
    their ship, cargo and credits to the Nexus refugee-assistance district."""
    _verb(region_id, "close", {"justification": justification}, server, username, password)


@app.command("approve")
def approve(
    approval_id: Annotated[str, typer.Argument(help="The pending request's id.")],
    justification: JustificationOption = "",
    server: ServerOption = DEFAULT_SERVER,
    username: UserOption = None,
    password: PasswordOption = None,
) -> None:
    """Approve another admin's pending region request, which then runs."""
    path = f"/api/v1/admin/approvals/{approval_id}/approve"
    _report(_call(server, username, password, "POST", path, {"justification": justification}))
