"""What the authenticity checks find, as plain values: one signature's outcome, one file's identified
format, one PDF's PDF/A facts, one virus scan. The checks produce these; the ingest's policy turns them
into findings, PREMIS and catalog rows; nothing here decides whether a submission is accepted."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class SignatureOutcome(StrEnum):
    """ETSI EN 319 102-1 main indications."""

    TOTAL_PASSED = "TOTAL-PASSED"
    TOTAL_FAILED = "TOTAL-FAILED"
    INDETERMINATE = "INDETERMINATE"


@dataclass(frozen=True)
class SignatureResult:
    """One signature in one file, validated offline."""

    path: str  # the file, as the caller named it (package-relative inside a package)
    index: int  # 1-based, in the order the signatures were applied
    kind: str  # "PAdES" | "PKCS7" (adbe.pkcs7.detached) | "XAdES" | "XMLDSig" | "document timestamp"
    outcome: SignatureOutcome
    subindication: str | None = None  # ETSI sub-indication: HASH_FAILURE, REVOKED, NO_POE, …
    field: str | None = None  # the PDF signature field, or the XML Signature's Id
    signer: str | None = None  # subject DN of the signing certificate (RFC 4514)
    issuer: str | None = None
    serial: str | None = None  # hexadecimal
    signing_time: datetime | None = None  # aware; claimed (PDF /M or signed attribute) or timestamped
    timestamp_time: datetime | None = None  # from a signature timestamp token, when there is one
    level: str | None = None  # B-B | B-T | B-LT | B-LTA (PAdES baseline levels, best effort)
    coverage: str | None = None  # pyHanko's SignatureCoverageLevel name
    modification_level: str | None = None  # pyHanko's ModificationLevel name
    reasons: tuple[str, ...] = ()  # technical English notes: why this outcome (kept in reports/PREMIS)
    # For PREMIS signatureInformation (filled when the signature could be parsed):
    signature_algorithm: str | None = None  # e.g. "sha256_rsa", "rsassa_pss", "ecdsa-sha256"
    signature_value: str | None = None  # the raw signature value, base64

    @property
    def passed(self) -> bool:
        return self.outcome is SignatureOutcome.TOTAL_PASSED

    def as_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["outcome"] = str(self.outcome)
        record["reasons"] = list(self.reasons)
        for name in ("signing_time", "timestamp_time"):
            value = getattr(self, name)
            record[name] = value.isoformat() if value is not None else None
        return record


@dataclass(frozen=True)
class FileSignatures:
    """Every signature found in one file; ``error`` when the file could not be read as signed at all."""

    path: str
    signatures: tuple[SignatureResult, ...] = ()
    error: str | None = None  # technical English; the file is then treated as TOTAL-FAILED

    @property
    def signed(self) -> bool:
        return bool(self.signatures) or self.error is not None


@dataclass(frozen=True)
class FormatIdentification:
    """What the format identifier (Siegfried, PRONOM signatures) says a file is."""

    path: str
    puid: str | None  # e.g. fmt/354; None when unknown ("UNKNOWN" in Siegfried)
    name: str | None = None  # PRONOM format name, e.g. "Acrobat PDF/A - Portable Document Format"
    version: str | None = None  # e.g. "1b"
    mimetype: str | None = None  # the MIME type PRONOM gives, when any
    basis: str | None = None  # why Siegfried says so (byte match, extension match, …)
    warning: str | None = None  # Siegfried's own warning, e.g. extension mismatch


@dataclass(frozen=True)
class PdfFacts:
    """PDF/A triage of one PDF (pikepdf); not a full PDF/A validation (no veraPDF here)."""

    path: str
    pdfa_claim: str | None = None  # from XMP pdfaid: e.g. "2B"; None when the file claims nothing
    encrypted: bool = False
    javascript: tuple[str, ...] = ()  # where JavaScript or actions were found (e.g. "/Names/JavaScript")
    unembedded_fonts: tuple[str, ...] = ()  # base font names
    output_intent: bool = False  # an OutputIntent GTS_PDFA1 with a DestOutputProfile
    pages: int = 0
    image_pages: int = 0  # pages whose content is mainly one or more images (scanned)
    invisible_text_pages: int = 0  # pages with text drawn in render mode 3 (an OCR layer)
    visible_text_pages: int = 0
    signature_fields: int = 0
    error: str | None = None  # the file could not be opened as a PDF (technical English)
    # pages whose content the layer counts above cover: all of them unless the PDF has more pages than
    # pdfa.MAX_LAYER_PAGES (then an evenly spaced sample)
    pages_analyzed: int = 0
    warnings: tuple[str, ...] = ()  # qpdf's repair warnings (damaged but readable) and unparsable pages

    @property
    def two_layer(self) -> bool:
        """Scanned images with an invisible OCR text layer on every page ("PDF/A hai lớp")."""
        analysed = self.pages_analyzed or self.pages  # large files: only a sample of pages is analysed
        return analysed > 0 and self.image_pages == analysed and self.invisible_text_pages == analysed


@dataclass(frozen=True)
class VirusHit:
    path: str  # relative to the scanned folder
    signature: str  # the scanner's name for what it found, e.g. "Eicar-Test-Signature"


@dataclass(frozen=True)
class VirusScan:
    """One scan of a whole submission."""

    engine: str  # e.g. "ClamAV 1.4.6 (clamd)" or "ClamAV 1.4.6 (clamscan)"
    database: str  # what the scanner reports of its signature database (version / date / count)
    files_scanned: int = 0
    infected: tuple[VirusHit, ...] = ()
    not_scanned: tuple[VirusHit, ...] = ()  # files the scanner skipped or gave up on (limits, errors)

    @property
    def clean(self) -> bool:
        return not self.infected and not self.not_scanned


@dataclass
class AuthenticityFacts:
    """Everything the checks found about one submission, keyed by package-relative path."""

    virus: VirusScan | None = None
    formats: dict[str, FormatIdentification] = field(default_factory=dict)
    pdf: dict[str, PdfFacts] = field(default_factory=dict)
    signatures: dict[str, FileSignatures] = field(default_factory=dict)
