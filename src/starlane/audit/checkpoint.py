"""C2SP tlog checkpoints, the signing key file and the checkpoint file.

A checkpoint (https://c2sp.org/tlog-checkpoint, "Note text") is the body of a signed note:

    <origin>\\n
    <tree size, ASCII decimal, no leading zeros>\\n
    <base64 of the 32-byte RFC 6962 root hash>\\n
    [<extension line>\\n ...]

The origin identifies the log and is also the signing key's name (tlog-checkpoint,
"Signatures": the key name SHOULD match the origin). A signed checkpoint is that text signed
as a C2SP signed note (:mod:`starlane.audit.note`).

Files in the data directory:

- :data:`SIGNER_KEY_FILE` (mode 0600): the private key, one line, in the reference
  implementation's signer key format ``PRIVATE+KEY+<origin>+<key ID>+<base64(0x01 || 32-byte
  Ed25519 seed)>`` (the raw RFC 8032 seed, not PEM), which ``golang.org/x/mod/sumdb/note``'s
  ``NewSigner`` reads as it is. Created on first use; refused if group or others may read it.
- :data:`VERIFIER_KEY_FILE`: the public verifier key ``<origin>+<key ID>+<base64(0x01 ||
  public key)>``, one line; written from the private key, safe to publish.
- :data:`CHECKPOINT_FILE`: every signed checkpoint, oldest first, each one the signed note
  exactly as signed followed by one empty line. The note text of a checkpoint has no empty
  line, so the file reads back unambiguously: ``text\\n\\nsignatures\\n\\n`` repeated. Each
  append is one ``write`` followed by ``fsync``.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from starlane.audit.merkle import HASH_SIZE
from starlane.audit.note import NoteSigner, NoteVerifier, open_note, parse_note

SIGNER_KEY_FILE = "audit-signer.key"
"""Name of the private key file in the data directory (mode 0600)."""

VERIFIER_KEY_FILE = "audit-verifier.pub"
"""Name of the public verifier key file in the data directory."""

CHECKPOINT_FILE = "audit-checkpoints.txt"
"""Name of the append-only checkpoint file in the data directory."""


class CheckpointError(ValueError):
    """A checkpoint text breaks the tlog-checkpoint format, or has an unexpected origin."""

    code = "malformed_checkpoint"


class KeyFileError(RuntimeError):
    """The key file is unreadable, malformed, too widely readable or for another origin."""

    code = "audit_key_file"


class CheckpointFileError(RuntimeError):
    """The checkpoint file is malformed (for instance a torn final record), or an append would
    make the log shrink or change origin."""

    code = "checkpoint_file"


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log's origin, its size and its root hash.

    Attributes:
        origin: the log's identity (non-empty, no newline).
        size: number of leaves, ``>= 0``.
        root_hash: the 32-byte RFC 6962 root of the first ``size`` leaves.
        extensions: optional extension lines (each non-empty, without newline).

    Raises:
        CheckpointError: on construction, when a field breaks those rules.
    """

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CheckpointError("a checkpoint origin is one non-empty line")
        if self.size < 0:
            raise CheckpointError("a checkpoint tree size is never negative")
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointError("a checkpoint root hash is 32 bytes")
        if any(not e or "\n" in e for e in self.extensions):
            raise CheckpointError("checkpoint extension lines are non-empty single lines")

    def text(self) -> str:
        """The checkpoint's note text (tlog-checkpoint, "Note text").

        Returns:
            ``origin\\nsize\\nbase64(root)\\n`` plus one line per extension.
        """
        root = base64.b64encode(self.root_hash).decode("ascii")
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note text.

        Args:
            text: the note text, final newline included.

        Returns:
            The checkpoint.

        Raises:
            CheckpointError: fewer than three lines, an empty line, a size that is not plain
                decimal (no sign, no leading zero), or a root that is not the base64 of 32
                bytes.
        """
        if not text.endswith("\n"):
            raise CheckpointError("a checkpoint text ends with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or any(not line for line in lines):
            raise CheckpointError("a checkpoint is at least three non-empty lines")
        origin, size_text, root_text, *extensions = lines
        if not size_text.isascii() or not size_text.isdigit():
            raise CheckpointError(f"tree size {size_text[:24]!r} is not a decimal number")
        if size_text != str(int(size_text)):
            raise CheckpointError(f"tree size {size_text[:24]!r} has leading zeros")
        try:
            root = base64.b64decode(root_text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise CheckpointError("the root hash is not base64") from None
        if len(root) != HASH_SIZE or base64.b64encode(root).decode("ascii") != root_text:
            raise CheckpointError("the root hash is not the base64 of 32 bytes")
        return cls(origin, int(size_text), root, tuple(extensions))


def sign_checkpoint(signer: NoteSigner, checkpoint: Checkpoint) -> str:
    """Sign a checkpoint as a C2SP signed note.

    Args:
        signer: the log's key; its name must be the checkpoint's origin.
        checkpoint: the tree head.

    Returns:
        The signed note: checkpoint text, blank line, signature line.

    Raises:
        CheckpointError: when the key's name is not the origin.
    """
    if signer.name != checkpoint.origin:
        raise CheckpointError(
            f"key {signer.name!r} signs checkpoints of {signer.name!r}, not {checkpoint.origin!r}"
        )
    return signer.sign(checkpoint.text())


def open_checkpoint(
    signed: str | bytes, verifier: NoteVerifier, origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint and parse its text.

    Args:
        signed: the signed note.
        verifier: the log's verifier key.
        origin: the expected origin; defaults to the verifier's key name.

    Returns:
        The checkpoint.

    Raises:
        NoteError: the note is malformed, or not validly signed by ``verifier`` (see
            :func:`starlane.audit.note.open_note`).
        CheckpointError: the text is not a checkpoint, or is for another origin.
    """
    text = open_note(signed, [verifier]).text
    checkpoint = Checkpoint.parse(text)
    expected = verifier.name if origin is None else origin
    if checkpoint.origin != expected:
        raise CheckpointError(f"checkpoint origin {checkpoint.origin!r} is not {expected!r}")
    return checkpoint


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_new(path: Path, data: bytes, mode: int) -> bool:
    """Create ``path`` holding ``data`` unless it exists; ``False`` when another won."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, data)
        os.fchmod(fd, mode)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
        created = True
    except FileExistsError:
        created = False
    finally:
        tmp.unlink()
    _fsync_dir(path.parent)
    return created


def load_or_create_signer(data_dir: Path, origin: str) -> NoteSigner:
    """The log's signing key from the data directory, created on first use.

    Creates :data:`SIGNER_KEY_FILE` (mode 0600, a fresh Ed25519 key named ``origin``) when it
    does not exist, atomically (two processes starting together end with one key), and keeps
    :data:`VERIFIER_KEY_FILE` in step with it.

    Args:
        data_dir: the data directory (created if missing).
        origin: the log's origin, the key's name.

    Returns:
        The signer.

    Raises:
        KeyFileError: the key file is readable or writable by group or others, malformed, or
            holds the key of another origin.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / SIGNER_KEY_FILE
    if not path.exists():
        fresh = NoteSigner.generate(origin)
        _write_new(path, (fresh.key_string + "\n").encode("ascii"), 0o600)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyFileError(
            f"{path} has mode {mode:04o}; the audit signing key must be private (chmod 600)"
        )
    try:
        signer = NoteSigner.from_key_string(path.read_text("ascii").strip())
    except (ValueError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"{path} is not an audit signing key: {exc}") from None
    if signer.name != origin:
        raise KeyFileError(
            f"{path} holds the key of log {signer.name!r}, not {origin!r}; a new origin needs"
            " a new data directory or key"
        )
    public = data_dir / VERIFIER_KEY_FILE
    line = signer.verifier.key_string + "\n"
    if not public.exists() or public.read_text("ascii") != line:
        tmp = public.with_name(f".{public.name}.{os.getpid()}.tmp")
        tmp.write_text(line, "ascii")
        os.replace(tmp, public)
        _fsync_dir(data_dir)
    return signer


