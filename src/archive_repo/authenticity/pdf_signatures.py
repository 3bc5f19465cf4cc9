"""Validate every signature and document timestamp in a PDF, offline, against the repository's TrustStore.

pyHanko checks the cryptography (``intact``, ``valid``), the chain to an explicit trust anchor with
revocation data that must be present (from the trust store, the PDF's DSS and Adobe revocation
attributes; nothing is ever fetched) and the incremental updates made after each signature. The
outcome follows ETSI EN 319 102-1 (the "Suggested mapping" of the shared domain notes, SIGNATURES.md),
decided here from several fields together, because no single pyHanko field can be trusted on its own.

Why not pyHanko's ``ades_lta_validation`` alone: in 0.38 it reports every signature without a signature
timestamp (B-B, the usual Vietnamese administrative signature) as INDETERMINATE, turns a valid B-T
signature into NO_POE unless the CRLs themselves have proof of existence, and keeps an expired signer
OUT_OF_BOUNDS even with a document timestamp from inside its validity when a current CRL is known. The
past validation here is the same idea made explicit: when the signer's certificate is expired or
revoked now, find the earliest trusted proof of existence (POE) of the signature (its signature
timestamp, or a later document timestamp) and validate the signature again as of that time.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils.generic import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.general import find_unique_cms_attribute
from pyhanko.sign.validation import KeyUsageConstraints
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.pdf_embedded import (
    EmbeddedPdfSignature,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.status import (
    DocumentTimestampStatus,
    ModificationLevel,
    PdfSignatureStatus,
    SignatureCoverageLevel,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleTrustManager

from archive_repo.authenticity.results import FileSignatures, SignatureOutcome, SignatureResult
from archive_repo.authenticity.trust import TrustStore

PASSED = SignatureOutcome.TOTAL_PASSED
FAILED = SignatureOutcome.TOTAL_FAILED
INDETERMINATE = SignatureOutcome.INDETERMINATE

KIND_BY_SUBFILTER = {
    "/ETSI.CAdES.detached": "PAdES",
    "/adbe.pkcs7.detached": "PKCS7",
    "/ETSI.RFC3161": "document timestamp",
}
# Subindications pyHanko reports as a trust problem that mean "expired" or "revoked" now: a proof of
# existence from before can still save the signature.
_EXPIRED = frozenset({"OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED", "EXPIRED"})
_REVOKED = frozenset({"REVOKED_NO_POE", "REVOKED"})
# ETSI sub-indications whose main indication is TOTAL-FAILED (EN 319 102-1, table 5).
_FAILURES = frozenset(
    {"FORMAT_FAILURE", "HASH_FAILURE", "SIG_CRYPTO_FAILURE", "REVOKED", "NOT_YET_VALID", "EXPIRED"}
)
# PAdES signers may assert either key usage; pyHanko's default demands non-repudiation only.
_KEY_USAGE = KeyUsageConstraints(
    key_usage={"non_repudiation", "digital_signature"}, match_all_key_usages=False
)
_LOGGERS = ("pyhanko", "pyhanko_certvalidator")


# --------------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------------


def validate_pdf_signatures(
    path: Path, trust: TrustStore, *, display_path: str | None = None, at: datetime | None = None
) -> FileSignatures:
    """Every signature and document timestamp of the PDF at ``path``, validated offline as of ``at``
    (default: now). Never raises for a bad file: an unreadable PDF gives ``FileSignatures.error``, an
    unreadable signature a TOTAL-FAILED result."""
    shown = display_path or str(path)
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    with _quiet_pyhanko():
        try:
            with open(path, "rb") as handle:
                return _validate_file(handle, shown, trust, moment)
        except _UnreadablePdf as exc:
            return FileSignatures(path=shown, error=str(exc))
        except OSError as exc:
            return FileSignatures(path=shown, error=f"cannot read file: {exc.strerror or exc}")


# --------------------------------------------------------------------------------------------------
# Reading the PDF
# --------------------------------------------------------------------------------------------------


class _UnreadablePdf(Exception):
    pass


@dataclass
class _Signature:
    """One filled signature field; ``embedded`` is None when its signature dictionary is unreadable."""

    field_name: str
    revision: int
    kind: str
    embedded: EmbeddedPdfSignature | None = None
    problem: str | None = None

    @property
    def is_document_timestamp(self) -> bool:
        return self.embedded is not None and self.embedded.sig_object_type == "/DocTimeStamp"


@dataclass
class _Material:
    """What a validation may use: the trust store plus what the PDF itself carries (DSS, Adobe
    revocation attributes, certificates in the signatures). CRLs and OCSP responses are signed by their
    CA, so taking them from the file is safe; anchors come only from the trust store."""

    anchors: list[asn1_x509.Certificate]
    certs: list[asn1_x509.Certificate]
    crls: list[asn1_crl.CertificateList]
    ocsps: list[asn1_ocsp.OCSPResponse]
    has_dss_revinfo: bool = False

    def context(self, moment: datetime) -> ValidationContext:
        return ValidationContext(
            trust_manager=SimpleTrustManager.build(trust_roots=self.anchors),
            other_certs=self.certs,
            crls=self.crls,
            ocsps=self.ocsps,
            allow_fetching=False,
            revocation_mode="require",
            moment=moment,
        )


def _open_reader(handle: Any) -> tuple[PdfFileReader, list[_Signature], list[str]]:
    notes: list[str] = []
    try:
        reader = PdfFileReader(handle)
        signatures = _signature_fields(reader)
    except Exception as strict_error:  # noqa: BLE001 - any parser failure; retried leniently below
        handle.seek(0)
        try:
            reader = PdfFileReader(handle, strict=False)
            signatures = _signature_fields(reader)
        except Exception as exc:  # noqa: BLE001
            raise _UnreadablePdf(f"not a readable PDF: {type(exc).__name__}: {exc}") from exc
        notes.append(f"PDF read in non-strict mode ({type(strict_error).__name__}: {strict_error})")
    return reader, signatures, notes


def _signature_fields(reader: PdfFileReader) -> list[_Signature]:
    found: list[_Signature] = []
    for pdf_name, sig_obj_ref, sig_field in enumerate_sig_fields(reader, filled_status=True):
        fq_name = str(pdf_name)  # a plain str: pyHanko's string objects hold on to the open file
        kind = _kind_of(sig_obj_ref)
        try:
            embedded = EmbeddedPdfSignature(reader, sig_field, fq_name)
            found.append(_Signature(fq_name, embedded.signed_revision, kind, embedded))
        except Exception as exc:  # noqa: BLE001 - corrupt /Contents, bad CMS, …: a failed signature
            found.append(_Signature(fq_name, _revision_of(reader, sig_obj_ref), kind, problem=_describe(exc)))
    return sorted(found, key=lambda sig: sig.revision)


def _revision_of(reader: PdfFileReader, sig_obj_ref: Any) -> int:
    try:
        return reader.xrefs.get_last_change(sig_obj_ref.reference)
    except Exception:  # noqa: BLE001 - only used for ordering
        return 1 << 30


def _gather_material(reader: PdfFileReader, signatures: list[_Signature], trust: TrustStore) -> _Material:
    material = _Material(
        anchors=list(trust.asn1_anchors()),
        certs=list(trust.asn1_intermediates()),
        crls=list(trust.asn1_crls()),
        ocsps=[],
    )
    with contextlib.suppress(Exception):  # no DSS, or a broken one: validate without it
        dss = DocumentSecurityStore.read_dss(reader)
        material.certs.extend(dss.load_certs())
        for ref in dss.crls:
            material.crls.append(asn1_crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL)))
        for ref in dss.ocsps:
            data = ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE)
            material.ocsps.append(asn1_ocsp.OCSPResponse.load(data))
        material.has_dss_revinfo = bool(dss.crls or dss.ocsps)
    for sig in signatures:
        if sig.embedded is None:
            continue
        material.certs.extend(sig.embedded.other_embedded_certs)
        archival = _adobe_revinfo(sig.embedded)
        if archival is not None:
            material.crls.extend(archival["crl"])
            material.ocsps.extend(archival["ocsp"])
    return material


def _adobe_revinfo(embedded: EmbeddedPdfSignature) -> Any:
    try:
        return find_unique_cms_attribute(
            embedded.signer_info["signed_attrs"], "adobe_revocation_info_archival"
        )
    except Exception:  # noqa: BLE001 - absent (the usual case) or malformed
        return None


# --------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------


@dataclass
class _Verdict:
    outcome: SignatureOutcome
    subindication: str | None
    reasons: list[str] = field(default_factory=list)


def _validate_file(handle: Any, shown: str, trust: TrustStore, moment: datetime) -> FileSignatures:
    reader, signatures, notes = _open_reader(handle)
    if not signatures:
        return FileSignatures(path=shown)
    material = _gather_material(reader, signatures, trust)
    results = asyncio.run(_validate_all(signatures, material, moment, shown, notes))
    return FileSignatures(path=shown, signatures=tuple(results))


async def _validate_all(
    signatures: list[_Signature], material: _Material, moment: datetime, shown: str, notes: list[str]
) -> list[SignatureResult]:
    context = material.context(moment)
    # Document timestamps first, newest to oldest: each one established gives proof of existence to
    # everything before it, including the older timestamps (the B-LTA chain).
    established: dict[int, datetime] = {}  # revision of a trusted document timestamp -> its time
    by_position: dict[int, SignatureResult] = {}
    for position in reversed(range(len(signatures))):
        sig = signatures[position]
        if sig.is_document_timestamp:
            result, when = await _document_timestamp(sig, material, context, established, position + 1, shown)
            if when is not None:
                established[sig.revision] = when
            by_position[position] = result
    for position, sig in enumerate(signatures):
        if position in by_position:
            continue
        by_position[position] = await _signature(sig, material, context, established, position + 1, shown)
    results = [by_position[position] for position in range(len(signatures))]
    if notes:
        results = [_with_reasons(result, notes) for result in results]
    return results


async def _signature(
    sig: _Signature,
    material: _Material,
    context: ValidationContext,
    established: dict[int, datetime],
    index: int,
    shown: str,
) -> SignatureResult:
    if sig.embedded is None:
        return _unreadable(sig, index, shown, sig.problem or "unreadable signature")
    embedded = sig.embedded
    try:
        status = await async_validate_pdf_signature(embedded, context, key_usage_settings=_KEY_USAGE)
    except Exception as exc:  # noqa: BLE001 - unsupported SubFilter, malformed CMS, …
        return _unreadable(sig, index, shown, _describe(exc), embedded)
    poe = _proof_of_existence(sig, status, established)
    verdict = _judge_signature(status)
    if verdict.subindication in _EXPIRED | _REVOKED and poe is not None:
        verdict = await _past_validation(embedded, material, status, poe, verdict)
    verdict = _check_signing_time(status, verdict)
    return _signature_result(sig, status, verdict, index, shown, material, established)


def _proof_of_existence(
    sig: _Signature, status: PdfSignatureStatus, established: dict[int, datetime]
) -> tuple[datetime, str] | None:
    """The earliest trusted time at which the signature is proven to have existed."""
    candidates: list[tuple[datetime, str]] = []
    ts = status.timestamp_validity
    if ts is not None and ts.intact and ts.valid and ts.trusted:
        candidates.append((ts.timestamp, "signature timestamp"))
    candidates += [(when, "document timestamp") for rev, when in established.items() if rev > sig.revision]
    return min(candidates, default=None, key=lambda item: item[0])


def _judge_signature(status: PdfSignatureStatus) -> _Verdict:
    """The mapping of SIGNATURES.md, checked in order of severity."""
    integrity = _judge_integrity(status)
    if integrity is not None:
        return integrity
    ts = status.timestamp_validity
    if ts is not None and not (ts.intact and ts.valid):
        return _Verdict(
            FAILED, "HASH_FAILURE" if not ts.intact else "SIG_CRYPTO_FAILURE", ["signature timestamp broken"]
        )
    if status.revoked:
        return _Verdict(FAILED, "REVOKED", [_revocation_note(status)])
    trust_problem = _name(status.trust_problem_indic)
    if trust_problem is not None or not status.trusted:
        indication = trust_problem or "NO_CERTIFICATE_CHAIN_FOUND"
        outcome = FAILED if indication in _FAILURES else INDETERMINATE
        return _Verdict(
            outcome, indication, [f"signer certificate not validated at validation time: {indication}"]
        )
    if ts is not None and not ts.trusted:
        indication = _name(ts.trust_problem_indic) or "NO_CERTIFICATE_CHAIN_FOUND"
        return _Verdict(INDETERMINATE, indication, [f"signature timestamp not trusted: {indication}"])
    if not status.bottom_line:
        return _Verdict(INDETERMINATE, "SIG_CONSTRAINTS_FAILURE", ["pyHanko bottom line is false"])
    return _Verdict(PASSED, None, [])


def _judge_integrity(status: PdfSignatureStatus | DocumentTimestampStatus) -> _Verdict | None:
    if not status.intact:
        return _Verdict(FAILED, "HASH_FAILURE", ["signed bytes do not match the signed digest"])
    if not status.valid:
        return _Verdict(FAILED, "SIG_CRYPTO_FAILURE", ["cryptographic signature does not verify"])
    coverage = status.coverage
    if coverage is None or coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return _Verdict(
            FAILED, "FORMAT_FAILURE", [f"signature does not cover its revision ({_name(coverage)})"]
        )
    if status.modification_level == ModificationLevel.OTHER:
        return _Verdict(
            FAILED, "MODIFIED_AFTER_SIGNING", ["disallowed changes in a later incremental update"]
        )
    if status.docmdp_ok is False:
        return _Verdict(
            INDETERMINATE,
            "SIG_CONSTRAINTS_FAILURE",
            ["later changes exceed the certification (DocMDP) level"],
        )
    return None


async def _past_validation(
    embedded: EmbeddedPdfSignature,
    material: _Material,
    status: PdfSignatureStatus,
    poe: tuple[datetime, str],
    verdict: _Verdict,
) -> _Verdict:
    """Expired or revoked now: validate again as of the proof of existence, if it is early enough."""
    when, source = poe
    cert = status.signing_cert
    not_before, not_after = cert.not_valid_before, cert.not_valid_after
    revoked_at = _revocation_date(status)
    if when < not_before:
        return _Verdict(FAILED, "NOT_YET_VALID", [f"{source} at {when.isoformat()} predates the certificate"])
    if when > not_after or (revoked_at is not None and when >= revoked_at):
        limit = "expiry" if when > not_after else "revocation"
        return _Verdict(
            verdict.outcome,
            verdict.subindication,
            [*verdict.reasons, f"{source} at {when.isoformat()} is after the certificate's {limit}"],
        )
    try:
        past = await async_validate_pdf_signature(
            embedded, material.context(when), key_usage_settings=_KEY_USAGE
        )
    except Exception as exc:  # noqa: BLE001
        return _Verdict(INDETERMINATE, verdict.subindication, [*verdict.reasons, _describe(exc)])
    past_verdict = _judge_signature(past)
    if past_verdict.outcome is PASSED:
        note = f"validated as of its proof of existence: {source} at {when.isoformat()}"
        return _Verdict(PASSED, None, [*verdict.reasons, note])
    if verdict.subindication in _REVOKED:
        # Not provably valid before the revocation: the revocation decides.
        return _Verdict(FAILED, "REVOKED", [*verdict.reasons, *past_verdict.reasons])
    return _Verdict(
        INDETERMINATE,
        verdict.subindication,
        [*verdict.reasons, f"not valid as of {source} at {when.isoformat()}: {past_verdict.subindication}"],
    )


def _check_signing_time(status: PdfSignatureStatus, verdict: _Verdict) -> _Verdict:
    """PASSED also needs the claimed signing time inside the signer certificate's validity."""
    if verdict.outcome is not PASSED:
        return verdict
    claimed = status.signer_reported_dt
    cert = status.signing_cert
    if claimed is not None and not (cert.not_valid_before <= claimed <= cert.not_valid_after):
        return _Verdict(
            INDETERMINATE,
            "OUT_OF_BOUNDS_NO_POE",
            [*verdict.reasons, f"claimed signing time {claimed.isoformat()} outside certificate validity"],
        )
    return verdict


