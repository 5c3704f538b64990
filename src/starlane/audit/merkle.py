"""RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and consistency proofs.

The audit log is the list of its leaves ``D[0:n]`` (each leaf the canonical bytes of one
entry, see :mod:`starlane.audit.leaf`). Its Merkle tree hash, the leaf and node hashes and
the two proofs follow RFC 9162 section 2.1 (the same tree as RFC 6962 section 2.1):

- empty tree: ``MTH({}) = SHA-256()`` (RFC 9162 2.1.1)
- leaf hash: ``MTH({d}) = SHA-256(0x00 || d)`` (RFC 9162 2.1.1)
- interior node: ``SHA-256(0x01 || left || right)``, where for ``n > 1`` leaves the tree splits
  at ``k``, the largest power of two smaller than ``n``: ``MTH(D[0:n]) =
  SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))`` (RFC 9162 2.1.1)
- inclusion proof ``PATH(m, D[n])`` and its verification (RFC 9162 2.1.3.1 and 2.1.3.2)
- consistency proof ``PROOF(m, D[n])`` and its verification (RFC 9162 2.1.4.1 and 2.1.4.2)

Nothing here recurses over leaves, and nothing needs every leaf in memory:

- :class:`CompactRange` is the frontier of a growing tree: the roots of the perfect subtrees
  that make up ``D[0:n]`` (at most ``log2(n) + 1`` hashes, one per set bit of ``n``). Leaves
  are appended one at a time or in batches and :meth:`CompactRange.root` folds the frontier
  into ``MTH(D[0:n])``. A store can persist the frontier (:attr:`CompactRange.hashes` and
  :attr:`CompactRange.size`) to extend a root after restart without re-reading the log.
- Proof generation reads leaf *hashes* through a :data:`LeafHashReader`, a callable
  ``read(start, end) -> Sequence[bytes]`` returning the 32-byte hashes of leaves
  ``start .. end - 1`` (a list's slice, a SQL range query), in chunks of
  :data:`READ_CHUNK` hashes. A store that also keeps the root of every complete block of
  ``2**node_level`` leaves (:func:`perfect_subtree_root`) passes a :data:`NodeReader` too, and
  a proof then reads about ``n / 2**node_level`` hashes instead of ``n``.

All hashes are 32-byte ``bytes``; indexes and sizes are leaf counts (``int >= 0``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

HASH_SIZE = 32
"""Length in bytes of every hash in the tree (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""``MTH({})``, the root of the empty tree: SHA-256 of nothing (RFC 9162 2.1.1)."""

READ_CHUNK = 65_536
"""How many leaf hashes proof generation asks a :data:`LeafHashReader` for at once."""

LeafHashReader = Callable[[int, int], Sequence[bytes]]
"""``read(start, end)`` returns the hashes of leaves ``start .. end - 1`` (``end - start``
32-byte values, in index order)."""

NodeReader = Callable[[int, int], Sequence[bytes]]
"""``read_nodes(start, end)`` returns the roots of the complete perfect subtrees at one level
``L`` (leaves ``i * 2**L .. (i + 1) * 2**L - 1`` for node ``i``), for nodes ``start .. end -
1``: what a store keeps to answer proofs without reading every leaf hash."""

NODE_LEVEL = 8
"""Default level of stored subtree roots: one per 256 leaves (the height of C2SP tlog tiles)."""

_sha256 = hashlib.sha256
_LEAF = b"\x00"
_NODE = b"\x01"


class ProofError(ValueError):
    """A proof was asked for with impossible arguments (an index or size out of range), or a
    reader returned the wrong number of hashes."""


def leaf_hash(leaf: bytes) -> bytes:
    """Hash one leaf: ``SHA-256(0x00 || leaf)`` (RFC 9162 2.1.1).

    Args:
        leaf: the leaf's bytes (any length, possibly empty).

    Returns:
        The 32-byte leaf hash.
    """
    return _sha256(_LEAF + leaf).digest()


def leaf_hashes(leaves: Iterable[bytes]) -> list[bytes]:
    """Hash many leaves (see :func:`leaf_hash`).

    Args:
        leaves: leaf byte strings, in index order.

    Returns:
        Their 32-byte leaf hashes, in the same order.
    """
    return [_sha256(_LEAF + leaf).digest() for leaf in leaves]


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash an interior node: ``SHA-256(0x01 || left || right)`` (RFC 9162 2.1.1).

    Args:
        left: the 32-byte hash of the left subtree.
        right: the 32-byte hash of the right subtree.

    Returns:
        The 32-byte node hash.
    """
    return _sha256(_NODE + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """``k`` such that ``k < n <= 2k`` (RFC 9162 2.1.1's split point); ``n >= 2``."""
    return 1 << ((n - 1).bit_length() - 1)


def _perfect_root(hashes: Sequence[bytes]) -> bytes:
    """Root of a perfect subtree over ``hashes`` (their count a power of two), level by
    level."""
    level = list(hashes)
    while len(level) > 1:
        pairs = zip(level[0::2], level[1::2], strict=True)
        level = [_sha256(_NODE + a + b).digest() for a, b in pairs]
    return level[0]


@dataclass
class CompactRange:
    """The frontier of a Merkle tree over leaves ``0 .. size - 1``.

    ``hashes`` holds the roots of the perfect subtrees that ``D[0:size]`` decomposes into,
    left to right and largest first: one per set bit of ``size`` (the subtree of ``2**b``
    leaves for each bit ``b``). That is all an append-only tree needs to compute its root and
    to keep growing: appending a leaf costs one leaf hash plus on average one node hash, and the
    state is at most 64 hashes.

    Attributes:
        size: number of leaves covered.
        hashes: perfect subtree roots, 32 bytes each, ``len(hashes) == size.bit_count()``.

    Raises:
        ValueError: on construction, when ``hashes`` does not fit ``size``.
    """

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.size < 0 or len(self.hashes) != self.size.bit_count():
            raise ValueError(
                f"a compact range of {self.size} leaves holds {self.size.bit_count()} hashes,"
                f" not {len(self.hashes)}"
            )
        if any(len(h) != HASH_SIZE for h in self.hashes):
            raise ValueError("compact range hashes must be 32 bytes each")

    def append(self, leaf_hash_: bytes) -> None:
        """Append one leaf by its hash.

        Args:
            leaf_hash_: the 32-byte :func:`leaf_hash` of leaf number ``size``.
        """
        stack = self.hashes
        h = leaf_hash_
        n = self.size
        while n & 1:
            h = _sha256(_NODE + stack.pop() + h).digest()
            n >>= 1
        stack.append(h)
        self.size += 1

    def append_leaf(self, leaf: bytes) -> None:
        """Append one leaf by its bytes (hashed with :func:`leaf_hash`).

        Args:
            leaf: the bytes of leaf number ``size``.
        """
        self.append(_sha256(_LEAF + leaf).digest())

    def extend(self, hashes: Sequence[bytes]) -> None:
        """Append many leaves by their hashes, hashing whole aligned subtrees level by level.

        Args:
            hashes: 32-byte leaf hashes of leaves ``size .. size + len(hashes) - 1``.
        """
        i = 0
        n = len(hashes)
        while i < n:
            # The largest perfect subtree that starts at `size` (aligned) and fits.
            fit = (n - i).bit_length() - 1
            align = (self.size & -self.size).bit_length() - 1 if self.size else fit
            level = min(fit, align)
            width = 1 << level
            self._push(_perfect_root(hashes[i : i + width]), level)
            i += width

    def _push(self, subtree_root: bytes, level: int) -> None:
        """Append a perfect subtree of ``2**level`` leaves; ``size`` is a multiple of it."""
        stack = self.hashes
        h = subtree_root
        n = self.size >> level
        while n & 1:
            h = _sha256(_NODE + stack.pop() + h).digest()
            n >>= 1
        stack.append(h)
        self.size += 1 << level

    def root(self) -> bytes:
        """The Merkle tree hash ``MTH(D[0:size])`` (RFC 9162 2.1.1).

        Returns:
            The 32-byte root; :data:`EMPTY_ROOT` for an empty range.
        """
        stack = self.hashes
        if not stack:
            return EMPTY_ROOT
        h = stack[-1]
        for left in reversed(stack[:-1]):
            h = _sha256(_NODE + left + h).digest()
        return h

    def copy(self) -> CompactRange:
        """An independent copy (appending to it leaves this range unchanged)."""
        return CompactRange(self.size, list(self.hashes))


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """``MTH`` of leaves given by their hashes (RFC 9162 2.1.1).

    Args:
        hashes: the 32-byte leaf hashes, in index order.

    Returns:
        The 32-byte tree root (:data:`EMPTY_ROOT` for none).
    """
    cr = CompactRange()
    cr.extend(hashes)
    return cr.root()


def merkle_tree_hash(leaves: Iterable[bytes]) -> bytes:
    """``MTH(D[0:n])`` of a list of leaves (RFC 9162 2.1.1).

    Args:
        leaves: leaf byte strings, in index order.

    Returns:
        The 32-byte tree root (:data:`EMPTY_ROOT` for no leaves).
    """
    return root_from_leaf_hashes(leaf_hashes(leaves))


def _read_exactly(read: LeafHashReader, start: int, end: int, what: str) -> Sequence[bytes]:
    chunk = read(start, end)
    if len(chunk) != end - start:
        raise ProofError(f"{what} reader returned {len(chunk)} hashes for {start}..{end - 1}")
    return chunk


def _streamed_root(read: LeafHashReader, start: int, end: int, what: str) -> bytes:
    """``MTH`` of the hashes ``start .. end - 1`` that ``read`` returns, in chunks."""
    cr = CompactRange()
    pos = start
    while pos < end:
        stop = min(end, pos + READ_CHUNK)
        cr.extend(_read_exactly(read, pos, stop, what))
        pos = stop
    return cr.root()


def subtree_root(
    read: LeafHashReader,
    start: int,
    end: int,
    *,
    read_nodes: NodeReader | None = None,
    node_level: int = NODE_LEVEL,
) -> bytes:
    """``MTH(D[start:end])`` computed from leaf hashes (and stored subtree roots) read in
    chunks.

    The range splits into perfect subtrees by the binary digits of its length, largest first
    (RFC 9162 2.1.1's split applied repeatedly). With ``read_nodes``, each such subtree that
    is aligned on and at least as large as a level-``node_level`` node is hashed from those
    nodes' stored roots instead of from its leaves.

    Args:
        read: returns the leaf hashes of a range (see :data:`LeafHashReader`).
        start: first leaf index.
        end: one past the last leaf index; ``start <= end``.
        read_nodes: returns stored roots of complete perfect subtrees at ``node_level`` (see
            :data:`NodeReader`), or ``None`` to read leaf hashes only.
        node_level: the level of the nodes ``read_nodes`` returns (``2**node_level`` leaves
            each).

    Returns:
        The 32-byte root of the tree over those leaves (:data:`EMPTY_ROOT` when empty).

    Raises:
        ProofError: when a reader returns the wrong number of hashes.
    """
    if read_nodes is None:
        return _streamed_root(read, start, end, "leaf")
    cr = CompactRange()
    pos = start
    for level in range((end - start).bit_length() - 1, -1, -1):
        if not (end - start) >> level & 1:
            continue
        width = 1 << level
        if level >= node_level and pos % (1 << node_level) == 0:
            first = pos >> node_level
            root = _streamed_root(read_nodes, first, first + (width >> node_level), "node")
        else:
            root = _streamed_root(read, pos, pos + width, "leaf")
        cr._push(root, level)
        pos += width
    return cr.root()


def perfect_subtree_root(hashes: Sequence[bytes]) -> bytes:
    """The root of a perfect subtree over its leaf hashes (for a store keeping
    :data:`NodeReader` nodes: the root of each complete block of ``2**node_level`` leaves).

    Args:
        hashes: 32-byte leaf hashes (or node hashes of one level); their count a power of two.

    Returns:
        The 32-byte subtree root.

    Raises:
        ValueError: when the count is not a power of two.
    """
    n = len(hashes)
    if n == 0 or n & (n - 1):
        raise ValueError(f"a perfect subtree has a power-of-two number of leaves, not {n}")
    return _perfect_root(hashes)


def _check_sizes(index: int, tree_size: int) -> None:
    if index < 0 or tree_size < 0:
        raise ProofError("indexes and tree sizes are never negative")


def inclusion_path_ranges(index: int, tree_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose roots make up ``PATH(index, D[0:tree_size])``, in proof order.

    ``PATH(m, D[n])`` (RFC 9162 2.1.3.1) for ``n > 1`` and ``k`` the largest power of two
    smaller than ``n`` is ``PATH(m, D[0:k]) : MTH(D[k:n])`` when ``m < k`` and
    ``PATH(m - k, D[k:n]) : MTH(D[0:k])`` otherwise; ``PATH(0, {d}) = {}``. The recursion is
    unrolled: each step records the sibling range, and the records reversed are the path.

    Args:
        index: the leaf, ``0 <= index < tree_size``.
        tree_size: number of leaves in the tree.

    Returns:
        ``(start, end)`` leaf ranges, one per proof hash, leaf-side first.

    Raises:
        ProofError: when ``index`` is not a leaf of a tree of ``tree_size`` leaves.
    """
    _check_sizes(index, tree_size)
    if index >= tree_size:
        raise ProofError(f"leaf {index} is not in a tree of {tree_size} leaves")
    ranges: list[tuple[int, int]] = []
    start, n, m = 0, tree_size, index
    while n > 1:
        k = _largest_power_of_two_below(n)
        if m < k:
            ranges.append((start + k, start + n))
            n = k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            n -= k
    ranges.reverse()
    return ranges


def consistency_proof_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The leaf ranges whose roots make up ``PROOF(first, D[0:second])``, in proof order.

    ``PROOF(m, D[n]) = SUBPROOF(m, D[n], true)`` (RFC 9162 2.1.4.1), where
    ``SUBPROOF(m, D[m], true) = {}``, ``SUBPROOF(m, D[m], false) = {MTH(D[m])}`` and, for
    ``m < n`` and ``k`` the largest power of two smaller than ``n``:
    ``SUBPROOF(m, D[0:k], b) : MTH(D[k:n])`` when ``m <= k``, else
    ``SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])``. The recursion is unrolled as in
    :func:`inclusion_path_ranges`.

    Args:
        first: the earlier tree size ``M``.
        second: the later tree size ``N``, ``M <= N``.

    Returns:
        ``(start, end)`` leaf ranges, one per proof hash; empty when ``M == N`` or ``M == 0``
        (an empty tree is consistent with every tree).

    Raises:
        ProofError: when ``first > second`` or a size is negative.
    """
    _check_sizes(first, second)
    if first > second:
        raise ProofError(f"a tree of {second} leaves cannot extend one of {first}")
    if first == 0 or first == second:
        return []
    ranges: list[tuple[int, int]] = []
    start, n, m, whole = 0, second, first, True
    while m < n:
        k = _largest_power_of_two_below(n)
        if m <= k:
            ranges.append((start + k, start + n))
            n = k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            n -= k
            whole = False
    if not whole:
        ranges.append((start, start + n))
    ranges.reverse()
    return ranges


def inclusion_proof(
    index: int,
    tree_size: int,
    read: LeafHashReader,
    *,
    read_nodes: NodeReader | None = None,
    node_level: int = NODE_LEVEL,
) -> list[bytes]:
    """The RFC 9162 inclusion proof of a leaf (``PATH(index, D[0:tree_size])``, 2.1.3.1).

    Without ``read_nodes`` it reads every leaf hash of the tree once (the sibling subtrees
    partition the other leaves); with it, about ``tree_size / 2**node_level`` stored roots and
    at most ``2 * 2**node_level`` leaf hashes.

    Args:
        index: the leaf, ``0 <= index < tree_size``.
        tree_size: number of leaves in the tree the proof is for.
        read: returns leaf hashes of a range (see :data:`LeafHashReader`).
        read_nodes: optional stored subtree roots (see :func:`subtree_root`).
        node_level: their level.

    Returns:
        The proof: 32-byte hashes, leaf side first (``ceil(log2(tree_size))`` at most).

    Raises:
        ProofError: when ``index`` is not a leaf of that tree, or ``read`` misbehaves.
    """
    return [
        subtree_root(read, a, b, read_nodes=read_nodes, node_level=node_level)
        for a, b in inclusion_path_ranges(index, tree_size)
    ]


def consistency_proof(
    first: int,
    second: int,
    read: LeafHashReader,
    *,
    read_nodes: NodeReader | None = None,
    node_level: int = NODE_LEVEL,
) -> list[bytes]:
    """The RFC 9162 consistency proof between tree sizes (``PROOF(first, D[0:second])``,
    2.1.4.1).

    Args:
        first: the earlier tree size ``M``.
        second: the later tree size ``N``, ``M <= N``.
        read: returns leaf hashes of a range (see :data:`LeafHashReader`).
        read_nodes: optional stored subtree roots (see :func:`subtree_root`).
        node_level: their level.

    Returns:
        The proof: 32-byte hashes; empty when ``M == N`` or ``M == 0``.

    Raises:
        ProofError: when ``first > second``, or ``read`` misbehaves.
    """
    return [
        subtree_root(read, a, b, read_nodes=read_nodes, node_level=node_level)
        for a, b in consistency_proof_ranges(first, second)
    ]


def reader_from_sequence(hashes: Sequence[bytes]) -> LeafHashReader:
    """A :data:`LeafHashReader` over an in-memory sequence of leaf hashes.

    Args:
        hashes: 32-byte leaf hashes, index order.

    Returns:
        ``read(start, end)`` returning ``hashes[start:end]``.
    """

    def read(start: int, end: int) -> Sequence[bytes]:
        return hashes[start:end]

    return read


def root_from_inclusion_proof(
    index: int, tree_size: int, leaf_hash_: bytes, proof: Sequence[bytes]
) -> bytes:
    """The root that an inclusion proof leads to (RFC 9162 2.1.3.2, steps 1 to 4).

    Args:
        index: the leaf's index.
        tree_size: the tree's size.
        leaf_hash_: the 32-byte :func:`leaf_hash` of the leaf.
        proof: the inclusion proof's hashes.

    Returns:
        The 32-byte root the proof computes.

    Raises:
        ProofError: when the proof cannot belong to that index and size (index out of range,
            too many or too few hashes, a hash of the wrong length).
    """
    _check_sizes(index, tree_size)
    if index >= tree_size:
        raise ProofError(f"leaf {index} is not in a tree of {tree_size} leaves")
    if len(leaf_hash_) != HASH_SIZE or any(len(p) != HASH_SIZE for p in proof):
        raise ProofError("inclusion proof hashes must be 32 bytes each")
    fn, sn = index, tree_size - 1
    r = leaf_hash_
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    return r


def verify_inclusion(
    index: int, tree_size: int, leaf_hash_: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Verify an inclusion proof (RFC 9162 2.1.3.2).

    Args:
        index: the leaf's index.
        tree_size: the size of the tree whose root is ``root``.
        leaf_hash_: the 32-byte :func:`leaf_hash` of the leaf.
        proof: the inclusion proof's hashes.
        root: the 32-byte root of the tree of ``tree_size`` leaves.

    Returns:
        ``True`` when the proof shows the leaf at ``index`` in that tree, else ``False``.
    """
    try:
        got = root_from_inclusion_proof(index, tree_size, leaf_hash_, proof)
    except ProofError:
        return False
    return hmac.compare_digest(got, root)


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Verify a consistency proof between two tree heads (RFC 9162 2.1.4.2).

    Sizes the RFC leaves aside: ``first == second`` holds with an empty proof when the roots
    are equal; ``first == 0`` holds with an empty proof (the empty tree is a prefix of every
    tree).

    Args:
        first: the earlier tree size ``M``.
        second: the later tree size ``N``.
        first_root: the 32-byte root of the tree of ``M`` leaves.
        second_root: the 32-byte root of the tree of ``N`` leaves.
        proof: the consistency proof's hashes.

    Returns:
        ``True`` when the tree of ``N`` leaves extends the tree of ``M`` leaves, else ``False``.
    """
    if first < 0 or second < 0 or first > second:
        return False
    if len(first_root) != HASH_SIZE or len(second_root) != HASH_SIZE:
        return False
    if any(len(p) != HASH_SIZE for p in proof):
        return False
    if first == second:
        return not proof and hmac.compare_digest(first_root, second_root)
    if first == 0:
        return not proof
    # Step 1: an empty path fails.
    if not proof:
        return False
    path = list(proof)
    # Step 2: a first size that is an exact power of two starts from first_root.
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    # Steps 3 and 4.
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Step 5.
    fr = sr = path[0]
    # Step 6.
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # Step 7.
    return sn == 0 and hmac.compare_digest(fr, first_root) and hmac.compare_digest(sr, second_root)
