"""Verifiable ledger engine: RFC 9162 Merkle tree, proofs, signed checkpoints, device-signed batches.

Meter data is notarised at the source: a device signs batches of readings
(:mod:`~shuixiao.ledger.batch`), each batch hash becomes a leaf of an
append-only Merkle tree (:mod:`~shuixiao.ledger.merkle`,
:mod:`~shuixiao.ledger.tree`), and the log publishes signed checkpoints that
witnesses cosign (:mod:`~shuixiao.ledger.checkpoint`, on
:mod:`~shuixiao.ledger.note`). Anyone holding a checkpoint can then check
that a batch is in the log (inclusion proof) and that the log only grew
(consistency proof), without trusting the database that stores it.

The engine only computes: it knows nothing of storage, networks or settings.
See ``docs/ledger.md`` for the formats.
"""

from shuixiao.ledger._ed25519 import ed25519_public_key, generate_ed25519_key
from shuixiao.ledger.batch import (
    BATCH_LABEL,
    GENESIS_HASH,
    Batch,
    ChainCheck,
    ChainHead,
    ChainStatus,
    DeviceKey,
    Reading,
    check_batch,
    keys_valid_at,
    sign_batch,
    verify_batch_signature,
)
from shuixiao.ledger.checkpoint import (
    Checkpoint,
    Cosignature,
    VerifiedCheckpoint,
    cosign_checkpoint,
    open_checkpoint,
    sign_checkpoint,
)
from shuixiao.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    SubtreeHasher,
    consistency_proof,
    inclusion_proof,
    is_valid_subtree,
    leaf_hash,
    merkle_root,
    node_hash,
    root_from_consistency_proof,
    root_from_inclusion_proof,
    root_from_subtree_consistency_proof,
    subtree_consistency_proof,
    subtree_inclusion_proof,
    subtree_root,
    verify_consistency,
    verify_inclusion,
    verify_subtree_consistency,
    verify_subtree_inclusion,
)
from shuixiao.ledger.note import (
    MAX_SIGNATURES,
    SIGNATURE_TYPE_COSIGNATURE,
    SIGNATURE_TYPE_ED25519,
    Note,
    NoteSignature,
    NoteSigner,
    VerifiedNote,
    VerifierKey,
    cosignature_message,
    cosignature_timestamp,
    key_id,
    open_note,
    sign_note,
)
from shuixiao.ledger.tree import CompactRange, MemoryTree, NodeVisitor

__all__ = [
    "BATCH_LABEL",
    "EMPTY_ROOT",
    "GENESIS_HASH",
    "HASH_SIZE",
    "MAX_SIGNATURES",
    "SIGNATURE_TYPE_COSIGNATURE",
    "SIGNATURE_TYPE_ED25519",
    "Batch",
    "ChainCheck",
    "ChainHead",
    "ChainStatus",
    "Checkpoint",
    "CompactRange",
    "Cosignature",
    "DeviceKey",
    "MemoryTree",
    "NodeVisitor",
    "Note",
    "NoteSignature",
    "NoteSigner",
    "Reading",
    "SubtreeHasher",
    "VerifiedCheckpoint",
    "VerifiedNote",
    "VerifierKey",
    "check_batch",
    "consistency_proof",
    "cosign_checkpoint",
    "cosignature_message",
    "cosignature_timestamp",
    "ed25519_public_key",
    "generate_ed25519_key",
    "inclusion_proof",
    "is_valid_subtree",
    "key_id",
    "keys_valid_at",
    "leaf_hash",
    "merkle_root",
    "node_hash",
    "open_checkpoint",
    "open_note",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "root_from_subtree_consistency_proof",
    "sign_batch",
    "sign_checkpoint",
    "sign_note",
    "subtree_consistency_proof",
    "subtree_inclusion_proof",
    "subtree_root",
    "verify_batch_signature",
    "verify_consistency",
    "verify_inclusion",
    "verify_subtree_consistency",
    "verify_subtree_inclusion",
]