async def _document_timestamp(
    sig: _Signature,
    material: _Material,
    context: ValidationContext,
    established: dict[int, datetime],
    index: int,
    shown: str,
) -> tuple[SignatureResult, datetime | None]:
    """A document timestamp, validated now, or as of a later trusted document timestamp when its TSA
    certificate has expired since (the B-LTA renewal chain). Returns the result and, when trusted, the
    time it proves."""
    embedded = sig.embedded
    assert embedded is not None
    try:
        status = await async_validate_pdf_timestamp(embedded, context)
    except Exception as exc:  # noqa: BLE001
        return _unreadable(sig, index, shown, _describe(exc), embedded), None
    verdict = _judge_integrity(status) or _judge_timestamp_trust(status)
    later = min((when for rev, when in established.items() if rev > sig.revision), default=None)
    if verdict.outcome is not PASSED and verdict.subindication in _EXPIRED and later is not None:
        with contextlib.suppress(Exception):
            past = await async_validate_pdf_timestamp(embedded, material.context(later))
            past_verdict = _judge_integrity(past) or _judge_timestamp_trust(past)
            if past_verdict.outcome is PASSED:
                note = f"validated as of a later document timestamp at {later.isoformat()}"
                verdict = _Verdict(PASSED, None, [*verdict.reasons, note])
    when = status.timestamp if verdict.outcome is PASSED else None
    result = SignatureResult(
        path=shown,
        index=index,
        kind="document timestamp",
        outcome=verdict.outcome,
        subindication=verdict.subindication,
        field=sig.field_name,
        signing_time=status.timestamp,
        timestamp_time=status.timestamp,
        level=None,
        coverage=_name(status.coverage),
        modification_level=_name(status.modification_level),
        reasons=tuple(verdict.reasons),
        **_certificate_fields(status.signing_cert),
        **_signature_value_fields(embedded, status.pkcs7_signature_mechanism),
    )
    return result, when


