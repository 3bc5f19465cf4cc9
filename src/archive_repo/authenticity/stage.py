"""The authenticity stage of an ingest: virus scan, format identification, PDF/A triage and signature
validation of one submission, turned into findings (by the archive's policy), PREMIS events and the
facts the conversion writes into each file's PREMIS object and the catalog.

The checks themselves live in their own modules and only report; this module decides what a result means.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from archive_repo.authenticity.identify import (
    declared_mismatch,
    identifier_version,
    identify_all,
    in_tt05_table,
)
from archive_repo.authenticity.pdf_signatures import validate_pdf_signatures
from archive_repo.authenticity.pdfa import pdf_facts
from archive_repo.authenticity.policy import Action, AuthenticityPolicy
from archive_repo.authenticity.results import (
    FileSignatures,
    FormatIdentification,
    PdfFacts,
    SignatureOutcome,
    SignatureResult,
    VirusScan,
)
from archive_repo.authenticity.trust import TrustStore
from archive_repo.authenticity.virus import VirusScanner, open_scanner
from archive_repo.authenticity.xml_signatures import validate_xml_signatures
from archive_repo.config import Settings
from archive_repo.findings import Findings
from archive_repo.packages.convert import FileFacts, SipContent
from archive_repo.packages.mets_writer import timestamp
from archive_repo.packages.premis import (
    FAILURE,
    NOT_PERFORMED,
    SUCCESS,
    Format,
    PremisEvent,
    Signature,
    linking,
    software_agent,
)

INDETERMINATE = "indeterminate"
NOT_APPLICABLE = "not applicable"
XMLDSIG_NS = b"http://www.w3.org/2000/09/xmldsig#"
VALIDATION_RULES = "ETSI EN 319 102-1, offline, against the archive's configured trust anchors and CRLs"


@dataclass(frozen=True)
class AuthenticityContext:
    """What one process needs to run the checks: the policy, the trust anchors and the virus scanner."""

    policy: AuthenticityPolicy
    trust: TrustStore
    scanner: VirusScanner | None  # None: the operator opted out (the check is recorded as not performed)
    scan_opt_out: str | None = None  # why there is no scanner, for PREMIS


@cache
def context_for(settings: Settings, skip_virus_scan: bool = False) -> AuthenticityContext:
    """Once per process. Raises ``VirusScanError`` when a scan is required and no scanner works, and
    ``TrustStoreError`` for an unreadable trust anchor."""
    trust = TrustStore.load(settings.trust_dir)
    if skip_virus_scan:
        return AuthenticityContext(
            settings.policy, trust, None, "the operator ran the ingest with --no-virus-scan"
        )
    scanner = open_scanner(settings.virus_scan)
    reason = (
        None if scanner is not None else "virus scanning is turned off in the settings ([virus_scan] mode)"
    )
    return AuthenticityContext(settings.policy, trust, scanner, reason)


@dataclass
class StageResult:
    """What the stage found and recorded for one submission."""

    file_facts: dict[str, FileFacts] = field(default_factory=dict)  # by package-relative path
    events: list[PremisEvent] = field(default_factory=list)  # package-level summaries
    signatures: list[SignatureResult] = field(default_factory=list)
    virus: VirusScan | None = None


def _event(event_type: str, outcome: str, detail: str, outcome_detail: str | None = None) -> PremisEvent:
    return PremisEvent(
        type=event_type,
        date_time=timestamp(),
        outcome=outcome,
        detail=detail,
        outcome_detail=outcome_detail,
        agents=(linking(software_agent(), "executing program"),),
    )


# --------------------------------------------------------------------------------------------------
# virus scan


def scan_for_viruses(
    folder: Path, context: AuthenticityContext, findings: Findings
) -> tuple[PremisEvent, VirusScan | None]:
    """Scan everything received (before anything else looks inside the files)."""
    if context.scanner is None:
        return _event("virus check", NOT_PERFORMED, f"No virus scan: {context.scan_opt_out}"), None
    scan = context.scanner.scan(folder)
    for hit in scan.infected:
        findings.error("authenticity.virus", hit.path, "authenticity.virus_found", signature=hit.signature)
    severity = context.policy.on_not_scanned.severity
    for skipped in scan.not_scanned:
        findings.add(
            "authenticity.not-scanned",
            severity,
            skipped.path,
            "authenticity.not_scanned",
            reason=skipped.signature,
        )
    detail = f"{scan.engine}; signature database: {scan.database}; {scan.files_scanned} file(s) scanned"
    if scan.infected:
        found = "; ".join(f"{hit.path}: {hit.signature}" for hit in scan.infected)
        return _event("virus check", FAILURE, detail, f"infected: {found}"), scan
    skipped = "; ".join(f"{s.path}: {s.signature}" for s in scan.not_scanned) or None
    return _event("virus check", SUCCESS, detail, f"not fully scanned: {skipped}" if skipped else None), scan


# --------------------------------------------------------------------------------------------------
# per content file


def check_contents(
    root: Path, contents: list[SipContent], context: AuthenticityContext, findings: Findings
) -> StageResult:
    """Identify, triage and validate the signatures of every content file of a valid SIP at ``root``."""
    result = StageResult()
    checks = [_FileChecks(root / c.path, c, context, findings) for c in contents if not c.holey]
    # Siegfried scans on its own threads without the GIL: the PDF work runs here meanwhile.
    with ThreadPoolExecutor(max_workers=1) as pool:
        identifying = pool.submit(identify_all, [(c.path, c.content.path) for c in checks])
        for file_checks in checks:
            file_checks.inspect()
        identifications = identifying.result()
    identified: list[FormatIdentification] = []
    per_file_signatures: list[FileSignatures] = []
    for file_checks in checks:
        result.file_facts[file_checks.content.path] = file_checks.judge(
            identifications[file_checks.content.path]
        )
        identified.append(file_checks.identification)
        if file_checks.signatures is not None and file_checks.signatures.signed:
            per_file_signatures.append(file_checks.signatures)
            result.signatures.extend(file_checks.signatures.signatures)
    result.events.append(_identification_summary(identified))
    xml_results = _xml_signatures(root, context, findings)
    result.signatures.extend(s for fs in xml_results for s in fs.signatures)
    result.events.append(_signature_summary([*per_file_signatures, *xml_results], contents, context))
    return result


@dataclass
class _FileChecks:
    path: Path
    content: SipContent
    context: AuthenticityContext
    findings: Findings
    identification: FormatIdentification = field(init=False)
    pdf: PdfFacts | None = None
    signatures: FileSignatures | None = None
    events: list[PremisEvent] = field(default_factory=list)

    @property
    def policy(self) -> AuthenticityPolicy:
        return self.context.policy

    def add(self, action: Action, rule: str, key: str, **params: object) -> None:
        self.findings.add(rule, action.severity, self.content.path, key, **params)

    def inspect(self) -> None:
        """The slow part, no findings yet: PDF/A facts and signatures of a file whose bytes say PDF."""
        if starts_like_pdf(self.path):
            self.pdf = pdf_facts(self.path, self.content.path)
            self.signatures = validate_pdf_signatures(
                self.path, self.context.trust, display_path=self.content.path
            )

    def judge(self, identification: FormatIdentification) -> FileFacts:
        """Findings and events, by the policy, in a fixed order: format, PDF/A, signatures."""
        self.identification = identification
        self._judge_format()
        if self.pdf is not None:
            self._judge_pdf()
        self._judge_signatures(self.pdf is not None)
        return self._facts()

    # formats -----------------------------------------------------------------------------------------
    def _judge_format(self) -> None:
        found = self.identification
        declared = self.content.mimetype
        if found.puid is None:
            self.add(
                self.policy.on_unidentified_format,
                "authenticity.format-unidentified",
                "authenticity.format_unidentified",
                declared=declared,
                detail=found.warning or "-",
            )
            outcome, detail = FAILURE, f"No PRONOM format identified ({found.warning or 'no match'})"
        else:
            name = _format_label(found)
            if declared_mismatch(declared, found):
                self.add(
                    self.policy.on_format_mismatch,
                    "authenticity.format-mismatch",
                    "authenticity.format_mismatch",
                    declared=declared,
                    puid=found.puid,
                    name=name,
                )
            elif not in_tt05_table(found):
                self.add(
                    self.policy.on_unlisted_format,
                    "authenticity.format-unlisted",
                    "authenticity.format_unlisted",
                    puid=found.puid,
                    name=name,
                )
            outcome = SUCCESS
            detail = f"{found.puid} {name}; declared MIME type {declared}; basis: {found.basis or '-'}"
        self.events.append(_event("format identification", outcome, f"{detail} ({identifier_version()})"))

    # PDF/A triage ---------------------------------------------------------------------------------------
    def _judge_pdf(self) -> None:
        facts = self.pdf
        assert facts is not None
        if facts.error is not None and not facts.encrypted:
            self.add(
                self.policy.on_format_mismatch,
                "authenticity.pdf-unreadable",
                "authenticity.pdf_unreadable",
                detail=facts.error,
            )
            self.events.append(
                _event("validation", FAILURE, f"PDF/A triage (pikepdf): unreadable: {facts.error}")
            )
            return
        problems = _pdf_problems(facts)
        digitised = (self.content.confidence_level or "") in self.policy.digitised_levels
        action = self.policy.on_digitised_pdf_problem if digitised else Action.RECORD
        for problem, params in problems:
            if digitised or problem in ("encrypted", "javascript"):
                self.add(action, f"authenticity.pdfa-{problem}", f"authenticity.pdfa_{problem}", **params)
        summary = _pdf_summary(facts)
        outcome = FAILURE if digitised and problems else SUCCESS
        scope = (
            "digitised document: PDF/A two-layer required" if digitised else "recorded only (not digitised)"
        )
        self.events.append(_event("validation", outcome, f"PDF/A triage (pikepdf), {scope}: {summary}"))

    # signatures ---------------------------------------------------------------------------------------
    def _judge_signatures(self, is_pdf: bool) -> None:
        required = (
            self.content.kind == "doc"
            and (self.content.confidence_level or "") in self.policy.require_signature
        )
        found = self.signatures
        if found is None or not found.signed:
            if required and is_pdf:
                self.add(
                    self.policy.on_missing_signature,
                    "authenticity.signature-missing",
                    "authenticity.signature_missing",
                    level=self.content.confidence_level,
                )
                self.events.append(
                    _event(
                        "digital signature validation",
                        FAILURE,
                        "No digital signature; the policy requires one for this document",
                    )
                )
            elif required:
                self.add(
                    self.policy.on_indeterminate_signature,
                    "authenticity.signature-unverifiable",
                    "authenticity.signature_unverifiable",
                    mimetype=self.content.mimetype,
                )
                self.events.append(
                    _event(
                        "digital signature validation",
                        NOT_PERFORMED,
                        f"Signatures in {self.content.mimetype} files are not verified",
                    )
                )
            return
        judge_signatures(found, self.policy, self.findings)
        self.events.append(_signature_event(found))

    def _facts(self) -> FileFacts:
        found = self.identification
        characteristics: dict[str, object] = {}
        if found.basis or found.warning:
            characteristics["identification"] = {"basis": found.basis, "warning": found.warning}
        if self.pdf is not None:
            characteristics["pdf"] = {k: v for k, v in dataclasses.asdict(self.pdf).items() if k != "path"}
            characteristics["pdf"]["two_layer"] = self.pdf.two_layer
        signatures = self.signatures.signatures if self.signatures is not None else ()
        return FileFacts(
            format=Format(
                name=found.name or self.content.mimetype,
                version=found.version,
                puid=found.puid,
                note=f"MIME type: {self.content.mimetype}",
            )
            if found.puid
            else None,
            signatures=tuple(premis_signature(s) for s in signatures),
            events=tuple(self.events),
            characteristics=characteristics or None,
            signature_records=tuple(s.as_record() for s in signatures),
        )


def judge_signatures(found: FileSignatures, policy: AuthenticityPolicy, findings: Findings) -> None:
    """Findings for every signature of one file that did not pass, by the policy."""
    if found.error is not None:
        findings.add(
            "authenticity.signature-unreadable",
            policy.on_failed_signature.severity,
            found.path,
            "authenticity.signature_unreadable",
            detail=found.error,
        )
    for signature in found.signatures:
        if signature.outcome is SignatureOutcome.TOTAL_PASSED:
            continue
        failed = signature.outcome is SignatureOutcome.TOTAL_FAILED
        action = policy.on_failed_signature if failed else policy.on_indeterminate_signature
        findings.add(
            "authenticity.signature-failed" if failed else "authenticity.signature-indeterminate",
            action.severity,
            found.path,
            "authenticity.signature_failed" if failed else "authenticity.signature_indeterminate",
            index=signature.index,
            signer=signature.signer or "-",
            subindication=signature.subindication or "-",
            reasons="; ".join(signature.reasons) or "-",
        )


def file_signature_outcome(found: FileSignatures) -> str:
    """The PREMIS outcome of validating every signature of one file."""
    outcomes = {s.outcome for s in found.signatures}
    if found.error is not None or SignatureOutcome.TOTAL_FAILED in outcomes:
        return FAILURE
    if SignatureOutcome.INDETERMINATE in outcomes:
        return INDETERMINATE
    return SUCCESS


def describe_signature(signature: SignatureResult) -> str:
    when = signature.signing_time.isoformat() if signature.signing_time else "-"
    parts = [
        f"#{signature.index} {signature.kind}",
        signature.level or "",
        f"signer {signature.signer or '-'}",
        f"time {when}",
    ]
    text = ", ".join(part for part in parts if part)
    sub = f" ({signature.subindication})" if signature.subindication else ""
    return f"{text}: {signature.outcome}{sub}"


def _signature_event(found: FileSignatures) -> PremisEvent:
    lines = [describe_signature(s) for s in found.signatures]
    if found.error:
        lines.append(f"unreadable: {found.error}")
    return _event(
        "digital signature validation",
        file_signature_outcome(found),
        f"{VALIDATION_RULES}: " + "; ".join(lines),
    )


def premis_signature(signature: SignatureResult) -> Signature:
    properties = [f"outcome: {signature.outcome}"]
    if signature.subindication:
        properties.append(f"subindication: {signature.subindication}")
    for name in ("level", "field", "coverage", "modification_level"):
        value = getattr(signature, name)
        if value:
            properties.append(f"{name.replace('_', ' ')}: {value}")
    if signature.signing_time:
        properties.append(f"signing time: {signature.signing_time.isoformat()}")
    if signature.timestamp_time:
        properties.append(f"timestamp: {signature.timestamp_time.isoformat()}")
    return Signature(
        encoding={
            "PAdES": "PAdES (CMS, ETSI.CAdES.detached)",
            "PKCS7": "PDF PKCS#7 (adbe.pkcs7.detached)",
        }.get(signature.kind, signature.kind),
        method=signature.signature_algorithm or "unknown",
        value=signature.signature_value or f"embedded in the file (signature {signature.index})",
        validation_rules=VALIDATION_RULES,
        signer=signature.signer,
        properties=tuple(properties),
    )


def starts_like_pdf(path: Path) -> bool:
    """The PDF header within the first KiB (where readers look for it), whatever the file is called."""
    try:
        with open(path, "rb") as handle:
            return b"%PDF-" in handle.read(1024)
    except OSError:
        return False


# --------------------------------------------------------------------------------------------------
# XML signatures on the SIP's metadata (METS.xml, EAD records)


def _xml_signatures(root: Path, context: AuthenticityContext, findings: Findings) -> list[FileSignatures]:
    results = []
    for path in sorted(root.rglob("*.xml")):
        if not path.is_file() or path.is_symlink() or not mentions_xmldsig(path):
            continue
        found = validate_xml_signatures(path, context.trust, display_path=path.relative_to(root).as_posix())
        if found.signed:
            judge_signatures(found, context.policy, findings)
            results.append(found)
    return results


def mentions_xmldsig(path: Path) -> bool:
    """A cheap pre-filter: only files that name the XML-DSig namespace can hold a signature."""
    with open(path, "rb") as handle:
        previous = b""
        while chunk := handle.read(1 << 20):
            if XMLDSIG_NS in previous[-len(XMLDSIG_NS) :] + chunk:
                return True
            previous = chunk
    return False


# --------------------------------------------------------------------------------------------------
# package-level summaries (the handover record lists these)


def _identification_summary(identified: list[FormatIdentification]) -> PremisEvent:
    if not identified:
        return _event("format identification", NOT_APPLICABLE, "No content files to identify")
    counts = Counter(i.puid or "UNKNOWN" for i in identified)
    listed = ", ".join(f"{puid} ×{n}" for puid, n in sorted(counts.items()))
    unknown = counts.get("UNKNOWN", 0)
    return _event(
        "format identification",
        SUCCESS if not unknown else FAILURE,
        f"{len(identified)} file(s), PRONOM: {listed} ({identifier_version()})",
        f"{unknown} file(s) not identified" if unknown else None,
    )


def _signature_summary(
    found: list[FileSignatures], contents: list[SipContent], context: AuthenticityContext
) -> PremisEvent:
    signatures = [s for fs in found for s in fs.signatures]
    anchors = f"{len(context.trust.anchors)} trust anchor(s), {len(context.trust.crls)} CRL(s)"
    if not signatures and not any(fs.error for fs in found):
        return _event(
            "digital signature validation",
            NOT_APPLICABLE,
            f"No digital signatures found in {len(contents)} content file(s); {anchors}",
        )
    counts = Counter(str(s.outcome) for s in signatures)
    unreadable = sum(1 for fs in found if fs.error)
    outcome = SUCCESS
    if counts.get(str(SignatureOutcome.TOTAL_FAILED)) or unreadable:
        outcome = FAILURE
    elif counts.get(str(SignatureOutcome.INDETERMINATE)):
        outcome = INDETERMINATE
    listed = ", ".join(f"{name} ×{n}" for name, n in sorted(counts.items()))
    extra = f", {unreadable} unreadable" if unreadable else ""
    return _event(
        "digital signature validation",
        outcome,
        f"{len(signatures)} signature(s) in {len(found)} file(s): {listed}{extra}; "
        f"{VALIDATION_RULES}; {anchors}",
    )


# --------------------------------------------------------------------------------------------------
# PDF facts in words


def _pdf_problems(facts: PdfFacts) -> list[tuple[str, dict[str, object]]]:
    problems: list[tuple[str, dict[str, object]]] = []
    if facts.encrypted:
        problems.append(("encrypted", {}))
    if facts.javascript:
        problems.append(("javascript", {"where": ", ".join(facts.javascript[:5])}))
    if facts.pdfa_claim is None:
        problems.append(("no_claim", {}))
    if facts.unembedded_fonts:
        problems.append(("fonts", {"fonts": ", ".join(facts.unembedded_fonts[:10])}))
    if facts.pdfa_claim is not None and not facts.output_intent:
        problems.append(("no_output_intent", {}))
    if not facts.two_layer:
        problems.append(
            (
                "not_two_layer",
                {"pages": facts.pages, "images": facts.image_pages, "ocr": facts.invisible_text_pages},
            )
        )
    return problems


def _pdf_summary(facts: PdfFacts) -> str:
    parts = [f"PDF/A-{facts.pdfa_claim}" if facts.pdfa_claim else "no PDF/A claim"]
    parts.append(
        f"{facts.pages} page(s), {facts.image_pages} scanned, {facts.invisible_text_pages} with an OCR layer"
    )
    parts.append("OutputIntent" if facts.output_intent else "no OutputIntent")
    parts.append(
        f"fonts not embedded: {', '.join(facts.unembedded_fonts)}"
        if facts.unembedded_fonts
        else "fonts embedded"
    )
    if facts.encrypted:
        parts.append("encrypted")
    if facts.javascript:
        parts.append("JavaScript/actions: " + ", ".join(facts.javascript))
    if facts.signature_fields:
        parts.append(f"{facts.signature_fields} signature field(s)")
    return "; ".join(parts)


def _format_label(found: FormatIdentification) -> str:
    return " ".join(part for part in (found.name, found.version) if part) or (found.puid or "?")
