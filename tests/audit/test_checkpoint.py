"""Checkpoints: the text format, signing, the key file and the checkpoint file."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from starlane.audit.checkpoint import (
    CHECKPOINT_FILE,
    SIGNER_KEY_FILE,
    VERIFIER_KEY_FILE,
    Checkpoint,
    CheckpointError,
    CheckpointFile,
    CheckpointFileError,
    KeyFileError,
    load_or_create_signer,
    open_checkpoint,
    parse_checkpoint_file,
    read_checkpoint_file,
    read_verifier_key,
    sign_checkpoint,
)
from starlane.audit.merkle import EMPTY_ROOT, merkle_tree_hash
from starlane.audit.note import InvalidSignatureError, NoteSigner, UnverifiedNoteError

# The example of c2sp.org/tlog-checkpoint (C2SP/C2SP tlog-checkpoint.md).
SPEC_TEXT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
ORIGIN = "starlane.test/audit"


def test_the_spec_example_parses_and_formats_back() -> None:
    cp = Checkpoint.parse(SPEC_TEXT)
    assert cp.origin == "example.com/behind-the-sofa"
    assert cp.size == 20852163
    assert cp.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert cp.text() == SPEC_TEXT


def test_empty_tree_and_extension_lines() -> None:
    cp = Checkpoint(ORIGIN, 0, EMPTY_ROOT, ("ext one",))
    text = cp.text()
    assert text == f"{ORIGIN}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\n"
    assert Checkpoint.parse(text) == cp


@pytest.mark.parametrize(
    "text",
    [
        "origin\n1\n",
        "origin\n1\n" + base64.b64encode(EMPTY_ROOT).decode(),
        "origin\n01\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",
        "origin\n-1\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",
        "origin\n+1\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",
        "origin\n\u0661\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",
        "origin\n1\n" + base64.b64encode(b"short").decode() + "\n",
        "origin\n1\nnot base64!\n",
        "origin\n1\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n\nextension\n",
        "\n1\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",
    ],
)
def test_malformed_checkpoint_texts_are_refused(text: str) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.parse(text)


def test_checkpoint_fields_are_checked() -> None:
    with pytest.raises(CheckpointError):
        Checkpoint("", 0, EMPTY_ROOT)
    with pytest.raises(CheckpointError):
        Checkpoint("o", -1, EMPTY_ROOT)
    with pytest.raises(CheckpointError):
        Checkpoint("o", 0, b"x")
    with pytest.raises(CheckpointError):
        Checkpoint("o", 0, EMPTY_ROOT, ("",))


def test_sign_and_open_a_checkpoint() -> None:
    signer = NoteSigner.generate(ORIGIN)
    cp = Checkpoint(ORIGIN, 3, merkle_tree_hash([b"a", b"b", b"c"]))
    signed = sign_checkpoint(signer, cp)
    lines = signed.split("\n")
    assert lines[:4] == [ORIGIN, "3", base64.b64encode(cp.root_hash).decode(), ""]
    assert lines[4].startswith(f"\u2014 {ORIGIN} ")
    assert len(base64.b64decode(lines[4].split(" ")[2])) == 4 + 64
    assert open_checkpoint(signed, signer.verifier) == cp
    with pytest.raises(CheckpointError, match="origin"):
        open_checkpoint(signed, signer.verifier, origin="other.log")
    with pytest.raises(InvalidSignatureError):
        open_checkpoint(signed.replace("\n3\n", "\n4\n"), signer.verifier)
    with pytest.raises(UnverifiedNoteError):
        open_checkpoint(signed, NoteSigner.generate(ORIGIN).verifier)
    with pytest.raises(CheckpointError, match=r"not 'other\.log'"):
        sign_checkpoint(signer, Checkpoint("other.log", 0, EMPTY_ROOT))
    not_a_checkpoint = signer.sign("hello\n")
    with pytest.raises(CheckpointError):
        open_checkpoint(not_a_checkpoint, signer.verifier)


def test_the_key_file_is_created_private_once_and_reloaded(tmp_path: Path) -> None:
    data = tmp_path / "data"
    signer = load_or_create_signer(data, ORIGIN)
    key_file = data / SIGNER_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().startswith(f"PRIVATE+KEY+{ORIGIN}+{signer.key_id:08x}+")
    again = load_or_create_signer(data, ORIGIN)
    assert again.key_string == signer.key_string
    assert (data / VERIFIER_KEY_FILE).read_text() == signer.verifier.key_string + "\n"
    assert read_verifier_key(data) == signer.verifier
    assert not [p for p in data.iterdir() if p.name.endswith(".tmp")]


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    load_or_create_signer(tmp_path, ORIGIN)
    os.chmod(tmp_path / SIGNER_KEY_FILE, 0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_or_create_signer(tmp_path, ORIGIN)


def test_a_key_file_of_another_origin_or_garbage_is_refused(tmp_path: Path) -> None:
    load_or_create_signer(tmp_path, ORIGIN)
    with pytest.raises(KeyFileError, match=r"not 'other\.log'"):
        load_or_create_signer(tmp_path, "other.log")
    (tmp_path / SIGNER_KEY_FILE).write_text("garbage\n")
    with pytest.raises(KeyFileError, match="not an audit signing key"):
        load_or_create_signer(tmp_path, ORIGIN)
    with pytest.raises(KeyFileError, match="cannot read"):
        read_verifier_key(tmp_path / "missing")
    (tmp_path / VERIFIER_KEY_FILE).write_text("garbage\n")
    with pytest.raises(KeyFileError, match="not a verifier key"):
        read_verifier_key(tmp_path)


def _signed(signer: NoteSigner, size: int) -> str:
    leaves = [b"%d" % i for i in range(size)]
    return sign_checkpoint(signer, Checkpoint(ORIGIN, size, merkle_tree_hash(leaves)))


def test_the_checkpoint_file_appends_and_reads_back(tmp_path: Path) -> None:
    signer = NoteSigner.generate(ORIGIN)
    path = tmp_path / CHECKPOINT_FILE
    assert read_checkpoint_file(path) == []
    log = CheckpointFile(path)
    assert log.last is None and len(log) == 0
    notes = [_signed(signer, n) for n in (0, 1, 5, 5, 9)]
    for note in notes:
        log.append(note)
    assert read_checkpoint_file(path) == notes
    assert path.read_text() == "".join(n + "\n" for n in notes)
    reopened = CheckpointFile(path)
    assert len(reopened) == 5 and reopened.last is not None and reopened.last.size == 9
    assert list(reopened) == notes
    assert [open_checkpoint(n, signer.verifier).size for n in reopened] == [0, 1, 5, 5, 9]


def test_the_checkpoint_file_refuses_shrinking_foreign_or_malformed_appends(
    tmp_path: Path,
) -> None:
    signer = NoteSigner.generate(ORIGIN)
    log = CheckpointFile(tmp_path / CHECKPOINT_FILE)
    log.append(_signed(signer, 4))
    before = (tmp_path / CHECKPOINT_FILE).read_bytes()
    with pytest.raises(CheckpointFileError, match="size 3 after one of size 4"):
        log.append(_signed(signer, 3))
    other = NoteSigner.generate("other.log")
    with pytest.raises(CheckpointFileError, match=r"other\.log"):
        log.append(sign_checkpoint(other, Checkpoint("other.log", 9, EMPTY_ROOT)))
    with pytest.raises(CheckpointFileError, match="not a signed checkpoint"):
        log.append(signer.sign("hello\n"))
    with pytest.raises(CheckpointFileError, match="not a signed checkpoint"):
        log.append("garbage")
    assert (tmp_path / CHECKPOINT_FILE).read_bytes() == before


def test_a_torn_or_malformed_checkpoint_file_is_refused(tmp_path: Path) -> None:
    signer = NoteSigner.generate(ORIGIN)
    good = _signed(signer, 1) + "\n" + _signed(signer, 2) + "\n"
    assert len(parse_checkpoint_file(good)) == 2
    for bad in (good[:-1], good[:-20], good + "\n", good + "junk\n\n", "x\n\ny\n\n"):
        with pytest.raises(CheckpointFileError):
            parse_checkpoint_file(bad)
    path = tmp_path / CHECKPOINT_FILE
    path.write_text(good[:-20])
    with pytest.raises(CheckpointFileError, match="ends inside record 1"):
        CheckpointFile(path)
    path.write_bytes(b"\xff\n\n")
    with pytest.raises(CheckpointFileError, match="not UTF-8"):
        read_checkpoint_file(path)
    path.write_text(signer.sign("hello\n") + "\n")
    with pytest.raises(CheckpointFileError, match="last record"):
        CheckpointFile(path)
