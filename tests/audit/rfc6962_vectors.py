"""Published RFC 6962 test data for the Merkle tree (data only, copied as hex strings).

Sources, all in the transparency-dev/merkle repository (https://github.com/transparency-dev/merkle):

- ``testonly/constants.go``: ``LeafInputs`` (the eight leaves), ``NodeHashes`` (every complete
  subtree of the 8-leaf tree, by level and index) and ``RootHashes`` (the root for every tree
  size 0..8).
- ``proof/verify_test.go``: ``inclusionProofs`` and ``consistencyProofs`` (there the leaf
  number is 1-based; here it is converted to the 0-based index), ``sha256SomeHash``.
- ``rfc6962/rfc6962_test.go``: ``TestRFC6962Hasher`` (empty root, empty leaf, leaf
  ``L123456`` and node ``N123``/``N456``).
- ``proof/proof_test.go``: ``TestInclusion`` and ``TestConsistency``, the node IDs that make up
  each proof in trees of at most 8 leaves; a ``("rehash", a, b)`` element stands for
  ``node_hash(a, b)`` where that test rehashes an absent parent ("l=hash(i,j)").
"""

from __future__ import annotations

LEAVES_HEX = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]

# NodeHashes()[level][index]
NODE_HASHES_HEX = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    [
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ],
]

# RootHashes()[size] for size 0..8
ROOTS_HEX = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

# (index, tree_size, proof) from verify_test.go inclusionProofs (leaf number - 1)
INCLUSION_PROOFS_HEX = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]

# (first, second, proof) from verify_test.go consistencyProofs
CONSISTENCY_PROOFS_HEX = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

# verify_test.go: sha256SomeHash, a 32-byte value that is no node of the tree.
SOME_HASH_HEX = "abacaba000000000000000000000000000000000000000000060061e00123456"

# rfc6962_test.go TestRFC6962Hasher
HASHER_VECTORS_HEX = {
    "empty_root": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "empty_leaf": "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "leaf_L123456": "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56",
    "node_N123_N456": "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb",
}

# proof_test.go TestInclusion (trees of at most 8 leaves): (tree_size, index, node ids)
# A node id is (level, index) into NODE_HASHES_HEX.
NodeRef = tuple[int, int] | tuple[str, tuple[int, int], tuple[int, int]]
INCLUSION_NODES: list[tuple[int, int, list[NodeRef]]] = [
    (1, 0, []),
    (2, 0, [(0, 1)]),
    (2, 1, [(0, 0)]),
    (3, 1, [(0, 0), (0, 2)]),
    (7, 0, [(0, 1), (1, 1), ("rehash", (1, 2), (0, 6))]),
    (7, 1, [(0, 0), (1, 1), ("rehash", (1, 2), (0, 6))]),
    (7, 2, [(0, 3), (1, 0), ("rehash", (1, 2), (0, 6))]),
    (7, 3, [(0, 2), (1, 0), ("rehash", (1, 2), (0, 6))]),
    (7, 4, [(0, 5), (0, 6), (2, 0)]),
    (7, 5, [(0, 4), (0, 6), (2, 0)]),
    (7, 6, [(1, 2), (2, 0)]),
    (4, 2, [(0, 3), (1, 0)]),
    (5, 3, [(0, 2), (1, 0), (0, 4)]),
    (6, 3, [(0, 2), (1, 0), (1, 2)]),
    (6, 4, [(0, 5), (2, 0)]),
]

# proof_test.go TestConsistency (trees of at most 8 leaves): (first, second, node ids)
CONSISTENCY_NODES: list[tuple[int, int, list[NodeRef]]] = [
    (1, 2, [(0, 1)]),
    (1, 4, [(0, 1), (1, 1)]),
    (1, 6, [(0, 1), (1, 1), (1, 2)]),
    (2, 3, [(0, 2)]),
    (2, 8, [(1, 1), (2, 1)]),
    (3, 7, [(0, 2), (0, 3), (1, 0), ("rehash", (1, 2), (0, 6))]),
    (4, 7, [("rehash", (1, 2), (0, 6))]),
    (5, 7, [(0, 4), (0, 5), (0, 6), (2, 0)]),
    (6, 7, [(1, 2), (0, 6), (2, 0)]),
    (7, 8, [(0, 6), (0, 7), (1, 2), (2, 0)]),
    (1, 1, []),
    (2, 2, []),
    (3, 3, []),
    (4, 4, []),
    (5, 5, []),
    (7, 7, []),
    (8, 8, []),
    (2, 4, [(1, 1)]),
    (3, 5, [(0, 2), (0, 3), (1, 0), (0, 4)]),
    (3, 6, [(0, 2), (0, 3), (1, 0), (1, 2)]),
    (4, 6, [(1, 2)]),
    (1, 7, [(0, 1), (1, 1), ("rehash", (1, 2), (0, 6))]),
]