def _judge_timestamp_trust(status: DocumentTimestampStatus) -> _Verdict:
    if status.revoked:
        return _Verdict(FAILED, "REVOKED", ["TSA certificate revoked"])
    indication = _name(status.trust_problem_indic)
    if indication is not None or not status.trusted:
        indication = indication or "NO_CERTIFICATE_CHAIN_FOUND"
        outcome = FAILED if indication in _FAILURES else INDETERMINATE
        return _Verdict(
            outcome, indication, [f"TSA certificate not validated at validation time: {indication}"]
        )
    return _Verdict(PASSED, None, [])


# --------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------


def _signature_result(
    sig: _Signature,
    status: PdfSignatureStatus,
    verdict: _Verdict,
    index: int,
    shown: str,
    material: _Material,
    established: dict[int, datetime],
) -> SignatureResult:
    embedded = sig.embedded
    assert embedded is not None
    ts = status.timestamp_validity
    timestamp_time = ts.timestamp if ts is not None else None
    return SignatureResult(
        path=shown,
        index=index,
        kind=sig.kind,
        outcome=verdict.outcome,
        subindication=verdict.subindication,
        field=sig.field_name,
        signing_time=status.signer_reported_dt or timestamp_time,
        timestamp_time=timestamp_time,
        level=_level(sig, ts is not None, material, established),
        coverage=_name(status.coverage),
        modification_level=_name(status.modification_level),
        reasons=tuple(verdict.reasons),
        **_certificate_fields(status.signing_cert),
        **_signature_value_fields(embedded, status.pkcs7_signature_mechanism),
    )


