"""Key files of a ledger node: made on first use with mode 0600, kept for life."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from shuixiao.errors import ConfigurationError, InvalidInputError
from shuixiao.ledger import SIGNATURE_TYPE_COSIGNATURE, SIGNATURE_TYPE_ED25519
from shuixiao.notary import default_origin, log_signer, read_verifier_key, witness_signer

pytestmark = pytest.mark.integration


def test_the_log_key_is_made_once_and_kept(tmp_path: Path) -> None:
    signer = log_signer(tmp_path, "ledger.example.org/park")
    path = tmp_path / "ledger" / "log.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert signer.signature_type == SIGNATURE_TYPE_ED25519 and signer.name == "ledger.example.org/park"
    assert log_signer(tmp_path).verifier_key == signer.verifier_key  # later calls need no origin
    assert log_signer(tmp_path, "ledger.example.org/park").verifier_key == signer.verifier_key
    vkey = (tmp_path / "ledger" / "log.vkey").read_text().strip()
    assert read_verifier_key(vkey) == signer.verifier_key
    assert read_verifier_key(str(tmp_path / "ledger" / "log.vkey")) == signer.verifier_key
    with pytest.raises(ConfigurationError, match="a key keeps its name for life"):
        log_signer(tmp_path, "another/origin")


def test_a_default_origin_and_witness_keys(tmp_path: Path) -> None:
    assert log_signer(tmp_path).name == default_origin()
    witness = witness_signer(tmp_path, "witness.example.org/park")
    assert witness.signature_type == SIGNATURE_TYPE_COSIGNATURE
    assert (tmp_path / "ledger" / "witness" / "witness.example.org_park.key").exists()
    assert witness_signer(tmp_path, "witness.example.org/park").verifier_key == witness.verifier_key


def test_unsafe_or_wrong_key_files_are_refused(tmp_path: Path) -> None:
    log_signer(tmp_path, "log.example/a")
    path = tmp_path / "ledger" / "log.key"
    os.chmod(path, 0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        log_signer(tmp_path)
    os.chmod(path, 0o600)
    path.write_text("not a key\n")
    with pytest.raises(ConfigurationError, match="not a signer key"):
        log_signer(tmp_path)
    witness_signer(tmp_path, "w")
    (tmp_path / "ledger" / "witness" / "w.key").replace(path)
    with pytest.raises(ConfigurationError, match="not a log key"):
        log_signer(tmp_path)
    with pytest.raises(InvalidInputError, match="neither a verifier key"):
        read_verifier_key(str(tmp_path / "missing.vkey"))
