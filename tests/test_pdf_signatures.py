"""PDF signature validation (issue #4): real PDFs signed at test time with the throwaway PKI of pki.py,
validated offline against a trust folder the test writes. Nothing signed is committed."""

from __future__ import annotations

import base64
import logging
import pickle
import re
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

import pki as test_pki
from archive_repo.authenticity.pdf_signatures import validate_pdf_signatures
from archive_repo.authenticity.results import FileSignatures, SignatureOutcome, SignatureResult
from archive_repo.authenticity.trust import TrustStore, TrustStoreError
from archive_repo.errors import ArchiveRepoError

PASSED = SignatureOutcome.TOTAL_PASSED
FAILED = SignatureOutcome.TOTAL_FAILED
INDETERMINATE = SignatureOutcome.INDETERMINATE
LOCALES = Path(__file__).resolve().parents[1] / "src" / "archive_repo" / "locales"


@dataclass(frozen=True)
class Signed:
    """Every PDF of this module, signed once."""

    folder: Path
    pki: test_pki.TestPki
    trust: TrustStore

    def __getitem__(self, name: str) -> Path:
        return self.folder / f"{name}.pdf"


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Signed:
    folder = tmp_path_factory.mktemp("signed")
    pki = test_pki.make_pki()
    sign = test_pki.sign_pdf
    unsigned = test_pki.make_unsigned_pdf(folder / "unsigned.pdf")
    for level in test_pki.LEVELS:
        sign(unsigned, folder / f"{level}.pdf", pki.signer, pki, level=level)
    sign(folder / "B-B.pdf", folder / "two.pdf", pki.org_signer, pki, level="B-T", field="Signature2")
    sign(unsigned, folder / "pkcs7.pdf", pki.signer, pki, pkcs7=True)
    sign(unsigned, folder / "revoked.pdf", pki.revoked_signer, pki)
    sign(
        unsigned,
        folder / "revoked_after_poe.pdf",
        pki.revoked_signer,
        pki,
        level="B-LTA",
        signing_time=test_pki.REVOKED_AT - timedelta(days=30),
    )
    then = test_pki.EXPIRED_SIGNING_TIME
    sign(unsigned, folder / "expired_claimed.pdf", pki.expired_signer, pki, signing_time=then)
    sign(unsigned, folder / "expired_lta.pdf", pki.expired_signer, pki, level="B-LTA", signing_time=then)
    sign(unsigned, folder / "expired_stamped_late.pdf", pki.expired_signer, pki, level="B-T")
    sign(unsigned, folder / "untrusted.pdf", pki.untrusted_signer, pki)
    test_pki.add_document_timestamp(folder / "B-LTA.pdf", folder / "renewed.pdf", pki)
    test_pki.flip_signed_byte(folder / "B-B.pdf", folder / "flipped.pdf")
    test_pki.replace_page_content(folder / "B-B.pdf", folder / "replaced.pdf")
    test_pki.replace_page_content(folder / "two.pdf", folder / "two_replaced.pdf")
    test_pki.corrupt_signature_contents(folder / "B-B.pdf", folder / "corrupt.pdf")
    (folder / "not-a-pdf.pdf").write_bytes(b"PK\x03\x04 this is not a PDF at all\n")
    trust = TrustStore.load(pki.write_trust_dir(folder / "trust"))
    return Signed(folder, pki, trust)


def only(result: FileSignatures) -> SignatureResult:
    assert result.error is None
    assert len(result.signatures) == 1, result.signatures
    return result.signatures[0]


# --------------------------------------------------------------------------------------------------
# Valid signatures
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", test_pki.LEVELS)
def test_valid_signature_passes_at_every_level(signed: Signed, level: str) -> None:
    result = validate_pdf_signatures(signed[level], signed.trust, display_path=f"tai-lieu/{level}.pdf")

    signature = result.signatures[0]
    assert (signature.outcome, signature.subindication) == (PASSED, None), signature.reasons
    assert signature.path == f"tai-lieu/{level}.pdf"
    assert signature.index == 1
    assert signature.kind == "PAdES"
    assert signature.field == "Signature1"
    assert signature.level == level
    assert signature.signer == signed.pki.signer.cert.subject.rfc4514_string()
    assert signature.issuer == signed.pki.intermediate.cert.subject.rfc4514_string()
    assert signature.serial == format(signed.pki.signer.cert.serial_number, "x")
    assert signature.signing_time is not None and signature.signing_time.tzinfo is not None
    assert (signature.timestamp_time is None) == (level == "B-B")
    assert signature.coverage in {"ENTIRE_FILE", "ENTIRE_REVISION"}
    assert signature.signature_algorithm == "sha256_rsa"
    assert signature.signature_value and len(base64.b64decode(signature.signature_value)) == 256  # RSA-2048


