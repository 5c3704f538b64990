"""C2SP signed notes with Ed25519 (https://c2sp.org/signed-note).

A signed note is a text ending in a newline, a blank line, then one or more signature lines
``— <key name> <base64(key ID || signature)>`` (em dash U+2014, space, name, space, standard
base64, newline). The text includes its final newline; the separating blank line is not part
of it. Notes are valid UTF-8 without ASCII control characters other than newline (signed-note,
"Format").

For Ed25519 (signature type ``0x01``, signed-note "Ed25519 signatures"):

- ``key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]``, a big-endian
  ``uint32``;
- the signature is RFC 8032 Ed25519 over the note text's UTF-8 bytes (64 bytes).

Key strings follow ``golang.org/x/mod/sumdb/note``, the reference implementation, so that
Go tools read them:

- verifier key: ``<name>+<key ID as 8 lowercase hex digits>+<base64(0x01 || public key)>``;
- signer key: ``PRIVATE+KEY+<name>+<key ID>+<base64(0x01 || 32-byte Ed25519 seed)>``.

Opening a note follows the reference's rules: signatures from unknown keys are ignored (and
kept as unverified), a signature from a known key that fails is an error for the whole note,
and a note with no verified signature is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALG_ED25519 = 0x01
"""Signature type byte of Ed25519 in the signed-note registry."""

EM_DASH = "\u2014"
"""The first character of every signature line."""

MAX_SIGNATURES = 100
"""Most signature lines a note may carry (the reference implementation's limit; the spec asks
verifiers to accept at least 16)."""

_SIG_PREFIX = EM_DASH + " "
_PRIVATE_PREFIX = "PRIVATE+KEY+"


class NoteError(ValueError):
    """Base class of every refusal in this module; ``code`` is stable and machine-readable."""

    code = "note_error"


class MalformedNoteError(NoteError):
    """The note (or a text to sign) breaks the signed-note format."""

    code = "malformed_note"


class KeyFormatError(NoteError):
    """A verifier or signer key string is malformed, or its key ID does not match its key."""

    code = "malformed_key"


class UnknownKeyError(NoteError):
    """No known verifier has this key name and key ID."""

    code = "unknown_key"


class InvalidSignatureError(NoteError):
    """A signature by a known key does not verify: the note was altered or forged."""

    code = "invalid_signature"


class UnverifiedNoteError(NoteError):
    """The note carries no signature by any known key."""

    code = "unverified_note"


def valid_key_name(name: str) -> bool:
    """Whether ``name`` may name a key: non-empty, no Unicode space, no ``+`` (signed-note,
    "Format").

    Args:
        name: the candidate key name.

    Returns:
        ``True`` when allowed.
    """
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def key_id(name: str, public_key: bytes) -> int:
    """The Ed25519 key ID: ``SHA-256(name || 0x0A || 0x01 || public key)[:4]`` as a big-endian
    ``uint32`` (signed-note, "Ed25519 signatures").

    Args:
        name: the key name.
        public_key: the 32-byte Ed25519 public key.

    Returns:
        The key ID, ``0 <= id < 2**32``.
    """
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()
    return int(struct.unpack(">I", digest[:4])[0])


def _b64decode(text: str) -> bytes:
    """Strict standard base64 (RFC 4648 section 4): alphabet and padding checked."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("not standard base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("not canonical base64")
    return raw


def _check_text(text: str) -> None:
    """A note text must end in a newline and hold no control character but newline."""
    if not text.endswith("\n"):
        raise MalformedNoteError("a note text must end with a newline")
    _check_characters(text)


def _check_characters(message: str) -> None:
    for ch in message:
        if ch < " " and ch != "\n":
            raise MalformedNoteError(f"control character U+{ord(ch):04X} in a note")
        if "\ud800" <= ch <= "\udfff":
            raise MalformedNoteError("a note must be valid UTF-8 (lone surrogate)")


