"""XML signatures (XMLDSig, XAdES-BES) on a METS-like record, signed here with signxml and the test PKI,
validated offline against a trust folder (anchors, intermediates, CRLs)."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree
from signxml import XMLSigner
from signxml.algorithms import SignatureConstructionMethod
from signxml.xades import XAdESSigner

from archive_repo.authenticity.results import SignatureOutcome
from archive_repo.authenticity.trust import TrustStore
from archive_repo.authenticity.xml_signatures import validate_xml_signatures
from pki import Issued, TestPki, make_pki

DS = "http://www.w3.org/2000/09/xmldsig#"
METS = """<?xml version="1.0" encoding="UTF-8"?>
<mets xmlns="http://www.loc.gov/METS/" OBJID="000.00.00.H01.2025.01" TYPE="SIP_hoso">
  <metsHdr ID="hdr-1" CREATEDATE="2025-01-01T08:00:00">
    <agent ROLE="CREATOR"><name>Sở Nội vụ</name></agent>
  </metsHdr>
  <dmdSec ID="dmd-1">
    <mdWrap MDTYPE="OTHER"><xmlData><title>Hồ sơ số 01: Quyết định</title></xmlData></mdWrap>
  </dmdSec>
  <structMap ID="struct-1">
    <div TYPE="hoso" LABEL="Hồ sơ 01"><div TYPE="tailieu" LABEL="Tài liệu 1"/></div>
  </structMap>