def _level(
    sig: _Signature, has_timestamp: bool, material: _Material, established: dict[int, datetime]
) -> str:
    """PAdES baseline level, best effort: what evidence the file carries for this signature."""
    embedded = sig.embedded
    assert embedded is not None
    if not has_timestamp:
        return "B-B"
    if not (material.has_dss_revinfo or _adobe_revinfo(embedded) is not None):
        return "B-T"
    if any(rev > sig.revision for rev in established):
        return "B-LTA"
    return "B-LT"


def _unreadable(
    sig: _Signature, index: int, shown: str, problem: str, embedded: EmbeddedPdfSignature | None = None
) -> SignatureResult:
    """A signature that cannot be validated at all (corrupt /Contents, malformed CMS, unsupported
    SubFilter): TOTAL-FAILED, as the file cannot show it is authentic."""
    fields: dict[str, Any] = {}
    if embedded is not None:
        with contextlib.suppress(Exception):
            fields = _certificate_fields(embedded.signer_cert)
        with contextlib.suppress(Exception):
            mechanism = embedded.signer_info["signature_algorithm"]["algorithm"].native
            fields |= _signature_value_fields(embedded, mechanism)
    return SignatureResult(
        path=shown,
        index=index,
        kind=sig.kind,
        outcome=FAILED,
        subindication="FORMAT_FAILURE",
        field=sig.field_name,
        reasons=(f"signature unreadable: {problem}",),
        **fields,
    )


