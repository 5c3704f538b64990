"""Tamper-evident audit log: the storage-independent core.

- :mod:`starlane.audit.merkle`: RFC 6962 / RFC 9162 Merkle tree, inclusion and consistency
  proofs.
- :mod:`starlane.audit.leaf`: the canonical leaf encoding of an audit entry (RFC 8785 JCS).
- :mod:`starlane.audit.note`: C2SP signed notes with Ed25519.
- :mod:`starlane.audit.checkpoint`: C2SP tlog checkpoints, the key file and the checkpoint
  file.
- :mod:`starlane.audit.verify`: recompute the tree from the entries and check every signed
  checkpoint against it.

The package has no database, HTTP or clock dependency; the store and the API build on it.
See ``docs/audit.md`` for the formats.
"""
