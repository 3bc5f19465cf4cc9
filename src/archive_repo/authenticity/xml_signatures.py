"""XML signatures (XMLDSig, XAdES-BES) on METS.xml and metadata records, validated offline.

signxml checks the cryptography and builds the certificate path, against the archive's trust anchors only
(never the web-PKI bundle signxml would use by default). It checks neither revocation nor XAdES
timestamps, so this module adds what it can itself: the signer (and its CAs) against the CRLs of the trust
store, and the claimed XAdES SigningTime against the certificate's validity. A signature is TOTAL-PASSED
only when all of that was possible; otherwise the outcome says what is missing.

Every signature is checked twice: first with the certificate from its KeyInfo alone (is the signed data
intact and the signature value right?), then against the trust anchors (is there a path?). The first
pass makes a tampered document TOTAL-FAILED even when its signer is also untrusted.

Outcomes and ETSI EN 319 102-1 sub-indications used here:

- TOTAL-FAILED: HASH_FAILURE (a reference digest differs: the signed XML changed), SIG_CRYPTO_FAILURE
  (the signature value does not verify), FORMAT_FAILURE (not a processable XML signature), REVOKED (the
  signer's certificate is on its issuer's CRL), NOT_YET_VALID / EXPIRED (the claimed XAdES SigningTime lies
  outside the certificate's validity).
- INDETERMINATE: NO_SIGNING_CERTIFICATE_FOUND (no certificate in KeyInfo, or XAdES SigningCertificate
  does not match it), NO_CERTIFICATE_CHAIN_FOUND (no path to a trust anchor), REVOKED_CA_NO_POE (a CA
  of the path is on a CRL), OUT_OF_BOUNDS_NO_POE (the certificate has expired and no evaluated timestamp
  proves the signature existed before), TRY_LATER (no CRL of the signer's issuer in the trust store, or
  only stale ones), CRYPTO_CONSTRAINTS_FAILURE_NO_POE (SHA-1, RSA < 2048 or EC < 256 bits),
  SIGNED_DATA_NOT_FOUND (a reference that cannot be resolved inside the file), SIG_CONSTRAINTS_FAILURE
  (a claimed signing time in the future), and UNSUPPORTED_TRANSFORM (not an ETSI name: a Reference
  transform signxml does not implement, e.g. XPath filtering, so the digest cannot be recomputed).
- TOTAL-PASSED: intact, trusted path, signer not revoked according to a current CRL from the trust store.

Signatures nested inside another signature (XAdES counter-signatures) are not validated separately.
"""

from __future__ import annotations

import base64
import binascii
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import verification
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier
from signxml.algorithms import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
)
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.util import X509CertChainVerifier
from signxml.xades import XAdESSignatureConfiguration, XAdESVerifier

from archive_repo.authenticity.results import FileSignatures, SignatureOutcome, SignatureResult
from archive_repo.authenticity.trust import TrustStore
from archive_repo.xmlsafe import XmlProblem, local_name, parse_xml

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
XADES_NS_PREFIX = "http://uri.etsi.org/01903/"
XADES_SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"
SIGNATURE_TAG = f"{{{DS_NS}}}Signature"
SUPPORTED_TRANSFORMS = frozenset(
    {SignatureConstructionMethod.enveloped.value, "http://www.w3.org/2000/09/xmldsig#base64"}
    | {method.value for method in CanonicalizationMethod}
)
# Verify whatever algorithm was used, then judge weak ones ourselves (a weak signature may still be forged).
ANY_SIGNATURE_METHOD = frozenset(method for method in SignatureMethod if not method.name.startswith("HMAC"))
ANY_DIGEST = frozenset(DigestAlgorithm)
MIN_RSA_BITS = 2048
MIN_EC_BITS = 256
CLOCK_SKEW = timedelta(minutes=5)

_Verdict = tuple[SignatureOutcome, str]
PASSED = SignatureOutcome.TOTAL_PASSED
FAILED = SignatureOutcome.TOTAL_FAILED
INDETERMINATE = SignatureOutcome.INDETERMINATE