def _kind_of(sig_obj_ref: Any) -> str:
    try:
        subfilter = str(sig_obj_ref.get_object().get("/SubFilter", ""))
    except Exception:  # noqa: BLE001 - the signature dictionary itself is broken
        subfilter = ""
    return KIND_BY_SUBFILTER.get(subfilter, subfilter.lstrip("/") or "PDF signature")


def _certificate_fields(cert: asn1_x509.Certificate) -> dict[str, Any]:
    parsed = x509.load_der_x509_certificate(cert.dump())
    return {
        "signer": parsed.subject.rfc4514_string(),
        "issuer": parsed.issuer.rfc4514_string(),
        "serial": format(parsed.serial_number, "x"),
    }


def _signature_value_fields(embedded: EmbeddedPdfSignature, mechanism: str | None) -> dict[str, Any]:
    """For PREMIS signatureInformation: the algorithm (e.g. "sha256_rsa") and the raw value, base64."""
    value = embedded.signer_info["signature"].native
    return {
        "signature_algorithm": str(mechanism) if mechanism else None,
        "signature_value": base64.b64encode(value).decode("ascii") if value else None,
    }


def _with_reasons(result: SignatureResult, notes: list[str]) -> SignatureResult:
    return replace(result, reasons=(*result.reasons, *notes))


