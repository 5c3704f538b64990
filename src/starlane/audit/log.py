"""The audit log as stored in the database: tree roots and proofs, read asynchronously.

The proof functions of :mod:`starlane.audit.merkle` read leaf hashes and 256-leaf block roots
through synchronous callables. Here each computation runs twice: a dry run with recording
readers learns exactly which ranges it needs (about ``size / 256`` block roots and at most a
few hundred leaf hashes), those ranges are read from the database in one connection
(:func:`starlane.store.audit.read_leaf_hashes`, :func:`~starlane.store.audit.read_block_roots`),
and the real run reads them from memory. Nothing else is duplicated: the tree, the proofs and
their RFC 9162 definitions are :mod:`starlane.audit.merkle`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from starlane.audit.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    NODE_LEVEL,
    LeafHashReader,
    NodeReader,
    ProofError,
    consistency_proof,
    inclusion_proof,
    subtree_root,
)
from starlane.store.audit_reads import read_block_roots, read_leaf_hashes

T = TypeVar("T")
Computation = Callable[[LeafHashReader, NodeReader], T]

_DUMMY = b"\x00" * HASH_SIZE


async def run_with_store(engine: AsyncEngine, compute: Computation[T]) -> T:
    """Run a tree computation over the stored leaf hashes and block roots.

    Args:
        engine: the database.
        compute: ``compute(read, read_nodes)``, e.g. a call of
            :func:`~starlane.audit.merkle.inclusion_proof` (pure; run twice).

    Returns:
        What ``compute`` returns over the stored hashes.

    Raises:
        ProofError: the stored rows do not cover the ranges asked (rows deleted), or the
            arguments are out of range.
    """
    leaf_ranges: list[tuple[int, int]] = []
    node_ranges: list[tuple[int, int]] = []

    def record_leaves(start: int, end: int) -> Sequence[bytes]:
        leaf_ranges.append((start, end))
        return [_DUMMY] * (end - start)

    def record_nodes(start: int, end: int) -> Sequence[bytes]:
        node_ranges.append((start, end))
        return [_DUMMY] * (end - start)

    compute(record_leaves, record_nodes)
    leaves: dict[tuple[int, int], list[bytes]] = {}
    nodes: dict[tuple[int, int], list[bytes]] = {}
    async with engine.connect() as conn:
        for start, end in leaf_ranges:
            leaves[(start, end)] = await read_leaf_hashes(conn, start, end)
        for start, end in node_ranges:
            nodes[(start, end)] = await read_block_roots(conn, start, end)
    return compute(lambda a, b: leaves[(a, b)], lambda a, b: nodes[(a, b)])


async def stored_root(engine: AsyncEngine, size: int) -> bytes:
    """``MTH`` of the first ``size`` stored entries.

    Args:
        engine: the database.
        size: tree size, ``>= 0``.

    Returns:
        The 32-byte root.

    Raises:
        ProofError: fewer than ``size`` entries are stored.
    """
    if size == 0:
        return EMPTY_ROOT
    return await run_with_store(
        engine, lambda r, n: subtree_root(r, 0, size, read_nodes=n, node_level=NODE_LEVEL)
    )


async def stored_inclusion_proof(engine: AsyncEngine, index: int, tree_size: int) -> list[bytes]:
    """The RFC 9162 inclusion proof of a stored entry.

    Args:
        engine: the database.
        index: the entry, ``0 <= index < tree_size``.
        tree_size: the tree the proof is for (at most the log's size).

    Returns:
        The proof's hashes, leaf side first.

    Raises:
        ProofError: ``index`` is not in that tree, or rows are missing.
    """
    return await run_with_store(
        engine, lambda r, n: inclusion_proof(index, tree_size, r, read_nodes=n)
    )


async def stored_consistency_proof(engine: AsyncEngine, first: int, second: int) -> list[bytes]:
    """The RFC 9162 consistency proof between two sizes of the stored log.

    Args:
        engine: the database.
        first: the earlier size.
        second: the later size (at most the log's size).

    Returns:
        The proof's hashes.

    Raises:
        ProofError: ``first > second``, or rows are missing.
    """
    return await run_with_store(
        engine, lambda r, n: consistency_proof(first, second, r, read_nodes=n)
    )


__all__ = [
    "ProofError",
    "run_with_store",
    "stored_consistency_proof",
    "stored_inclusion_proof",
    "stored_root",
]