</mets>
"""
PASSED = SignatureOutcome.TOTAL_PASSED
FAILED = SignatureOutcome.TOTAL_FAILED
INDETERMINATE = SignatureOutcome.INDETERMINATE


@pytest.fixture(scope="module")
def pki() -> TestPki:
    return make_pki()


@pytest.fixture(scope="module")
def trust(pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> TrustStore:
    return TrustStore.load(pki.write_trust_dir(tmp_path_factory.mktemp("trust")))


def without_crls(trust: TrustStore) -> TrustStore:
    return TrustStore(anchors=trust.anchors, intermediates=trust.intermediates)


def chain_of(issued: Issued, pki: TestPki) -> list[str]:
    ca = pki.other_root if issued is pki.untrusted_signer else pki.intermediate
    return [issued.cert_pem().decode(), ca.cert_pem().decode()]


class _Sha1Signer(XMLSigner):
    """What old signing tools produced (signxml refuses SHA-1 unless told otherwise)."""

    def check_deprecated_methods(self) -> None:
        pass


class _TimedXAdESSigner(XAdESSigner):
    """signxml always claims "now" as SigningTime; tests need other moments."""

    signing_time: dt.datetime | None = None

    def add_signing_time(self, signed_signature_properties, sig_root, signing_settings) -> None:  # noqa: ANN001
        super().add_signing_time(signed_signature_properties, sig_root, signing_settings)
        if self.signing_time is not None:
            element = signed_signature_properties[-1]
            element.text = self.signing_time.isoformat(timespec="seconds")


def sign(
    xml: bytes,
    issued: Issued,
    pki: TestPki,
    *,
    xades: bool = False,
    references: list[str] | None = None,
    signing_time: dt.datetime | None = None,
    with_chain: bool = True,
    sha1: bool = False,
) -> bytes:
    signer_class = _TimedXAdESSigner if xades else _Sha1Signer if sha1 else XMLSigner
    signer = signer_class(
        method=SignatureConstructionMethod.enveloped,
        signature_algorithm="rsa-sha1" if sha1 else "rsa-sha256",
        digest_algorithm="sha1" if sha1 else "sha256",
        # signxml's XAdES signer digests SignedProperties with exclusive c14n but declares no transform, so
        # its own exc-c14n XAdES signatures do not verify: keep the default (inclusive c14n 1.1).
    )
    if xades:
        signer.signing_time = signing_time
    root = etree.fromstring(xml)
    chain = chain_of(issued, pki) if with_chain else chain_of(issued, pki)[:1]
    signed = signer.sign(root, key=issued.key_pem(), cert=chain, reference_uri=references)
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def write(tmp_path: Path, data: bytes, name: str = "METS.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def edit(data: bytes, change: Callable[[etree._Element], None]) -> bytes:
    root = etree.fromstring(data)
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def retitle(root: etree._Element) -> None:
    root.find(".//{http://www.loc.gov/METS/}div").set("LABEL", "Hồ sơ 02")


def only(path: Path, trust: TrustStore):  # -> SignatureResult
    found = validate_xml_signatures(path, trust)
    assert found.error is None, found.error
    assert len(found.signatures) == 1, found
    return found.signatures[0]


# --- outcomes ------------------------------------------------------------------------------------------


def test_signed_mets_passes(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    path = write(tmp_path, sign(METS.encode(), pki.signer, pki))
    found = validate_xml_signatures(path, trust, display_path="SIP/METS.xml")
    assert found.path == "SIP/METS.xml" and found.signed
    result = found.signatures[0]
    assert (result.outcome, result.subindication) == (PASSED, None), result.reasons
    assert result.kind == "XMLDSig" and result.index == 1
    assert "Nguyễn Văn An" in result.signer and "Test Intermediate CA" in result.issuer
    assert result.serial == format(pki.signer.cert.serial_number, "x")
    assert result.coverage == "ENTIRE_DOCUMENT"
    assert result.signature_algorithm == "rsa-sha256" and result.signature_value
    assert any("not revoked" in reason for reason in result.reasons)


def test_xades_bes_passes_with_signing_time(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    path = write(tmp_path, sign(METS.encode(), pki.org_signer, pki, xades=True))
    result = only(path, trust)
    assert (result.outcome, result.kind, result.level) == (PASSED, "XAdES", "B-B"), result.reasons
    assert result.signing_time is not None
    assert abs(result.signing_time - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


def test_changed_attribute_fails(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    for xades in (False, True):
        tampered = edit(sign(METS.encode(), pki.signer, pki, xades=xades), retitle)
        result = only(write(tmp_path, tampered), trust)
        assert (result.outcome, result.subindication) == (FAILED, "HASH_FAILURE"), result.reasons


def test_changed_signature_value_fails(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    def flip(root: etree._Element) -> None:
        value = root.find(f".//{{{DS}}}SignatureValue")
        raw = bytearray(base64.b64decode(value.text))
        raw[10] ^= 0xFF
        value.text = base64.b64encode(bytes(raw)).decode()

    result = only(write(tmp_path, edit(sign(METS.encode(), pki.signer, pki), flip)), trust)
    assert (result.outcome, result.subindication) == (FAILED, "SIG_CRYPTO_FAILURE"), result.reasons


def test_untrusted_signer_is_indeterminate(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    result = only(write(tmp_path, sign(METS.encode(), pki.untrusted_signer, pki)), trust)
    assert (result.outcome, result.subindication) == (INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND")
    assert "Mallory" in result.signer


def test_untrusted_and_changed_fails(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    tampered = edit(sign(METS.encode(), pki.untrusted_signer, pki), retitle)
    result = only(write(tmp_path, tampered), trust)
    assert (result.outcome, result.subindication) == (FAILED, "HASH_FAILURE")


def test_revoked_signer_fails(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    result = only(write(tmp_path, sign(METS.encode(), pki.revoked_signer, pki)), trust)
    assert (result.outcome, result.subindication) == (FAILED, "REVOKED"), result.reasons
    assert not result.passed


def test_without_crl_is_not_passed(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    path = write(tmp_path, sign(METS.encode(), pki.signer, pki))
    result = only(path, without_crls(trust))
    assert (result.outcome, result.subindication) == (INDETERMINATE, "TRY_LATER"), result.reasons
    # signxml alone accepts a revoked signer: without CRLs it must not pass either
    revoked = only(
        write(tmp_path, sign(METS.encode(), pki.revoked_signer, pki), "r.xml"), without_crls(trust)
    )
    assert revoked.outcome is INDETERMINATE


def test_outdated_crl_is_not_passed(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    old = [crl for crl in pki.crl_objects(at=dt.datetime.now(dt.UTC) - dt.timedelta(days=30))]
    stale = TrustStore(anchors=trust.anchors, intermediates=trust.intermediates, crls=tuple(old))
    result = only(write(tmp_path, sign(METS.encode(), pki.signer, pki)), stale)
    assert (result.outcome, result.subindication) == (INDETERMINATE, "TRY_LATER")


def test_only_the_configured_anchors_are_trusted(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    other = TrustStore(anchors=(pki.other_root.cert,))
    signer = only(write(tmp_path, sign(METS.encode(), pki.signer, pki)), other)
    assert (signer.outcome, signer.subindication) == (INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND")
    untrusted = only(write(tmp_path, sign(METS.encode(), pki.untrusted_signer, pki), "u.xml"), other)
    assert untrusted.subindication == "TRY_LATER", untrusted.reasons  # a path now, but no CRL of other_root


def test_intermediates_from_the_trust_store(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    path = write(tmp_path, sign(METS.encode(), pki.signer, pki, with_chain=False))
    assert only(path, trust).outcome is PASSED
    no_intermediates = TrustStore(anchors=trust.anchors, crls=trust.crls)
    assert only(path, no_intermediates).subindication == "NO_CERTIFICATE_CHAIN_FOUND"


def test_sha1_is_not_passed(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    signed = sign(METS.encode(), pki.signer, pki, sha1=True)
    result = only(write(tmp_path, signed), trust)
    assert (result.outcome, result.subindication) == (INDETERMINATE, "CRYPTO_CONSTRAINTS_FAILURE_NO_POE")
    tampered = only(write(tmp_path, edit(signed, retitle), "t.xml"), trust)
    assert (tampered.outcome, tampered.subindication) == (FAILED, "HASH_FAILURE")


def test_no_anchor_is_indeterminate(pki: TestPki, tmp_path: Path) -> None:
    result = only(write(tmp_path, sign(METS.encode(), pki.signer, pki)), TrustStore())
    assert (result.outcome, result.subindication) == (INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND")


def test_expired_signer(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    plain = only(write(tmp_path, sign(METS.encode(), pki.expired_signer, pki)), trust)
    assert (plain.outcome, plain.subindication) == (INDETERMINATE, "OUT_OF_BOUNDS_NO_POE"), plain.reasons
    # XAdES claims "signed now", after the certificate expired
    late = only(write(tmp_path, sign(METS.encode(), pki.expired_signer, pki, xades=True), "late.xml"), trust)
    assert (late.outcome, late.subindication) == (FAILED, "EXPIRED"), late.reasons
    # claimed inside the validity: still no proof of existence
    from pki import EXPIRED_SIGNING_TIME

    early = sign(METS.encode(), pki.expired_signer, pki, xades=True, signing_time=EXPIRED_SIGNING_TIME)
    result = only(write(tmp_path, early, "early.xml"), trust)
    assert (result.outcome, result.subindication) == (INDETERMINATE, "OUT_OF_BOUNDS_NO_POE"), result.reasons
    assert result.signing_time == EXPIRED_SIGNING_TIME


def test_signing_time_before_certificate(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    from pki import EPOCH

    data = sign(METS.encode(), pki.signer, pki, xades=True, signing_time=EPOCH - dt.timedelta(days=1))
    result = only(write(tmp_path, data), trust)
    assert (result.outcome, result.subindication) == (FAILED, "NOT_YET_VALID")


def test_two_signatures(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    """The official signs the description and structure; the organisation then signs the whole record."""
    personal = sign(METS.encode(), pki.signer, pki, references=["#dmd-1", "#struct-1"])
    both = sign(personal, pki.org_signer, pki, xades=True)
    found = validate_xml_signatures(write(tmp_path, both), trust)
    assert [(s.index, s.outcome, s.kind) for s in found.signatures] == [
        (1, PASSED, "XMLDSig"),
        (2, PASSED, "XAdES"),
    ], [s.reasons for s in found.signatures]
    first, second = found.signatures
    assert "Nguyễn Văn An" in first.signer and "Sở Nội vụ tỉnh Hà Giang" in second.signer
    assert (first.coverage, second.coverage) == ("PARTIAL", "ENTIRE_DOCUMENT")
    # a change outside what the official signed breaks only the organisation's signature
    header = edit(both, lambda root: root.find("{http://www.loc.gov/METS/}metsHdr").set("CREATEDATE", "2020"))
    found = validate_xml_signatures(write(tmp_path, header, "h.xml"), trust)
    assert [(s.outcome, s.subindication) for s in found.signatures] == [
        (PASSED, None),
        (FAILED, "HASH_FAILURE"),
    ]
    # a change inside breaks both
    found = validate_xml_signatures(write(tmp_path, edit(both, retitle), "s.xml"), trust)
    assert [s.subindication for s in found.signatures] == ["HASH_FAILURE", "HASH_FAILURE"]


def test_unsupported_transform_is_indeterminate(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    def add_xpath(root: etree._Element) -> None:
        transforms = root.find(f".//{{{DS}}}Transforms")
        transforms.append(
            etree.Element(f"{{{DS}}}Transform", Algorithm="http://www.w3.org/2002/06/xmldsig-filter2")
        )

    result = only(write(tmp_path, edit(sign(METS.encode(), pki.signer, pki), add_xpath)), trust)
    assert (result.outcome, result.subindication) == (INDETERMINATE, "UNSUPPORTED_TRANSFORM")


def test_unresolvable_reference(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    signed = sign(METS.encode(), pki.signer, pki, references=["#dmd-1"])
    removed = edit(signed, lambda root: root.remove(root.find("{http://www.loc.gov/METS/}dmdSec")))
    result = only(write(tmp_path, removed), trust)
    assert (result.outcome, result.subindication) == (INDETERMINATE, "SIGNED_DATA_NOT_FOUND")


def test_broken_signature_elements(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    def drop(name: str) -> Callable[[etree._Element], None]:
        def change(root: etree._Element) -> None:
            element = root.find(f".//{{{DS}}}{name}")
            element.getparent().remove(element)

        return change

    signed = sign(METS.encode(), pki.signer, pki)
    no_key = only(write(tmp_path, edit(signed, drop("KeyInfo"))), trust)
    assert (no_key.outcome, no_key.subindication) == (INDETERMINATE, "NO_SIGNING_CERTIFICATE_FOUND")
    no_signed_info = only(write(tmp_path, edit(signed, drop("SignedInfo")), "n.xml"), trust)
    assert (no_signed_info.outcome, no_signed_info.subindication) == (FAILED, "FORMAT_FAILURE")


# --- files without signatures, or not XML --------------------------------------------------------------


def test_no_signature(trust: TrustStore, tmp_path: Path) -> None:
    found = validate_xml_signatures(write(tmp_path, METS.encode()), trust)
    assert found.signatures == () and found.error is None and not found.signed


def test_malformed_xml(trust: TrustStore, tmp_path: Path) -> None:
    found = validate_xml_signatures(write(tmp_path, b"<mets><dmdSec></mets>"), trust)
    assert found.error and "syntax" in found.error and found.signed


def test_doctype_is_refused(pki: TestPki, trust: TrustStore, tmp_path: Path) -> None:
    signed = sign(METS.encode(), pki.signer, pki).split(b"\n", 1)[1]
    hostile = b'<?xml version="1.0"?>\n<!DOCTYPE mets [<!ENTITY x "y">]>\n' + signed
    found = validate_xml_signatures(write(tmp_path, hostile), trust)
    assert found.error and "dtd" in found.error


def test_missing_file(trust: TrustStore, tmp_path: Path) -> None:
    found = validate_xml_signatures(tmp_path / "absent.xml", trust, display_path="absent.xml")
    assert found.path == "absent.xml" and found.error
