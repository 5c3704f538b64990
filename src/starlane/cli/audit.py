"""``starlane audit``: check the tamper-evident audit log.

``starlane audit verify`` recomputes the Merkle tree from the entries in the database and
checks every signed checkpoint of the checkpoint file in the data directory (the copy kept
outside the database) with the verifier key published there. Exit status 0 and a one-line
summary when everything matches; 1 and the first failure (``entry 42 does not match
checkpoint 3: ...``, or the checkpoint that fails its signature) otherwise; 2 when the key or
the checkpoint file cannot be read.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from starlane.cli.common import console, fail, settings_from_flags
from starlane.cli.db import DbOption, redact_url

if TYPE_CHECKING:
    from starlane.audit.verify import VerifyResult

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Data directory holding audit-verifier.pub and audit-checkpoints.txt "
        "(default: STARLANE_DATA_DIR or ./data).",
    ),
]


@app.command("verify")
def verify(db: DbOption = None, data_dir: DataDirOption = None) -> None:
    """Recompute the audit log's tree and check it against every signed checkpoint."""
    from starlane.audit.checkpoint import CheckpointFileError, KeyFileError

    settings = settings_from_flags(db=db, data_dir=data_dir)
    url = settings.resolved_database_url()
    try:
        result = asyncio.run(_verify(url, settings.data_dir))
    except (KeyFileError, CheckpointFileError) as exc:
        fail(str(exc), code=2)
    except Exception as exc:
        fail(f"could not read the audit log in {redact_url(url)}: {exc}", code=2)
    if not result.ok:
        fail(result.summary, code=1)
    console.print(result.summary, soft_wrap=True, highlight=False)


async def _verify(url: str, data_dir: Path) -> VerifyResult:
    from starlane.audit.stored_verify import verify_stored_log
    from starlane.store.db import create_db_engine

    engine = create_db_engine(url)
    try:
        return await verify_stored_log(engine, data_dir)
    finally:
        await engine.dispose()