@pytest.mark.parametrize("name", ["B-LTA", "two", "corrupt", "not-a-pdf"])
def test_results_are_plain_values_for_records_and_worker_processes(signed: Signed, name: str) -> None:
    result = validate_pdf_signatures(signed[name], signed.trust)

    assert pickle.loads(pickle.dumps(result)) == result
    for signature in result.signatures:
        record = signature.as_record()
        assert all(type(record[key]) in {str, int, list, type(None)} for key in record), record


def test_b_lta_reports_its_document_timestamp(signed: Signed) -> None:
    result = validate_pdf_signatures(signed["B-LTA"], signed.trust)

    assert [s.kind for s in result.signatures] == ["PAdES", "document timestamp"]
    stamp = result.signatures[1]
    assert (stamp.index, stamp.outcome) == (2, PASSED)
    assert stamp.signer == signed.pki.tsa.cert.subject.rfc4514_string()
    assert stamp.timestamp_time is not None and stamp.timestamp_time >= result.signatures[0].timestamp_time


def test_renewed_document_timestamp_chain_passes(signed: Signed) -> None:
    result = validate_pdf_signatures(signed["renewed"], signed.trust)

    assert [(s.kind, s.outcome) for s in result.signatures] == [
        ("PAdES", PASSED),
        ("document timestamp", PASSED),
        ("document timestamp", PASSED),
    ]
    assert result.signatures[0].level == "B-LTA"


def test_person_and_organisation_signatures_both_pass(signed: Signed) -> None:
    result = validate_pdf_signatures(signed["two"], signed.trust)

    assert [(s.field, s.outcome) for s in result.signatures] == [
        ("Signature1", PASSED),
        ("Signature2", PASSED),
    ]
    person, organisation = result.signatures
    assert "Nguyễn Văn An" in (person.signer or "")
    assert organisation.signer == signed.pki.org_signer.cert.subject.rfc4514_string()
    assert person.modification_level == "FORM_FILLING"  # the second signature, an allowed change
    assert organisation.level == "B-T"


def test_adbe_pkcs7_detached_subfilter_is_accepted(signed: Signed) -> None:
    signature = only(validate_pdf_signatures(signed["pkcs7"], signed.trust))

    assert (signature.kind, signature.outcome) == ("PKCS7", PASSED), signature.reasons


# --------------------------------------------------------------------------------------------------
# Certificates: revoked, expired, untrusted
# --------------------------------------------------------------------------------------------------


def test_revoked_signer_fails(signed: Signed) -> None:
    signature = only(validate_pdf_signatures(signed["revoked"], signed.trust))

    assert (signature.outcome, signature.subindication) == (FAILED, "REVOKED")
    assert signature.level == "B-B"  # no DSS: the CRL came from the trust folder


def test_revocation_needs_the_trust_folder_crl_for_b_b(signed: Signed) -> None:
    without_crls = TrustStore(anchors=signed.trust.anchors, intermediates=signed.trust.intermediates)

    signature = only(validate_pdf_signatures(signed["revoked"], without_crls))

    assert (
        signature.outcome is INDETERMINATE
    )  # not PASSED (cannot check revocation), not FAILED (cannot tell)
    assert signature.subindication != "REVOKED"


def test_revoked_after_proof_of_existence_passes_with_a_note(signed: Signed) -> None:
    signature = validate_pdf_signatures(signed["revoked_after_poe"], signed.trust).signatures[0]

    assert signature.outcome is PASSED
    assert any("revoked" in reason for reason in signature.reasons)
    assert any("proof of existence" in reason for reason in signature.reasons)


def test_expired_signer_without_proof_of_existence_is_indeterminate(signed: Signed) -> None:
    signature = only(validate_pdf_signatures(signed["expired_claimed"], signed.trust))

    assert (signature.outcome, signature.subindication) == (INDETERMINATE, "OUT_OF_BOUNDS_NO_POE")
    assert signature.signing_time is not None
    assert signature.signing_time < signed.pki.expired_signer.cert.not_valid_after_utc  # the claim alone