def _revocation_date(status: PdfSignatureStatus) -> datetime | None:
    details = status.revocation_details
    return details.revocation_date if details is not None else None


def _revocation_note(status: PdfSignatureStatus) -> str:
    when = _revocation_date(status)
    return f"signer certificate revoked at {when.isoformat()}" if when else "signer certificate revoked"


def _name(value: Any) -> str | None:
    return getattr(value, "name", None) if value is not None else None


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --------------------------------------------------------------------------------------------------
# Logging: pyHanko logs expected failures as WARNING with tracebacks
# --------------------------------------------------------------------------------------------------

_quiet_lock = threading.Lock()
_quiet_depth = 0
_saved_levels: dict[str, int] = {}


@contextlib.contextmanager
def _quiet_pyhanko() -> Iterator[None]:
    """Silence pyHanko's loggers for the duration (re-entrant and thread-safe; the first caller in
    saves the levels, the last one out restores them)."""
    global _quiet_depth
    with _quiet_lock:
        if _quiet_depth == 0:
            for name in _LOGGERS:
                logger = logging.getLogger(name)
                _saved_levels[name] = logger.level
                logger.setLevel(logging.CRITICAL + 1)
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0:
                for name, level in _saved_levels.items():
                    logging.getLogger(name).setLevel(level)
                _saved_levels.clear()


__all__ = ["validate_pdf_signatures"]
