"""Audit log core: Merkle roots, proofs and full verification over a million leaves.

The leaves are synthetic audit leaves of about 330 bytes (the size of a canonical entry with a
short justification), built before timing. The run measures, in one process, single core:

- ``baseline``: raw ``hashlib.sha256(leaf).digest()`` of every leaf, the least any tree over
  these leaves must do, to compare machines: the ratio to it is steadier than raw figures;
- ``leaf hashes``: ``merkle.leaf_hashes`` (SHA-256 of ``0x00 || leaf``);
- ``root from leaves``: ``merkle.merkle_tree_hash`` (leaf hashes plus the tree);
- ``append one by one``: ``CompactRange.append`` of every leaf hash, then ``root()``, as a
  server extends its tree entry by entry;
- ``inclusion proof``, ``consistency proof``: one proof for a random index / first size
  in the whole tree, reading leaf hashes from a list in chunks (each proof hashes every leaf
  hash once: figures are leaves per second);
- ``... with stored nodes``: the same proofs when the store also keeps the root of every
  complete block of 256 leaves (``read_nodes``), proofs per second;
- ``verify inclusion``, ``verify consistency``: proofs checked per second;
- ``verify_log``: the whole log against a signed checkpoint every 1,000 entries (leaf hashing,
  tree, Ed25519 checks), entries per second.

The baseline and the root workload run interleaved (A B B A) and each figure is the best of
its runs.

Run: ``.venv/bin/python benchmarks/bench_audit.py`` (``--quick`` for 100,000 leaves,
``--leaves N`` to choose, ``--json`` for machine-readable output).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import time
from collections.abc import Callable

from starlane.audit.checkpoint import Checkpoint, sign_checkpoint
from starlane.audit.merkle import (
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hashes,
    merkle_tree_hash,
    perfect_subtree_root,
    reader_from_sequence,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from starlane.audit.note import NoteSigner
from starlane.audit.verify import verify_log

_TEMPLATE = (
    b'{"action":"credits.adjust","actor_id":7,"actor_role":"admin",'
    b'"after":{"credits":%d},"before":{"credits":%d},"client_address":"203.0.113.9",'
    b'"index":%d,"justification":"refund after the freighter was lost in a gate failure",'
    b'"request_id":"req-%d","reverts":null,"target_id":"%d","target_kind":"account",'
    b'"time":"2026-12-06T02:28:37.123456Z","user_agent":"starlane-cli/0.1","v":1}'
)


def _leaves(n: int) -> list[bytes]:
    return [_TEMPLATE % (i * 5 + 5, i * 5, i, i, i % 997) for i in range(n)]


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    """Run the benchmark and print figures and ratios."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="100,000 leaves, fewer proofs")
    ap.add_argument("--leaves", type=int, default=None, help="leaves in the tree")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    n = args.leaves or (100_000 if args.quick else 1_000_000)
    proofs = 3 if args.quick else 5
    rng = random.Random(args.seed)
    leaves = _leaves(n)
    sha256 = hashlib.sha256

    def baseline() -> None:
        for leaf in leaves:
            sha256(leaf).digest()

    # A B B A: raw hashing and the root from leaves, interleaved.
    base_runs, root_runs = [], []
    root = b""
    for order in ("A", "B", "B", "A"):
        if order == "A":
            base_runs.append(_timed(baseline))
        else:
            t0 = time.perf_counter()
            root = merkle_tree_hash(leaves)
            root_runs.append(time.perf_counter() - t0)
    base_s, root_s = min(base_runs), min(root_runs)

    hashes: list[bytes] = []

    def hash_leaves() -> None:
        hashes[:] = leaf_hashes(leaves)

    hash_s = _timed(hash_leaves)
    tree_s = _timed(lambda: root_from_leaf_hashes(hashes))

    def one_by_one() -> None:
        cr = CompactRange()
        for h in hashes:
            cr.append(h)
        assert cr.root() == root

    append_s = _timed(one_by_one)

    read = reader_from_sequence(hashes)
    indexes = [rng.randrange(n) for _ in range(proofs)]
    firsts = [rng.randrange(1, n) for _ in range(proofs)]
    t0 = time.perf_counter()
    inc = [inclusion_proof(i, n, read) for i in indexes]
    inc_s = (time.perf_counter() - t0) / proofs
    t0 = time.perf_counter()
    con = [consistency_proof(m, n, read) for m in firsts]
    con_s = (time.perf_counter() - t0) / proofs
    first_roots = [root_from_leaf_hashes(hashes[:m]) for m in firsts]

    nodes = reader_from_sequence(
        [perfect_subtree_root(hashes[i : i + 256]) for i in range(0, n - 255, 256)]
    )
    rounds_nodes = 200
    t0 = time.perf_counter()
    for k in range(rounds_nodes):
        j = k % proofs
        assert inclusion_proof(indexes[j], n, read, read_nodes=nodes) == inc[j]
    inc_nodes_s = (time.perf_counter() - t0) / rounds_nodes
    t0 = time.perf_counter()
    for k in range(rounds_nodes):
        j = k % proofs
        assert consistency_proof(firsts[j], n, read, read_nodes=nodes) == con[j]
    con_nodes_s = (time.perf_counter() - t0) / rounds_nodes

    rounds = 2_000
    t0 = time.perf_counter()
    for k in range(rounds):
        j = k % proofs
        assert verify_inclusion(indexes[j], n, hashes[indexes[j]], inc[j], root)
    vinc_s = (time.perf_counter() - t0) / rounds
    t0 = time.perf_counter()
    for k in range(rounds):
        j = k % proofs
        assert verify_consistency(firsts[j], n, first_roots[j], root, con[j])
    vcon_s = (time.perf_counter() - t0) / rounds

    origin = "bench.starlane/audit"
    signer = NoteSigner.from_seed(origin, bytes(32))
    notes = []
    cr = CompactRange()
    for start in range(0, n - n % 1000, 1000):
        cr.extend(hashes[start : start + 1000])
        notes.append(sign_checkpoint(signer, Checkpoint(origin, cr.size, cr.root())))
    t0 = time.perf_counter()
    result = verify_log(enumerate(leaves), notes, signer.verifier)
    verify_s = time.perf_counter() - t0
    assert result.ok, result.summary

    figures = {
        "leaves": n,
        "baseline_sha256_leaves_per_s": n / base_s,
        "leaf_hashes_per_s": n / hash_s,
        "root_from_leaves_s": root_s,
        "root_from_leaves_per_s": n / root_s,
        "root_from_leaf_hashes_per_s": n / tree_s,
        "append_one_by_one_per_s": n / append_s,
        "inclusion_proof_s": inc_s,
        "inclusion_proof_leaves_per_s": n / inc_s,
        "consistency_proof_s": con_s,
        "consistency_proof_leaves_per_s": n / con_s,
        "inclusion_proof_with_nodes_per_s": 1 / inc_nodes_s,
        "consistency_proof_with_nodes_per_s": 1 / con_nodes_s,
        "verify_inclusion_per_s": 1 / vinc_s,
        "verify_consistency_per_s": 1 / vcon_s,
        "verify_log_s": verify_s,
        "verify_log_entries_per_s": n / verify_s,
        "verify_log_checkpoints": len(notes),
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(f"audit core, {n:,} leaves of {len(leaves[0])} bytes, single core")
    print(f"  baseline (raw SHA-256 per leaf)   {n / base_s:>12,.0f} leaves/s")
    rows = [
        ("leaf hashes (0x00 || leaf)", n / hash_s, "leaves/s", base_s / hash_s),
        ("root from leaves", n / root_s, "leaves/s", base_s / root_s),
        ("root from leaf hashes", n / tree_s, "leaves/s", base_s / tree_s),
        ("append one by one + root", n / append_s, "leaves/s", base_s / append_s),
        ("inclusion proof generation", n / inc_s, "leaves/s", base_s / inc_s),
        ("consistency proof generation", n / con_s, "leaves/s", base_s / con_s),
        ("verify_log (1 checkpoint/1,000)", n / verify_s, "entries/s", base_s / verify_s),
    ]
    for name, rate, unit, ratio in rows:
        print(f"  {name:<33}{rate:>12,.0f} {unit:<10} {ratio:5.2f}x baseline")
    print(f"  inclusion proof with stored nodes {1 / inc_nodes_s:>12,.0f} proofs/s")
    print(f"  consistency proof, stored nodes   {1 / con_nodes_s:>12,.0f} proofs/s")
    print(f"  verify inclusion                  {1 / vinc_s:>12,.0f} proofs/s")
    print(f"  verify consistency                {1 / vcon_s:>12,.0f} proofs/s")
    print(
        f"  root of {n:,} leaves in {root_s:.2f} s; one inclusion proof {inc_s:.2f} s;"
        f" verify_log {verify_s:.2f} s over {len(notes):,} checkpoints"
    )


if __name__ == "__main__":
    main()