@dataclass(frozen=True)
class NoteVerifier:
    """An Ed25519 public key with its name, able to check note signatures.

    Attributes:
        name: the key name (for a checkpoint signer, the log's origin).
        public_key: the 32-byte Ed25519 public key.
    """

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        if not valid_key_name(self.name):
            raise KeyFormatError(f"invalid key name {self.name!r}")
        if len(self.public_key) != 32:
            raise KeyFormatError("an Ed25519 public key is 32 bytes")

    @property
    def key_id(self) -> int:
        """The key ID (see :func:`key_id`)."""
        return key_id(self.name, self.public_key)

    @property
    def key_string(self) -> str:
        """The verifier key: ``<name>+<key ID, 8 hex digits>+<base64(0x01 || public key)>``."""
        blob = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id:08x}+{blob}"

    @classmethod
    def from_key_string(cls, vkey: str) -> NoteVerifier:
        """Parse a verifier key string.

        Args:
            vkey: ``<name>+<8 hex digits>+<base64(0x01 || 32-byte public key)>``.

        Returns:
            The verifier.

        Raises:
            KeyFormatError: when the string is malformed, the algorithm is not Ed25519, or the
                key ID does not match the name and key.
        """
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise KeyFormatError("a verifier key is <name>+<key id>+<key>")
        name, id_hex, blob = parts
        if len(id_hex) != 8 or any(c not in "0123456789abcdef" for c in id_hex):
            raise KeyFormatError("a verifier key id is 8 lowercase hex digits")
        try:
            raw = _b64decode(blob)
        except ValueError as exc:
            raise KeyFormatError(f"verifier key material: {exc}") from None
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise KeyFormatError("only Ed25519 verifier keys (type 0x01, 32 bytes) are supported")
        verifier = cls(name, raw[1:])
        if verifier.key_id != int(id_hex, 16):
            raise KeyFormatError(f"key id {id_hex} does not match the key of {name!r}")
        return verifier

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Check an Ed25519 signature over note text bytes (RFC 8032).

        Args:
            text: the note text's UTF-8 bytes, final newline included.
            signature: the 64-byte signature (without the key ID).

        Returns:
            ``True`` when it verifies.
        """
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except (InvalidSignature, ValueError):
            return False
        return True


class NoteSigner:
    """An Ed25519 private key with its name, able to sign notes.

    Args:
        name: the key name (for a checkpoint signer, the log's origin).
        private_key: the Ed25519 private key.

    Raises:
        KeyFormatError: when the name is not a valid key name.
    """

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        if not valid_key_name(name):
            raise KeyFormatError(f"invalid key name {name!r}")
        self._name = name
        self._key = private_key
        public = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._verifier = NoteVerifier(name, public)

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        """A signer with a fresh random key.

        Args:
            name: the key name.

        Returns:
            The signer.
        """
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> NoteSigner:
        """A signer from a 32-byte RFC 8032 private key seed.

        Args:
            name: the key name.
            seed: the 32-byte seed.

        Returns:
            The signer.

        Raises:
            KeyFormatError: when the seed is not 32 bytes or the name is invalid.
        """
        if len(seed) != 32:
            raise KeyFormatError("an Ed25519 seed is 32 bytes")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_key_string(cls, skey: str) -> NoteSigner:
        """Parse a signer key string (the reference implementation's format).

        Args:
            skey: ``PRIVATE+KEY+<name>+<8 hex digits>+<base64(0x01 || 32-byte seed)>``.

        Returns:
            The signer.

        Raises:
            KeyFormatError: when malformed, not Ed25519, or the key ID does not match.
        """
        if not skey.startswith(_PRIVATE_PREFIX):
            raise KeyFormatError("a signer key starts with PRIVATE+KEY+")
        parts = skey[len(_PRIVATE_PREFIX) :].split("+", 2)
        if len(parts) != 3:
            raise KeyFormatError("a signer key is PRIVATE+KEY+<name>+<key id>+<key>")
        name, id_hex, blob = parts
        if len(id_hex) != 8 or any(c not in "0123456789abcdef" for c in id_hex):
            raise KeyFormatError("a signer key id is 8 lowercase hex digits")
        try:
            raw = _b64decode(blob)
        except ValueError as exc:
            raise KeyFormatError(f"signer key material: {exc}") from None
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise KeyFormatError("only Ed25519 signer keys (type 0x01, 32 bytes) are supported")
        signer = cls.from_seed(name, raw[1:])
        if signer.key_id != int(id_hex, 16):
            raise KeyFormatError(f"key id {id_hex} does not match the key of {name!r}")
        return signer

    @property
    def name(self) -> str:
        """The key name."""
        return self._name

    @property
    def key_id(self) -> int:
        """The key ID (see :func:`key_id`)."""
        return self._verifier.key_id

    @property
    def verifier(self) -> NoteVerifier:
        """The matching verifier."""
        return self._verifier

    @property
    def key_string(self) -> str:
        """The signer key ``PRIVATE+KEY+<name>+<key ID>+<base64(0x01 || seed)>``: secret."""
        seed = self._key.private_bytes_raw()
        blob = base64.b64encode(bytes([ALG_ED25519]) + seed).decode("ascii")
        return f"{_PRIVATE_PREFIX}{self._name}+{self.key_id:08x}+{blob}"

    def signature_line(self, text: str) -> str:
        """The signature line for a note text.

        Args:
            text: the note text, ending with a newline.

        Returns:
            ``"— <name> <base64(key ID || Ed25519 signature)>\\n"``.

        Raises:
            MalformedNoteError: when the text does not end with a newline or holds a control
                character other than newline.
        """
        _check_text(text)
        sig = self._key.sign(text.encode("utf-8"))
        blob = base64.b64encode(struct.pack(">I", self.key_id) + sig).decode("ascii")
        return f"{_SIG_PREFIX}{self._name} {blob}\n"

    def sign(self, text: str) -> str:
        """Sign a note text.

        Args:
            text: the note text, ending with a newline.

        Returns:
            The signed note: ``text + "\\n" + signature line``.

        Raises:
            MalformedNoteError: as for :meth:`signature_line`.
        """
        return text + "\n" + self.signature_line(text)


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a note.

    Attributes:
        name: the key name.
        key_id: the 4-byte key ID as an integer.
        signature: the signature bytes (after the key ID).
    """

    name: str
    key_id: int
    signature: bytes

    @property
    def line(self) -> str:
        """The signature line, newline included."""
        blob = base64.b64encode(struct.pack(">I", self.key_id) + self.signature).decode()
        return f"{_SIG_PREFIX}{self.name} {blob}\n"


@dataclass(frozen=True)
class Note:
    """A parsed (not yet verified) signed note.

    Attributes:
        text: the note text, final newline included.
        signatures: the signature lines in order, repeated identical lines dropped.
    """

    text: str
    signatures: tuple[NoteSignature, ...]


@dataclass(frozen=True)
class VerifiedNote:
    """A note with at least one signature verified by a known key.

    Attributes:
        text: the note text, final newline included.
        verified: the signatures by known keys (each verified).
        unverified: the signatures by keys not known to the caller (ignored, kept).
    """

    text: str
    verified: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...]


def parse_note(message: str | bytes) -> Note:
    """Split a signed note into its text and signature lines, checking the format only.

    Args:
        message: the signed note, as text or UTF-8 bytes.

    Returns:
        The note.

    Raises:
        MalformedNoteError: invalid UTF-8, a control character, no blank line before the
            signatures, a line that is not a signature line, a bad key name or base64, a
            signature shorter than key ID plus one byte, or more than :data:`MAX_SIGNATURES`.
    """
    if isinstance(message, bytes):
        try:
            message = message.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedNoteError("a note must be valid UTF-8") from None
    _check_characters(message)
    split = message.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("no blank line separates the note text from its signatures")
    text, block = message[: split + 1], message[split + 2 :]
    if not block or not block.endswith("\n"):
        raise MalformedNoteError("a signed note ends with a signature line and a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"more than {MAX_SIGNATURES} signatures")
    seen: set[str] = set()
    signatures: list[NoteSignature] = []
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise MalformedNoteError(f"not a signature line: {line[:40]!r}")
        name, sep, blob = line[len(_SIG_PREFIX) :].partition(" ")
        if not sep or not valid_key_name(name) or not blob:
            raise MalformedNoteError(f"malformed signature line: {line[:40]!r}")
        try:
            raw = _b64decode(blob)
        except ValueError:
            raise MalformedNoteError(f"signature of {name!r} is not base64") from None
        if len(raw) < 5:
            raise MalformedNoteError(f"signature of {name!r} is too short")
        if line in seen:
            continue
        seen.add(line)
        kid = int(struct.unpack(">I", raw[:4])[0])
        signatures.append(NoteSignature(name, kid, raw[4:]))
    return Note(text, tuple(signatures))


def open_note(message: str | bytes, verifiers: Iterable[NoteVerifier]) -> VerifiedNote:
    """Parse a signed note and verify it against known keys.

    Args:
        message: the signed note.
        verifiers: the known keys.

    Returns:
        The note with its verified and unverified signatures.

    Raises:
        MalformedNoteError: see :func:`parse_note`.
        KeyFormatError: two known keys share a name and key ID.
        InvalidSignatureError: a signature by a known key does not verify.
        UnverifiedNoteError: no signature is by a known key.
    """
    known: dict[tuple[str, int], NoteVerifier] = {}
    for v in verifiers:
        if (v.name, v.key_id) in known and known[(v.name, v.key_id)] != v:
            raise KeyFormatError(f"ambiguous key {v.name}+{v.key_id:08x}")
        known[(v.name, v.key_id)] = v
    note = parse_note(message)
    text_bytes = note.text.encode("utf-8")
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    for sig in note.signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            unverified.append(sig)
            continue
        if not verifier.verify(text_bytes, sig.signature):
            raise InvalidSignatureError(f"invalid signature for key {sig.name}+{sig.key_id:08x}")
        if sig not in verified:
            verified.append(sig)
    if not verified:
        names = ", ".join(f"{s.name}+{s.key_id:08x}" for s in unverified) or "none"
        raise UnverifiedNoteError(f"note has no signature by a known key (signed by: {names})")
    return VerifiedNote(note.text, tuple(verified), tuple(unverified))


def verify_note(message: str | bytes, verifier: NoteVerifier) -> str:
    """Verify a note against one key and return its text.

    Args:
        message: the signed note.
        verifier: the one trusted key.

    Returns:
        The note text (final newline included).

    Raises:
        NoteError: any of :func:`open_note`'s refusals.
    """
    return open_note(message, [verifier]).text