def validate_xml_signatures(
    path: Path, trust: TrustStore, *, display_path: str | None = None
) -> FileSignatures:
    """Every ds:Signature of ``path`` (not nested in another), validated offline against ``trust``."""
    shown = display_path or str(path)
    try:
        root = parse_xml(path).getroot()
    except XmlProblem as problem:
        return FileSignatures(shown, error=f"not readable as XML: {problem}")
    signatures = top_level_signatures(root)
    if not signatures:
        return FileSignatures(shown)
    with tempfile.TemporaryDirectory(prefix="archive-repo-xmlsig-") as folder:
        anchors = Path(folder) / "anchors.pem"
        anchors.write_bytes(trust.anchor_pem_bundle())
        now = datetime.now(UTC)
        results = tuple(
            _SignatureCheck(root, position, element, trust, anchors, shown, now).run()
            for position, element in enumerate(signatures)
        )
    return FileSignatures(shown, results)


def top_level_signatures(root: etree._Element) -> list[etree._Element]:
    """ds:Signature elements in document order, without those inside another ds:Signature."""
    if root.tag == SIGNATURE_TAG:
        return [root]
    return [
        element
        for element in root.iter(SIGNATURE_TAG)
        if not any(ancestor.tag == SIGNATURE_TAG for ancestor in element.iterancestors())
    ]


# --- signxml, pointed at one signature and at our trust store ------------------------------------------