def test_expired_signer_with_proof_of_existence_passes(signed: Signed) -> None:
    result = validate_pdf_signatures(signed["expired_lta"], signed.trust)

    signature = result.signatures[0]
    assert (signature.outcome, signature.level) == (PASSED, "B-LTA"), signature.reasons
    assert any("proof of existence" in reason for reason in signature.reasons)
    assert signature.timestamp_time is not None
    assert signature.timestamp_time < signed.pki.expired_signer.cert.not_valid_after_utc


def test_timestamp_after_expiry_is_no_proof(signed: Signed) -> None:
    signature = only(validate_pdf_signatures(signed["expired_stamped_late"], signed.trust))

    assert (signature.outcome, signature.subindication) == (INDETERMINATE, "OUT_OF_BOUNDS_NO_POE")
    assert signature.timestamp_time is not None


def test_expired_signer_validated_as_of_a_time_inside_its_validity_passes(signed: Signed) -> None:
    then = test_pki.EXPIRED_SIGNING_TIME + timedelta(hours=1)
    trust_then = TrustStore(anchors=(signed.pki.root.cert,), crls=tuple(signed.pki.crl_objects(then)))

    signature = only(validate_pdf_signatures(signed["expired_claimed"], trust_then, at=then))

    assert signature.outcome is PASSED, signature.reasons


