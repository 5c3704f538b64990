"""C2SP signed notes: the reference implementation's vectors, and every refusal.

The PeterNeumann and EnochRoot keys, the note text and its signatures are copied (data only)
from the Go reference implementation, golang/mod ``sumdb/note/note_test.go``
(golang.org/x/mod/sumdb/note): ``TestNewVerifier``, ``TestNewSigner``, ``TestSign`` and
``TestOpen``. Ed25519 is deterministic (RFC 8032), so signing the same text with the same key
must give the published signature byte for byte.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from starlane.audit.note import (
    InvalidSignatureError,
    KeyFormatError,
    MalformedNoteError,
    NoteSigner,
    NoteVerifier,
    UnverifiedNoteError,
    key_id,
    open_note,
    parse_note,
    verify_note,
)

PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_B64 = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
ENOCH_B64 = (
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ="
)
PETER_SIG = "— PeterNeumann " + PETER_B64 + "\n"
ENOCH_SIG = "— EnochRoot " + ENOCH_B64 + "\n"


def test_the_reference_keys_parse_and_agree() -> None:
    verifier = NoteVerifier.from_key_string(PETER_VKEY)
    signer = NoteSigner.from_key_string(PETER_SKEY)
    assert verifier.name == signer.name == "PeterNeumann"
    assert verifier.key_id == signer.key_id == 0xC74F20A3
    assert key_id("PeterNeumann", verifier.public_key) == 0xC74F20A3
    assert signer.verifier == verifier
    assert verifier.key_string == PETER_VKEY
    assert signer.key_string == PETER_SKEY
    assert NoteVerifier.from_key_string(ENOCH_VKEY).key_id == 0xAF0CFE78


def test_signing_reproduces_the_reference_note_byte_for_byte() -> None:
    signer = NoteSigner.from_key_string(PETER_SKEY)
    signed = signer.sign(TEXT)
    assert signed == TEXT + "\n" + PETER_SIG
    assert signed.splitlines()[-1].startswith("\u2014 PeterNeumann ")
    assert verify_note(signed, NoteVerifier.from_key_string(PETER_VKEY)) == TEXT


def test_open_keeps_unknown_signatures_aside() -> None:
    peter = NoteVerifier.from_key_string(PETER_VKEY)
    enoch = NoteVerifier.from_key_string(ENOCH_VKEY)
    note = open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [peter])
    assert note.text == TEXT
    assert [s.name for s in note.verified] == ["PeterNeumann"]
    assert [s.name for s in note.unverified] == ["EnochRoot"]
    both = open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [peter, enoch])
    assert [s.name for s in both.verified] == ["PeterNeumann", "EnochRoot"]
    assert both.verified[0].line == PETER_SIG
    repeated = open_note(TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG, [peter])
    assert len(repeated.verified) == 1 and len(repeated.unverified) == 1


def test_a_note_without_a_known_signature_is_refused() -> None:
    with pytest.raises(UnverifiedNoteError, match="EnochRoot\\+af0cfe78"):
        open_note(
            TEXT + "\n" + PETER_SIG + ENOCH_SIG, [NoteVerifier.from_key_string(ENOCH_VKEY)][:0]
        )
    # Same name, other key: an unknown key, not a bad signature.
    other = NoteSigner.generate("PeterNeumann").verifier
    with pytest.raises(UnverifiedNoteError):
        verify_note(TEXT + "\n" + PETER_SIG, other)


def test_a_bad_signature_by_a_known_key_is_refused() -> None:
    peter = NoteVerifier.from_key_string(PETER_VKEY)
    with pytest.raises(InvalidSignatureError, match=r"PeterNeumann\+c74f20a3"):
        verify_note(TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:], peter)
    altered = TEXT.replace("cryptography", "cryptographY")
    with pytest.raises(InvalidSignatureError):
        verify_note(altered + "\n" + PETER_SIG, peter)


@pytest.mark.parametrize(
    "message",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + "— Bad Name " + PETER_B64,
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG.replace("\u2014", "-"),
        TEXT + "\n" + "— PeterNeumann AAAA\n",
        TEXT + "\n" + "— PeterNeumann not*base64\n",
        TEXT + "\n" + PETER_SIG * 101,
    ],
)
def test_malformed_notes_are_refused(message: str) -> None:
    # The first seven are TestOpen's badMsgs in the reference implementation.
    with pytest.raises(MalformedNoteError):
        open_note(message, [NoteVerifier.from_key_string(PETER_VKEY)])


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(MalformedNoteError, match="UTF-8"):
        parse_note(b"\xff" + (TEXT + "\n" + PETER_SIG).encode())


def test_every_mangled_verifier_key_is_refused() -> None:
    # As TestNewVerifier: every proper substring and every one-byte change fails.
    b = PETER_VKEY
    for i in range(len(b) + 1):
        for j in range(i + 1, len(b) + 1):
            if (i, j) != (0, len(b)):
                with pytest.raises(KeyFormatError):
                    NoteVerifier.from_key_string(b[i:j])
    for i in range(len(b)):
        mangled = b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :]
        with pytest.raises(KeyFormatError):
            NoteVerifier.from_key_string(mangled)
    with pytest.raises(KeyFormatError):  # wrong key length, adjusted key id
        NoteVerifier.from_key_string(
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
        )
    with pytest.raises(KeyFormatError):  # unknown algorithm, adjusted key id
        NoteVerifier.from_key_string(
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        )


def test_mangled_signer_keys_are_refused() -> None:
    b = PETER_SKEY
    for i in range(len(b)):
        mangled = b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :]
        with pytest.raises(KeyFormatError):
            NoteSigner.from_key_string(mangled)
    for cut in (1, 12, 30, len(b) - 1):
        with pytest.raises(KeyFormatError):
            NoteSigner.from_key_string(b[:cut])


def test_texts_that_cannot_be_signed_are_refused() -> None:
    signer = NoteSigner.from_key_string(PETER_SKEY)
    with pytest.raises(MalformedNoteError, match="newline"):
        signer.sign("abc")
    with pytest.raises(MalformedNoteError, match="U\\+0009"):
        signer.sign("a\tb\n")
    with pytest.raises(KeyFormatError):
        NoteSigner.generate("a+b")
    with pytest.raises(KeyFormatError):
        NoteSigner.generate("a b")
    with pytest.raises(KeyFormatError):
        NoteSigner.generate("")
    with pytest.raises(KeyFormatError):
        NoteSigner.from_seed("x", b"short")


class _CollidingVerifier(NoteVerifier):
    @property
    def key_id(self) -> int:
        return 0xAF0CFE78


def test_ambiguous_known_keys_are_refused() -> None:
    enoch = NoteVerifier.from_key_string(ENOCH_VKEY)
    assert open_note(TEXT + "\n" + ENOCH_SIG, [enoch, enoch]).text == TEXT
    impostor = _CollidingVerifier("EnochRoot", bytes(32))
    with pytest.raises(KeyFormatError, match="ambiguous key EnochRoot"):
        open_note(TEXT + "\n" + ENOCH_SIG, [enoch, impostor])


_name = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc"), blacklist_characters="+"
    ),
    min_size=1,
    max_size=20,
)
_line = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)


@given(name=_name, lines=st.lists(_line, min_size=1, max_size=4))
def test_sign_then_open_round_trips(name: str, lines: list[str]) -> None:
    signer = NoteSigner.generate(name)
    text = "\n".join(lines) + "\n"
    signed = signer.sign(text)
    assert verify_note(signed, NoteVerifier.from_key_string(signer.verifier.key_string)) == text
    tampered = "x" + signed
    with pytest.raises(InvalidSignatureError):
        verify_note(tampered, signer.verifier)
