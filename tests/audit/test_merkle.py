"""The Merkle tree against the published RFC 6962 vectors, and proofs over random trees."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlane.audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    leaf_hashes,
    merkle_tree_hash,
    node_hash,
    perfect_subtree_root,
    reader_from_sequence,
    root_from_inclusion_proof,
    root_from_leaf_hashes,
    subtree_root,
    verify_consistency,
    verify_inclusion,
)
from tests.audit.rfc6962_vectors import (
    CONSISTENCY_NODES,
    CONSISTENCY_PROOFS_HEX,
    HASHER_VECTORS_HEX,
    INCLUSION_NODES,
    INCLUSION_PROOFS_HEX,
    LEAVES_HEX,
    NODE_HASHES_HEX,
    ROOTS_HEX,
    SOME_HASH_HEX,
    NodeRef,
)

LEAVES = [bytes.fromhex(x) for x in LEAVES_HEX]
ROOTS = [bytes.fromhex(x) for x in ROOTS_HEX]
NODES = [[bytes.fromhex(x) for x in level] for level in NODE_HASHES_HEX]
HASHES = leaf_hashes(LEAVES)
READ = reader_from_sequence(HASHES)
SOME_HASH = bytes.fromhex(SOME_HASH_HEX)


def _node(ref: NodeRef) -> bytes:
    if len(ref) == 3:
        _, left, right = ref
        return node_hash(NODES[left[0]][left[1]], NODES[right[0]][right[1]])
    level, index = ref
    return NODES[level][index]


def test_hasher_vectors() -> None:
    assert EMPTY_ROOT.hex() == HASHER_VECTORS_HEX["empty_root"]
    assert leaf_hash(b"").hex() == HASHER_VECTORS_HEX["empty_leaf"]
    assert leaf_hash(b"L123456").hex() == HASHER_VECTORS_HEX["leaf_L123456"]
    assert node_hash(b"N123", b"N456").hex() == HASHER_VECTORS_HEX["node_N123_N456"]
    # A node over two leaf hashes is not the leaf hash of their concatenation.
    h1, h2 = leaf_hash(b"Hello"), leaf_hash(b"World")
    assert node_hash(h1, h2) != leaf_hash(h1 + h2)
    assert node_hash(h1, h2) != node_hash(h2, h1)


def test_leaf_and_node_hashes_of_the_8_leaf_tree() -> None:
    assert NODES[0] == HASHES
    for level in range(1, 4):
        for i, expected in enumerate(NODES[level]):
            assert node_hash(NODES[level - 1][2 * i], NODES[level - 1][2 * i + 1]) == expected


@pytest.mark.parametrize("size", range(9))
def test_root_for_every_size(size: int) -> None:
    assert merkle_tree_hash(LEAVES[:size]) == ROOTS[size]
    assert root_from_leaf_hashes(HASHES[:size]) == ROOTS[size]
    assert subtree_root(READ, 0, size) == ROOTS[size]
    cr = CompactRange()
    for leaf in LEAVES[:size]:
        cr.append_leaf(leaf)
    assert cr.root() == ROOTS[size]
    assert len(cr.hashes) == size.bit_count()


def test_compact_range_grows_one_leaf_at_a_time_and_in_batches() -> None:
    cr = CompactRange()
    assert cr.root() == EMPTY_ROOT
    for size in range(1, 9):
        cr.append(HASHES[size - 1])
        assert cr.root() == ROOTS[size]
        for start in range(size + 1):
            batched = CompactRange()
            batched.extend(HASHES[:start])
            batched.extend(HASHES[start:size])
            assert batched.root() == ROOTS[size], (start, size)
    restored = CompactRange(cr.size, list(cr.hashes))
    assert restored.root() == ROOTS[8]
    half = CompactRange()
    half.extend(HASHES[:4])
    copy = half.copy()
    copy.extend(HASHES[4:])
    assert (half.root(), copy.root()) == (ROOTS[4], ROOTS[8])


def test_compact_range_refuses_a_frontier_that_does_not_fit_its_size() -> None:
    with pytest.raises(ValueError, match="holds 2 hashes"):
        CompactRange(3, [HASHES[0]])
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange(1, [b"short"])


@pytest.mark.parametrize(("index", "size", "proof_hex"), INCLUSION_PROOFS_HEX)
def test_published_inclusion_proofs(index: int, size: int, proof_hex: list[str]) -> None:
    proof = [bytes.fromhex(x) for x in proof_hex]
    assert inclusion_proof(index, size, READ) == proof
    assert verify_inclusion(index, size, HASHES[index], proof, ROOTS[size])


@pytest.mark.parametrize(("size", "index", "nodes"), INCLUSION_NODES)
def test_inclusion_proofs_are_the_published_nodes(
    size: int, index: int, nodes: list[NodeRef]
) -> None:
    proof = inclusion_proof(index, size, READ)
    assert proof == [_node(n) for n in nodes]
    assert verify_inclusion(index, size, HASHES[index], proof, ROOTS[size])


@pytest.mark.parametrize(("first", "second", "proof_hex"), CONSISTENCY_PROOFS_HEX)
def test_published_consistency_proofs(first: int, second: int, proof_hex: list[str]) -> None:
    proof = [bytes.fromhex(x) for x in proof_hex]
    assert consistency_proof(first, second, READ) == proof
    assert verify_consistency(first, second, ROOTS[first], ROOTS[second], proof)


@pytest.mark.parametrize(("first", "second", "nodes"), CONSISTENCY_NODES)
def test_consistency_proofs_are_the_published_nodes(
    first: int, second: int, nodes: list[NodeRef]
) -> None:
    proof = consistency_proof(first, second, READ)
    assert proof == [_node(n) for n in nodes]
    assert verify_consistency(first, second, ROOTS[first], ROOTS[second], proof)


def _inclusion_probes(
    index: int, size: int, proof: list[bytes], root: bytes, lh: bytes
) -> list[tuple[int, int, bytes, list[bytes], bytes]]:
    """Corruptions from transparency-dev/merkle proof/verify_test.go corruptInclusionProof."""
    probes = [
        (index - 1, size, lh, proof, root),
        (index + 1, size, lh, proof, root),
        (index ^ 2, size, lh, proof, root),
        (index, size * 2, lh, proof, root),
        (index, size // 2, lh, proof, root),
        (index, size, leaf_hash(b"WrongLeaf"), proof, root),
        (index, size, lh, proof, EMPTY_ROOT),
        (index, size, lh, proof, SOME_HASH),
        (index, size, lh, [*proof, b""], root),
        (index, size, lh, [*proof, root], root),
        (index, size, lh, [b"", *proof], root),
        (index, size, lh, [root, *proof], root),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 8]) + wrong[i][1:]
        probes.append((index, size, lh, wrong, root))
    if proof:
        probes.append((index, size, lh, proof[:-1], root))
    if len(proof) > 1:
        probes.append((index, size, lh, [proof[0], SOME_HASH, *proof[1:]], root))
    return probes


@pytest.mark.parametrize(("index", "size", "proof_hex"), INCLUSION_PROOFS_HEX[1:])
def test_corrupted_inclusion_proofs_fail(index: int, size: int, proof_hex: list[str]) -> None:
    proof = [bytes.fromhex(x) for x in proof_hex]
    for probe in _inclusion_probes(index, size, proof, ROOTS[size], HASHES[index]):
        i, s, lh, p, r = probe
        assert not verify_inclusion(i, s, lh, p, r), probe


def test_inclusion_refuses_impossible_arguments() -> None:
    for index, size in [(0, 0), (1, 0), (2, 1), (8, 7), (-1, 3)]:
        with pytest.raises(ProofError):
            inclusion_proof(index, size, READ)
        assert not verify_inclusion(index, size, HASHES[0], [], EMPTY_ROOT)
    with pytest.raises(ProofError, match="too short"):
        root_from_inclusion_proof(0, 8, HASHES[0], [])
    with pytest.raises(ProofError, match="too long"):
        root_from_inclusion_proof(0, 1, HASHES[0], [HASHES[1]])


def test_consistency_edge_cases() -> None:
    # From proof/verify_test.go TestVerifyConsistency.
    r1, r2 = leaf_hash(b"don't care 1"), leaf_hash(b"don't care 2")
    assert not verify_consistency(0, 0, r1, r2, [])
    assert not verify_consistency(1, 1, r1, r2, [])
    assert verify_consistency(0, 0, r1, r1, [])
    assert verify_consistency(0, 1, r1, r2, [])
    assert verify_consistency(1, 1, r2, r2, [])
    assert not verify_consistency(1, 0, r1, r2, [])
    assert not verify_consistency(2, 1, r1, r2, [])
    assert not verify_consistency(1, 2, r1, r2, [])
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])
    assert not verify_consistency(0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])
    assert not verify_consistency(1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])
    with pytest.raises(ProofError):
        consistency_proof(5, 4, READ)
    assert consistency_proof(0, 8, READ) == []


def test_a_reader_that_returns_too_few_hashes_is_refused() -> None:
    with pytest.raises(ProofError, match=r"leaf reader returned 0 hashes for 2\.\.3"):
        inclusion_proof(0, 8, lambda a, b: HASHES[a : min(b, 2)])


def _flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 16]) + h[1:]


@settings(max_examples=60, deadline=None)
@given(size=st.integers(min_value=1, max_value=300), salt=st.binary(max_size=8))
def test_every_inclusion_proof_verifies_and_no_other(size: int, salt: bytes) -> None:
    leaves = [salt + i.to_bytes(4, "big") for i in range(size)]
    hashes = leaf_hashes(leaves)
    read = reader_from_sequence(hashes)
    root = merkle_tree_hash(leaves)
    other_root = merkle_tree_hash([*leaves[:-1], b"tampered"])
    for index in range(size):
        proof = inclusion_proof(index, size, read)
        assert len(proof) <= (size - 1).bit_length()
        assert verify_inclusion(index, size, hashes[index], proof, root)
        assert not verify_inclusion(index, size, leaf_hash(b"tampered"), proof, root)
        assert not verify_inclusion(index, size, hashes[index], proof, other_root)
        if size > 1:
            other = (index + 1) % size
            assert not verify_inclusion(other, size, hashes[index], proof, root)
            assert not verify_inclusion(index, size, hashes[other], proof, root)
        for i in range(len(proof)):
            bad = [*proof[:i], _flip(proof[i]), *proof[i + 1 :]]
            assert not verify_inclusion(index, size, hashes[index], bad, root)


@settings(max_examples=25, deadline=None)
@given(size=st.integers(min_value=1, max_value=70), salt=st.binary(max_size=8))
def test_every_consistency_proof_verifies_and_tampering_fails(size: int, salt: bytes) -> None:
    leaves = [salt + i.to_bytes(4, "big") for i in range(size)]
    hashes = leaf_hashes(leaves)
    read = reader_from_sequence(hashes)
    roots = [root_from_leaf_hashes(hashes[:n]) for n in range(size + 1)]
    for second in range(1, size + 1):
        for first in range(1, second + 1):
            proof = consistency_proof(first, second, read)
            r1, r2 = roots[first], roots[second]
            assert verify_consistency(first, second, r1, r2, proof)
            if first == second:
                assert proof == []
                continue
            assert not verify_consistency(first, second, _flip(r1), r2, proof)
            assert not verify_consistency(first, second, r1, _flip(r2), proof)
            assert not verify_consistency(first, second, r2, r1, proof)
            assert not verify_consistency(first, second, r1, r2, [])
            assert not verify_consistency(first, second, r1, r2, proof[:-1])
            assert not verify_consistency(first, second, r1, r2, [*proof, r1])
            assert not verify_consistency(first, second, r1, r2, [r2, *proof])
            if first > 1:
                assert not verify_consistency(first - 1, second, r1, r2, proof)
            for i in range(len(proof)):
                bad = [*proof[:i], _flip(proof[i]), *proof[i + 1 :]]
                assert not verify_consistency(first, second, r1, r2, bad)


def test_large_tree_root_matches_a_level_by_level_reference() -> None:
    hashes = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(5_000)]

    def reference(level: list[bytes]) -> bytes:
        # RFC 9162 2.1.1 literally: split at the largest power of two below n.
        if len(level) == 1:
            return level[0]
        k = 1 << ((len(level) - 1).bit_length() - 1)
        return node_hash(reference(level[:k]), reference(level[k:]))

    for size in (1, 2, 3, 1023, 1024, 1025, 4097, 5_000):
        assert root_from_leaf_hashes(hashes[:size]) == reference(hashes[:size])


@settings(max_examples=30, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=700),
    level=st.integers(min_value=0, max_value=5),
    data=st.data(),
)
def test_proofs_from_stored_subtree_roots_equal_proofs_from_leaves(
    size: int, level: int, data: st.DataObject
) -> None:
    hashes = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size)]
    read = reader_from_sequence(hashes)
    width = 1 << level
    nodes = [perfect_subtree_root(hashes[i : i + width]) for i in range(0, size - width + 1, width)]
    read_nodes = reader_from_sequence(nodes)
    for _ in range(5):
        index = data.draw(st.integers(min_value=0, max_value=size - 1))
        first = data.draw(st.integers(min_value=0, max_value=size))
        kw = {"read_nodes": read_nodes, "node_level": level}
        assert inclusion_proof(index, size, read, **kw) == inclusion_proof(index, size, read)
        assert consistency_proof(first, size, read, **kw) == consistency_proof(first, size, read)
        start = data.draw(st.integers(min_value=0, max_value=size))
        end = data.draw(st.integers(min_value=start, max_value=size))
        assert subtree_root(read, start, end, **kw) == root_from_leaf_hashes(hashes[start:end])


def test_stored_subtree_roots_spare_reading_leaves() -> None:
    size = 5_000
    hashes = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size)]
    nodes = [perfect_subtree_root(hashes[i : i + 256]) for i in range(0, size - 255, 256)]
    read_leaves: list[int] = []

    def read(start: int, end: int) -> list[bytes]:
        read_leaves.append(end - start)
        return hashes[start:end]

    proof = inclusion_proof(4_321, size, read, read_nodes=reader_from_sequence(nodes))
    assert proof == inclusion_proof(4_321, size, reader_from_sequence(hashes))
    assert sum(read_leaves) < 2 * 256
    with pytest.raises(ValueError, match="power-of-two"):
        perfect_subtree_root(hashes[:3])
    with pytest.raises(ProofError, match="node reader returned 0 hashes"):
        inclusion_proof(0, size, read, read_nodes=lambda a, b: [])