def test_untrusted_root_is_indeterminate(signed: Signed) -> None:
    signature = only(validate_pdf_signatures(signed["untrusted"], signed.trust))

    assert (signature.outcome, signature.subindication) == (INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND")
    assert signature.issuer == signed.pki.other_root.cert.subject.rfc4514_string()


def test_empty_trust_store_is_indeterminate_never_passed(signed: Signed) -> None:
    signature = only(validate_pdf_signatures(signed["B-B"], TrustStore.load(None)))

    assert (signature.outcome, signature.subindication) == (INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND")


# --------------------------------------------------------------------------------------------------
# Tampering and broken files
# --------------------------------------------------------------------------------------------------


def test_byte_flip_inside_signed_range_fails(signed: Signed) -> None:
    signature = only(validate_pdf_signatures(signed["flipped"], signed.trust))

    assert (signature.outcome, signature.subindication) == (FAILED, "HASH_FAILURE")


def test_byte_flip_fails_even_without_trust(signed: Signed) -> None:
    signature = only(validate_pdf_signatures(signed["flipped"], TrustStore()))

    assert (signature.outcome, signature.subindication) == (FAILED, "HASH_FAILURE")


def test_page_content_replaced_by_a_later_update_fails(signed: Signed) -> None:
    signature = only(validate_pdf_signatures(signed["replaced"], signed.trust))

    assert (signature.outcome, signature.subindication) == (FAILED, "MODIFIED_AFTER_SIGNING")
    assert signature.modification_level == "OTHER"


def test_content_replaced_after_two_signatures_fails_both(signed: Signed) -> None:
    result = validate_pdf_signatures(signed["two_replaced"], signed.trust)

    assert [(s.outcome, s.modification_level) for s in result.signatures] == [(FAILED, "OTHER")] * 2


def test_corrupt_contents_hex_fails_without_traceback(
    signed: Signed, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        result = validate_pdf_signatures(signed["corrupt"], signed.trust)

    signature = only(result)
    assert (signature.outcome, signature.subindication) == (FAILED, "FORMAT_FAILURE")
    assert signature.field == "Signature1"
    assert any("unreadable" in reason for reason in signature.reasons)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert not [r for r in caplog.records if r.name.startswith("pyhanko")]


def test_expected_failures_do_not_log_and_logger_levels_are_restored(
    signed: Signed, caplog: pytest.LogCaptureFixture
) -> None:
    logging.getLogger("pyhanko").setLevel(logging.INFO)
    try:
        with caplog.at_level(logging.DEBUG):
            validate_pdf_signatures(signed["untrusted"], signed.trust)
            validate_pdf_signatures(signed["revoked"], signed.trust)
        assert not [r for r in caplog.records if r.name.startswith("pyhanko")]
        assert logging.getLogger("pyhanko").level == logging.INFO
    finally:
        logging.getLogger("pyhanko").setLevel(logging.NOTSET)


def test_unsigned_pdf_has_no_signatures_and_no_error(signed: Signed) -> None:
    result = validate_pdf_signatures(signed["unsigned"], signed.trust, display_path="a.pdf")

    assert result == FileSignatures(path="a.pdf")
    assert not result.signed


def test_not_a_pdf_is_an_error(signed: Signed) -> None:
    result = validate_pdf_signatures(signed["not-a-pdf"], signed.trust)

    assert result.signatures == ()
    assert result.error is not None and "PDF" in result.error
    assert result.signed


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    result = validate_pdf_signatures(tmp_path / "gone.pdf", TrustStore())

    assert result.error is not None and result.signatures == ()


def test_truncated_signed_pdf_is_an_error(signed: Signed, tmp_path: Path) -> None:
    data = signed["B-B"].read_bytes()
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(data[: len(data) // 2])

    result = validate_pdf_signatures(truncated, signed.trust)

    assert result.error is not None


# --------------------------------------------------------------------------------------------------
# Trust store
# --------------------------------------------------------------------------------------------------


def test_trust_store_reads_the_trust_folder(signed: Signed) -> None:
    trust = signed.trust

    assert trust.anchors == (signed.pki.root.cert,)
    assert trust.intermediates == (signed.pki.intermediate.cert,)
    assert len(trust.crls) == 2
    assert not trust.is_empty
    assert trust.anchor_pem_bundle() == signed.pki.root.cert_pem()


def test_trust_store_reads_pem_bundles_der_and_ignores_other_files(signed: Signed, tmp_path: Path) -> None:
    pki = signed.pki
    (tmp_path / "anchors").mkdir()
    (tmp_path / "anchors" / "roots.pem").write_bytes(pki.root.cert_pem() + pki.other_root.cert_pem())
    (tmp_path / "anchors" / "README.txt").write_text("not a certificate")
    (tmp_path / "intermediates").mkdir()
    (tmp_path / "intermediates" / "intermediate.cer").write_bytes(pki.intermediate.cert_der())
    (tmp_path / "crls").mkdir()
    pem_crls = b"".join(crl.public_bytes(encoding=_pem()) for crl in pki.crl_objects())
    (tmp_path / "crls" / "all.pem").write_bytes(pem_crls)

    trust = TrustStore.load(tmp_path)

    assert trust.anchors == (pki.root.cert, pki.other_root.cert)
    assert trust.intermediates == (pki.intermediate.cert,)
    assert len(trust.crls) == 2


def test_trust_store_survives_pickling_for_worker_processes(signed: Signed) -> None:
    copy = pickle.loads(pickle.dumps(signed.trust))

    assert copy == signed.trust
    assert only(validate_pdf_signatures(signed["B-B"], copy)).outcome is PASSED


def test_missing_trust_folder_is_an_empty_store(tmp_path: Path) -> None:
    assert TrustStore.load(tmp_path / "nowhere").is_empty
    assert TrustStore.load(None) == TrustStore()
    assert TrustStore().anchor_pem_bundle() == b""


@pytest.mark.parametrize("place", ["anchors/root.pem", "intermediates/ca.der", "crls/ca.crl"])
def test_garbage_in_the_trust_folder_is_refused(tmp_path: Path, place: str) -> None:
    bad = tmp_path / place
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")

    with pytest.raises(TrustStoreError) as caught:
        TrustStore.load(tmp_path)

    assert isinstance(caught.value, ArchiveRepoError)
    assert caught.value.message_key == "trust.unreadable"
    assert caught.value.params["path"] == str(bad)
    assert str(bad) in caught.value.message("vi") and str(bad) in caught.value.message("en")


def test_trust_messages_have_the_same_keys_and_placeholders_in_both_languages() -> None:
    def placeholders(lang: str) -> dict[str, set[str]]:
        table = tomllib.loads((LOCALES / lang / "trust.toml").read_text(encoding="utf-8"))["trust"]
        return {key: set(re.findall(r"{(\w+)}", text)) for key, text in table.items()}

    assert placeholders("vi") == placeholders("en")
    assert "Không đọc được" in (LOCALES / "vi" / "trust.toml").read_text(encoding="utf-8")


def _pem():  # cryptography's PEM encoding enum, imported late like the rest of the PKI helpers
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.PEM