def read_verifier_key(data_dir: Path) -> NoteVerifier:
    """The verifier key published in the data directory.

    Args:
        data_dir: the data directory.

    Returns:
        The verifier.

    Raises:
        KeyFileError: the file is missing or malformed.
    """
    path = data_dir / VERIFIER_KEY_FILE
    try:
        return NoteVerifier.from_key_string(path.read_text("ascii").strip())
    except OSError as exc:
        raise KeyFileError(f"cannot read {path}: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"{path} is not a verifier key: {exc}") from None


def parse_checkpoint_file(content: str) -> list[str]:
    """Split the checkpoint file's content into its signed notes.

    Args:
        content: the whole file (see the module docstring for the layout).

    Returns:
        The signed notes, oldest first, each exactly as signed.

    Raises:
        CheckpointFileError: a record is not ``text, blank line, signature lines, blank
            line`` (which includes a torn final record), naming the record (0-based).
    """
    if not content:
        return []
    parts = content.split("\n\n")
    if parts[-1] != "" or len(parts) % 2 != 1:
        raise CheckpointFileError(
            f"the checkpoint file ends inside record {(len(parts) - 1) // 2}"
            " (a torn or foreign last record)"
        )
    notes = []
    for i in range(0, len(parts) - 1, 2):
        text, sigs = parts[i], parts[i + 1]
        note = text + "\n\n" + sigs + "\n"
        if not text or not sigs:
            raise CheckpointFileError(f"record {i // 2} of the checkpoint file is malformed")
        try:
            parse_note(note)
        except ValueError as exc:
            raise CheckpointFileError(
                f"record {i // 2} of the checkpoint file is not a signed note: {exc}"
            ) from None
        notes.append(note)
    return notes


def read_checkpoint_file(path: Path) -> list[str]:
    """Read the signed notes of a checkpoint file (an absent file holds none).

    Args:
        path: the checkpoint file.

    Returns:
        The signed notes, oldest first.

    Raises:
        CheckpointFileError: see :func:`parse_checkpoint_file`, or the file is not UTF-8.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    try:
        return parse_checkpoint_file(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CheckpointFileError(f"{path} is not UTF-8") from None


class CheckpointFile:
    """Appends signed checkpoints to the checkpoint file, durably, one after the other.

    Opening reads the file to learn the last checkpoint and refuses a malformed file (the
    operator decides what a torn record means; nothing is truncated).

    Args:
        path: the checkpoint file (created on the first append).

    Raises:
        CheckpointFileError: the existing file is malformed.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        notes = read_checkpoint_file(path)
        self._last: Checkpoint | None = None
        self._count = len(notes)
        if notes:
            try:
                self._last = Checkpoint.parse(parse_note(notes[-1]).text)
            except ValueError as exc:
                raise CheckpointFileError(f"the last record of {path}: {exc}") from None

    @property
    def path(self) -> Path:
        """The file."""
        return self._path

    @property
    def last(self) -> Checkpoint | None:
        """The last checkpoint appended (unverified), or ``None`` for an empty file."""
        return self._last

    def __len__(self) -> int:
        return self._count

    def append(self, signed: str) -> Checkpoint:
        """Append one signed checkpoint and ``fsync`` the file.

        Args:
            signed: the signed note of a checkpoint (as from :func:`sign_checkpoint`).

        Returns:
            The checkpoint it carries.

        Raises:
            CheckpointFileError: the note is not a signed checkpoint, its text holds an empty
                line, or it is smaller than or for another origin than the last one.
        """
        try:
            checkpoint = Checkpoint.parse(parse_note(signed).text)
        except ValueError as exc:
            raise CheckpointFileError(f"not a signed checkpoint: {exc}") from None
        last = self._last
        if last is not None and checkpoint.origin != last.origin:
            raise CheckpointFileError(
                f"checkpoint of {checkpoint.origin!r} in the file of {last.origin!r}"
            )
        if last is not None and checkpoint.size < last.size:
            raise CheckpointFileError(
                f"checkpoint of size {checkpoint.size} after one of size {last.size}"
            )
        created = not self._path.exists()
        fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            data = (signed + "\n").encode("utf-8")
            written = os.write(fd, data)
            if written != len(data):
                raise CheckpointFileError(f"short write to {self._path}")
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            _fsync_dir(self._path.parent)
        self._last = checkpoint
        self._count += 1
        return checkpoint

    def __iter__(self) -> Iterator[str]:
        return iter(read_checkpoint_file(self._path))