class _TrustStoreChainVerifier(X509CertChainVerifier):
    """signxml's path builder, with our leaf, the trust store's intermediates, and the path remembered."""

    def __init__(self, leaf: x509.Certificate, extra: tuple[x509.Certificate, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.leaf = leaf
        self.extra = extra
        self.chain: list[x509.Certificate] = []

    def _do_verify(self, cert_chain: list[x509.Certificate]) -> x509.Certificate:
        intermediates = [cert for cert in [*cert_chain, *self.extra] if cert != self.leaf]
        self.chain = list(self.verifier.verify(leaf=self.leaf, intermediates=intermediates).chain)
        return self.chain[0]


class _OneSignature:
    """Mixin for signxml's verifiers: verify the ``position``-th top-level signature (signxml would take the
    first one it finds), and build paths with :class:`_TrustStoreChainVerifier`."""

    position: int = 0
    leaf: x509.Certificate | None = None
    intermediates: tuple[x509.Certificate, ...] = ()
    chain_verifier: _TrustStoreChainVerifier | None = None

    def _get_signature(self, root: etree._Element) -> etree._Element:
        return top_level_signatures(root)[self.position]

    def get_cert_chain_verifier(
        self, ca_pem_file: Any, ee_policy: Any, ca_policy: Any
    ) -> X509CertChainVerifier:
        if self.leaf is None or ca_pem_file is None:  # never fall back to signxml's web-PKI bundle
            raise InvalidCertificate("no signer certificate or no trust anchors")
        self.chain_verifier = _TrustStoreChainVerifier(
            self.leaf,
            self.intermediates,
            ca_pem_file=ca_pem_file,
            verification_time=self._get_cert_verification_time(),  # type: ignore[attr-defined]
            ee_policy=ee_policy,
            ca_policy=ca_policy,
        )
        return self.chain_verifier


class _XmlDsigVerifier(_OneSignature, XMLVerifier):
    pass


class _XadesVerifier(_OneSignature, XAdESVerifier):
    pass


def _signing_key_usage(policy: Any, cert: x509.Certificate, key_usage: x509.KeyUsage | None) -> None:
    # signxml insists on digitalSignature; signing certificates often carry only nonRepudiation.
    if key_usage is not None and not (key_usage.digital_signature or key_usage.content_commitment):
        raise ValueError("certificate KeyUsage allows neither digitalSignature nor nonRepudiation")


def _signer_policy() -> verification.ExtensionPolicy:
    return verification.ExtensionPolicy.permit_all().may_be_present(
        x509.KeyUsage, verification.Criticality.AGNOSTIC, _signing_key_usage
    )


def _safe_parser() -> etree.XMLParser:
    """The settings of archive_repo.xmlsafe, for every parse signxml does (it re-parses while verifying)."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


# --- one signature -------------------------------------------------------------------------------------


@dataclass
class _SignatureCheck:
    root: etree._Element
    position: int
    element: etree._Element
    trust: TrustStore
    anchors_file: Path
    shown: str
    now: datetime
    reasons: list[str] = field(default_factory=list)
    leaf: x509.Certificate | None = None
    chain: list[x509.Certificate] = field(default_factory=list)
    signing_time: datetime | None = None
    leaf_crl_current: bool = False  # a current CRL of the signer's issuer says "not revoked"

    @property
    def kind(self) -> str:
        return "XAdES" if _xades_child(self.element, "QualifyingProperties") is not None else "XMLDSig"

    def run(self) -> SignatureResult:
        try:
            outcome, subindication = self._judge()
        except Exception as exc:  # noqa: BLE001 - a hostile file must never stop the ingest
            outcome, subindication = FAILED, "FORMAT_FAILURE"
            self.reasons.append(f"signature could not be processed: {type(exc).__name__}: {exc}")
        return self._result(outcome, subindication)

    def _judge(self) -> _Verdict:
        self.reasons.append(_coverage_note(self.element, self.root))
        unsupported = _unsupported_transforms(self.element)
        if unsupported:
            self.reasons.append(
                f"reference transform not supported, digest not recomputed: {', '.join(unsupported)}"
            )
            return INDETERMINATE, "UNSUPPORTED_TRANSFORM"
        try:
            self.leaf = _signing_certificate(self.element)
        except ValueError as exc:
            self.reasons.append(f"unreadable certificate in KeyInfo: {exc}")
            return FAILED, "FORMAT_FAILURE"
        if self.leaf is None:
            self.reasons.append("no X509Certificate in KeyInfo")
            return INDETERMINATE, "NO_SIGNING_CERTIFICATE_FOUND"
        return (
            self._verify_integrity()
            or self._check_algorithms()
            or self._check_signing_time()
            or self._verify_path()
            or self._check_revocation()
            or self._check_validity_now()
            or self._passed()
        )

    # - the checks, in order; each returns a verdict to stop at, or None to go on -

    def _verify_integrity(self) -> _Verdict | None:
        try:
            results = self._signxml(trusted=False)
        except Exception as exc:  # noqa: BLE001 - mapped to an outcome
            return self._signxml_failure(exc)
        references = len(results) if isinstance(results, list) else 1
        self.reasons.append(f"signature value and {references} reference digest(s) verified (signxml)")
        self.signing_time = self._claimed_signing_time(results)
        return None

    def _check_algorithms(self) -> _Verdict | None:
        weak = _weak_algorithms(self.element, self.leaf)
        if weak:
            self.reasons.append(f"algorithm below current requirements: {', '.join(weak)}")
            return INDETERMINATE, "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
        return None

    def _check_signing_time(self) -> _Verdict | None:
        leaf, claimed = self.leaf, self.signing_time
        if leaf is None or claimed is None:
            return None
        if claimed < leaf.not_valid_before_utc:
            self.reasons.append(
                f"claimed signing time {claimed.isoformat()} is before the certificate's validity"
            )
            return FAILED, "NOT_YET_VALID"
        if claimed > leaf.not_valid_after_utc:
            self.reasons.append(
                f"claimed signing time {claimed.isoformat()} is after the certificate expired"
            )
            return FAILED, "EXPIRED"
        if claimed > self.now + CLOCK_SKEW:
            self.reasons.append(f"claimed signing time {claimed.isoformat()} is in the future")
            return INDETERMINATE, "SIG_CONSTRAINTS_FAILURE"
        self.reasons.append(f"claimed signing time {claimed.isoformat()} inside the certificate's validity")
        return None

    def _verify_path(self) -> _Verdict | None:
        if not self.trust.anchors:
            self.reasons.append("no trust anchor configured")
            return INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND"
        verifier: _OneSignature | None = None
        try:
            verifier = self._signxml_verifier()
            self._signxml(trusted=True, verifier=verifier)
        except (InvalidCertificate, x509.verification.VerificationError) as exc:
            self.reasons.append(f"no path from the signer's certificate to a trust anchor ({exc})")
            return INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND"
        except Exception as exc:  # noqa: BLE001 - the first pass succeeded; anything now is about the path
            self.reasons.append(f"path validation failed: {type(exc).__name__}: {exc}")
            return INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND"
        self.chain = verifier.chain_verifier.chain if verifier.chain_verifier else []
        if len(self.chain) < 1:
            self.reasons.append("signxml returned no certificate path")
            return INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND"
        self.reasons.append(
            "path: " + " → ".join(_common_name(cert) for cert in self.chain) + " (trust anchor)"
        )
        return None

    def _check_revocation(self) -> _Verdict | None:
        """The CRLs of the trust store, for every certificate of the path below the anchor."""
        for depth, (cert, issuer) in enumerate(zip(self.chain, self.chain[1:], strict=False)):
            crls = [crl for crl in self.trust.crls if _crl_of(crl, issuer)]
            if not crls:
                self.reasons.append(f"revocation of {_common_name(cert)} not checked: no CRL of its issuer")
                continue
            revoked = next(
                (
                    entry
                    for crl in crls
                    if (entry := crl.get_revoked_certificate_by_serial_number(cert.serial_number))
                ),
                None,
            )
            if revoked is not None:
                return self._revoked(depth, cert, revoked)
            current = [crl for crl in crls if crl.next_update_utc is None or crl.next_update_utc >= self.now]
            if current:
                newest = max(current, key=lambda crl: crl.last_update_utc)
                self.reasons.append(
                    f"{_common_name(cert)} not revoked: CRL of {_common_name(issuer)} issued "
                    f"{newest.last_update_utc.isoformat()}"
                )
                self.leaf_crl_current = self.leaf_crl_current or depth == 0
            else:
                self.reasons.append(f"revocation of {_common_name(cert)}: only outdated CRLs of its issuer")
        return None

    def _revoked(self, depth: int, cert: x509.Certificate, entry: x509.RevokedCertificate) -> _Verdict:
        when = entry.revocation_date_utc
        self.reasons.append(f"{_common_name(cert)} revoked on {when.isoformat()} (CRL of the trust store)")
        if depth > 0:
            return INDETERMINATE, "REVOKED_CA_NO_POE"
        if self.signing_time is not None and self.signing_time < when:
            self.reasons.append("the claimed signing time precedes the revocation, but proves nothing")
        return FAILED, "REVOKED"

    def _check_validity_now(self) -> _Verdict | None:
        if self.leaf is not None and self.now > self.leaf.not_valid_after_utc:
            self.reasons.append(
                f"signer's certificate expired {self.leaf.not_valid_after_utc.isoformat()}; "
                "no evaluated timestamp proves the signature existed before"
            )
            return INDETERMINATE, "OUT_OF_BOUNDS_NO_POE"
        if self.leaf is not None and self.now < self.leaf.not_valid_before_utc:
            self.reasons.append("signer's certificate is not yet valid")
            return INDETERMINATE, "OUT_OF_BOUNDS_NO_POE"
        return None

    def _passed(self) -> _Verdict:
        if _xades_timestamps(self.element):
            self.reasons.append("XAdES timestamp(s) present but not evaluated")
        if not self.leaf_crl_current:
            self.reasons.append(
                "signer's revocation status unknown: add a current CRL of its issuer to the trust store"
            )
            return INDETERMINATE, "TRY_LATER"
        return PASSED, ""

    # - signxml -

    def _signxml_verifier(self) -> _OneSignature:
        verifier: _OneSignature = _XadesVerifier() if self.kind == "XAdES" else _XmlDsigVerifier()
        verifier.position = self.position
        verifier.leaf = self.leaf
        verifier.intermediates = self.trust.intermediates
        return verifier

    def _signxml(self, *, trusted: bool, verifier: _OneSignature | None = None) -> Any:
        verifier = verifier or self._signxml_verifier()
        config_class = XAdESSignatureConfiguration if self.kind == "XAdES" else SignatureConfiguration
        config = config_class(
            expect_references=True,
            signature_methods=ANY_SIGNATURE_METHOD,
            digest_algorithms=ANY_DIGEST,
            verification_time=self._certificate_time(),
        )
        arguments: dict[str, Any] = {"expect_config": config, "parser": _safe_parser()}
        if trusted:
            arguments.update(ca_pem_file=str(self.anchors_file), ee_policy=_signer_policy())
        else:
            arguments["x509_cert"] = self.leaf
        return verifier.verify(self.root, **arguments)  # type: ignore[attr-defined]

    def _certificate_time(self) -> datetime:
        """Now, moved inside the signer certificate's validity: expiry is judged separately, afterwards."""
        if self.leaf is None:
            return self.now
        earliest = self.leaf.not_valid_before_utc + timedelta(seconds=1)
        latest = self.leaf.not_valid_after_utc - timedelta(seconds=1)
        return min(max(self.now, earliest), latest)

    def _signxml_failure(self, exc: Exception) -> _Verdict:
        message = f"{type(exc).__name__}: {exc}"
        self.reasons.append(message)
        if isinstance(exc, InvalidDigest):
            if "certificate digest" in str(exc):
                return INDETERMINATE, "NO_SIGNING_CERTIFICATE_FOUND"
            return FAILED, "HASH_FAILURE"
        if isinstance(exc, InvalidCertificate):
            return INDETERMINATE, "NO_SIGNING_CERTIFICATE_FOUND"
        if isinstance(exc, InvalidSignature):
            return FAILED, "SIG_CRYPTO_FAILURE"
        if isinstance(exc, InvalidInput) and _unresolved_reference(str(exc)):
            return INDETERMINATE, "SIGNED_DATA_NOT_FOUND"
        return FAILED, "FORMAT_FAILURE"

    def _claimed_signing_time(self, results: Any) -> datetime | None:
        """XAdES SigningTime, read from the SignedProperties signxml verified (never from unsigned XML)."""
        for result in results if isinstance(results, list) else [results]:
            properties = getattr(result, "signed_properties", None)
            if properties is None:
                continue
            element = next((e for e in properties.iter() if local_name(e) == "SigningTime"), None)
            if element is None or not (element.text or "").strip():
                return None
            return self._parse_time(element.text.strip())
        return None

    def _parse_time(self, text: str) -> datetime | None:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.reasons.append(f"unreadable XAdES SigningTime {text!r} ignored")
            return None
        if moment.tzinfo is None:
            self.reasons.append("XAdES SigningTime has no time zone: taken as UTC")
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)

    # - the result -

    def _result(self, outcome: SignatureOutcome, subindication: str) -> SignatureResult:
        leaf = self.leaf
        return SignatureResult(
            path=self.shown,
            index=self.position + 1,
            kind=self.kind,
            outcome=outcome,
            subindication=subindication or None,
            field=self.element.get("Id"),
            signer=leaf.subject.rfc4514_string() if leaf is not None else None,
            issuer=leaf.issuer.rfc4514_string() if leaf is not None else None,
            serial=format(leaf.serial_number, "x") if leaf is not None else None,
            signing_time=self.signing_time,
            level=_xades_level(self.element) if self.kind == "XAdES" else None,
            coverage=_coverage(self.element, self.root),
            reasons=tuple(self.reasons),
            signature_algorithm=_signature_algorithm(self.element),
            signature_value=_signature_value(self.element),
        )


# --- reading the signature element ---------------------------------------------------------------------


def _ds(element: etree._Element, path: str) -> list[etree._Element]:
    return element.findall(path.replace("ds:", f"{{{DS_NS}}}"))


def _xades_child(element: etree._Element, name: str) -> etree._Element | None:
    """The first descendant ``name`` in any XAdES namespace (1.3.2, 1.4.1)."""
    for candidate in element.iter():
        tag = candidate.tag
        if isinstance(tag, str) and tag.startswith("{" + XADES_NS_PREFIX) and local_name(candidate) == name:
            return candidate
    return None


def _references(signature: etree._Element) -> list[etree._Element]:
    return _ds(signature, "ds:SignedInfo/ds:Reference")


def _data_references(signature: etree._Element) -> list[etree._Element]:
    return [ref for ref in _references(signature) if ref.get("Type") != XADES_SIGNED_PROPERTIES_TYPE]


def _unsupported_transforms(signature: etree._Element) -> list[str]:
    found = []
    for reference in _references(signature):
        for transform in _ds(reference, "ds:Transforms/ds:Transform"):
            algorithm = transform.get("Algorithm") or "(no Algorithm)"
            if algorithm not in SUPPORTED_TRANSFORMS:
                found.append(algorithm)
    return sorted(set(found))


def _unresolved_reference(message: str) -> bool:
    markers = (
        "Unable to resolve reference",
        "External URI dereferencing",
        "XPointer references",
        "without URIs",
    )
    return any(marker in message for marker in markers)


def _signing_certificate(signature: etree._Element) -> x509.Certificate | None:
    """The signer's certificate among KeyInfo's: the one XAdES SigningCertificate names, else the one that
    issued none of the others. Raises ValueError for a certificate that cannot be decoded."""
    certificates = []
    for element in _ds(signature, "ds:KeyInfo/ds:X509Data/ds:X509Certificate"):
        try:
            der = base64.b64decode("".join((element.text or "").split()), validate=True)
        except binascii.Error as exc:
            raise ValueError(f"bad base64: {exc}") from None
        certificates.append(x509.load_der_x509_certificate(der))
    if not certificates:
        return None
    named = _xades_named_certificate(signature, certificates)
    if named is not None:
        return named
    leaves = [cert for cert in certificates if not _issued_any(cert, certificates)]
    return (leaves or certificates)[0]


def _issued_any(cert: x509.Certificate, others: list[x509.Certificate]) -> bool:
    return any(other.issuer == cert.subject for other in others if other is not cert)


def _xades_named_certificate(
    signature: etree._Element, certificates: list[x509.Certificate]
) -> x509.Certificate | None:
    signing_certificate = _xades_child(signature, "SigningCertificate") or _xades_child(
        signature, "SigningCertificateV2"
    )
    if signing_certificate is None:
        return None
    digest = next((e for e in signing_certificate.iter() if local_name(e) == "CertDigest"), None)
    if digest is None:
        return None
    method = _ds(digest, "ds:DigestMethod")
    value = _ds(digest, "ds:DigestValue")
    if not method or not value:
        return None
    try:
        algorithm = DigestAlgorithm(method[0].get("Algorithm")).implementation()
        expected = base64.b64decode("".join((value[0].text or "").split()))
    except (ValueError, binascii.Error):
        return None
    return next((cert for cert in certificates if cert.fingerprint(algorithm) == expected), None)


def _weak_algorithms(signature: etree._Element, leaf: x509.Certificate | None) -> list[str]:
    weak = []
    method = _signature_algorithm(signature) or ""
    if "sha1" in method.lower():
        weak.append(method)
    for reference in _references(signature):
        for digest in _ds(reference, "ds:DigestMethod"):
            if (digest.get("Algorithm") or "").lower().endswith("#sha1"):
                weak.append("reference digest sha1")
    key = leaf.public_key() if leaf is not None else None
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        weak.append(f"RSA {key.key_size} bits")
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < MIN_EC_BITS:
        weak.append(f"EC {key.curve.key_size} bits")
    return sorted(set(weak))


def _signature_algorithm(signature: etree._Element) -> str | None:
    methods = _ds(signature, "ds:SignedInfo/ds:SignatureMethod")
    uri = methods[0].get("Algorithm") if methods else None
    return uri.rpartition("#")[2] if uri else None


def _signature_value(signature: etree._Element) -> str | None:
    values = _ds(signature, "ds:SignatureValue")
    if not values:
        return None
    return "".join((values[0].text or "").split()) or None


def _root_ids(root: etree._Element) -> set[str]:
    return {value for name, value in root.attrib.items() if name.rsplit("}", 1)[-1] in ("Id", "ID", "id")}


def _coverage(signature: etree._Element, root: etree._Element) -> str:
    if signature is root:
        return "ENTIRE_DOCUMENT"
    ids = _root_ids(root)
    for reference in _data_references(signature):
        uri = reference.get("URI")
        if uri == "" or (uri and uri.startswith("#") and uri[1:] in ids):
            return "ENTIRE_DOCUMENT"
    return "PARTIAL"


def _coverage_note(signature: etree._Element, root: etree._Element) -> str:
    if _coverage(signature, root) == "ENTIRE_DOCUMENT":
        return "signed data: the whole document"
    uris = [reference.get("URI") or "(no URI)" for reference in _data_references(signature)]
    return "signed data: only " + ", ".join(uris)


def _xades_timestamps(signature: etree._Element) -> list[str]:
    names = ("SignatureTimeStamp", "ArchiveTimeStamp", "SigAndRefsTimeStamp", "AllDataObjectsTimeStamp")
    return [name for name in names if _xades_child(signature, name) is not None]


def _xades_level(signature: etree._Element) -> str:
    """Best effort, from what the signature carries (the timestamps themselves are not evaluated)."""
    if _xades_child(signature, "ArchiveTimeStamp") is not None:
        return "B-LTA"
    if _xades_child(signature, "SignatureTimeStamp") is None:
        return "B-B"
    long_term = ("CertificateValues", "RevocationValues")
    if all(_xades_child(signature, name) is not None for name in long_term):
        return "B-LT"
    return "B-T"


# --- certificates --------------------------------------------------------------------------------------


def _crl_of(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    """A CRL issued (and signed) by ``issuer``."""
    if crl.issuer != issuer.subject:
        return False
    try:
        return crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()
