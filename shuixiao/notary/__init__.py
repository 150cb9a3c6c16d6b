"""The ledger node (adapter layer): notarised ingestion, checkpoints, tiles, witnesses, proofs, audit.

The pure engine :mod:`shuixiao.ledger` computes hashes, proofs and
signatures; this package runs them against a store, files and the network:

* :func:`ingest_signed_batch` / :func:`ingest_signed_batches` verify
  device-signed batches, commit their readings through the ingestion
  pipeline and append them to the log (:mod:`~shuixiao.notary.ingest`);
  :mod:`~shuixiao.notary.transport` is their JSON form;
* :func:`publish_checkpoint` signs checkpoints, :func:`write_log` publishes
  the log as static C2SP tiles, :func:`collect_cosignatures` gathers the
  witnesses' cosignatures (:mod:`~shuixiao.notary.publish`);
* :class:`Witness` follows a published log, checks consistency, mirrors,
  cosigns and detects split views (:mod:`~shuixiao.notary.witness`);
* :func:`make_bundle` / :func:`check_bundle` build and verify offline proof
  bundles (:mod:`~shuixiao.notary.bundle`, ``docs/ledger-bundle.md``);
* :func:`audit_store` is the full audit of a store against its log;
* :func:`reading_status` / :func:`notarisation_summary` say which readings
  are notarised and up to which checkpoint.

See ``docs/ledger.md``.
"""

from shuixiao.notary.audit import AuditProblem, AuditReport, audit_store
from shuixiao.notary.bundle import BundleCheck, BundleReport, check_bundle, make_bundle
from shuixiao.notary.incidents import KINDS, record_incident
from shuixiao.notary.ingest import (
    RefusalReason,
    SignedBatchResult,
    SignedStatus,
    ingest_signed_batch,
    ingest_signed_batches,
)
from shuixiao.notary.keys import default_origin, log_signer, read_verifier_key, witness_signer
from shuixiao.notary.publish import (
    CollectReport,
    collect_cosignatures,
    full_note,
    publish_checkpoint,
    write_log,
)
from shuixiao.notary.source import DirectorySource, HttpSource, LogSource, open_source
from shuixiao.notary.status import MeterNotarisation, notarisation_summary, reading_status
from shuixiao.notary.transport import SCHEMAS, batch_from_json, batch_to_json
from shuixiao.notary.witness import Witness, WitnessReport

__all__ = [
    "KINDS",
    "SCHEMAS",
    "AuditProblem",
    "AuditReport",
    "BundleCheck",
    "BundleReport",
    "CollectReport",
    "DirectorySource",
    "HttpSource",
    "LogSource",
    "MeterNotarisation",
    "RefusalReason",
    "SignedBatchResult",
    "SignedStatus",
    "Witness",
    "WitnessReport",
    "audit_store",
    "batch_from_json",
    "batch_to_json",
    "check_bundle",
    "collect_cosignatures",
    "default_origin",
    "full_note",
    "ingest_signed_batch",
    "ingest_signed_batches",
    "log_signer",
    "make_bundle",
    "notarisation_summary",
    "open_source",
    "publish_checkpoint",
    "read_verifier_key",
    "reading_status",
    "record_incident",
    "witness_signer",
    "write_log",
]
