"""The shipped examples: every submission validates, every defective one fails for its documented reason,
born-digital documents carry two valid signatures of the demo PKI (examples/trust), digitised ones are
PDF/A-2b two-layer, and the one forged after signing fails its signatures (what rejects it at ingest)."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from archive_repo.authenticity.pdf_signatures import validate_pdf_signatures
from archive_repo.authenticity.pdfa import pdf_facts
from archive_repo.authenticity.results import SignatureOutcome
from archive_repo.authenticity.trust import TrustStore
from archive_repo.sip.description import DocumentDescription, load_description
from helpers import EXAMPLES, REPO, all_text, run_cli, tree_state, validate

SUBMISSIONS = EXAMPLES / "submissions"
DEFECTIVE = SUBMISSIONS / "defective"
SOURCES = EXAMPLES / "sources"
TRUST = EXAMPLES / "trust"

# Valid for `validate`; the authenticity checks of an ingest reject them for these rules.
REJECTED_AT_INGEST = {"signature-content-replaced": {"authenticity.signature-failed"}}
FORGED_PDF = "H49.64.33.2024.16.2.pdf"  # the invitation whose page was replaced after both signatures

EXPECTED_RULES = {
    "checksum-sai": {"fixity.checksum"},
    "docCode-sai-nam": {"cross.doccode-prefix"},
    "thieu-truong-va-sai-ma": {"md.required", "md.code", "md.date", "cross.totaldoc"},
    "ead-xxe": {"xml.dtd-forbidden"},
    "zip-nguy-hiem.zip": {"reader.zip-unsafe-name", "reader.zip-symlink"},
}

GOOD = sorted(p.name for p in SUBMISSIONS.iterdir() if p.name != "defective" and not p.name.startswith("."))
BAD = sorted(p.name for p in DEFECTIVE.iterdir() if not p.name.startswith("."))


def test_examples_exist() -> None:
    assert len(GOOD) >= 4, GOOD
    assert "eark-csip-sip" in GOOD
    assert sorted(EXPECTED_RULES) == BAD


@pytest.mark.parametrize("name", GOOD)
def test_submission_is_valid(name: str) -> None:
    path = SUBMISSIONS / name
    before = tree_state(path) if path.is_dir() else None
    result = run_cli("validate", path, "--format", "json", "--lang", "en")
    assert result.returncode == 0, all_text(result)
    report = json.loads(result.stdout)
    assert report["verdict"] in ("valid", "valid-with-warnings")
    assert not [f for f in report["findings"] if f["severity"] == "error"]
    if before is not None:
        assert tree_state(path) == before


@pytest.mark.parametrize("name", BAD)
def test_defective_submission_is_invalid_for_its_reason(name: str) -> None:
    result = run_cli("validate", DEFECTIVE / name, "--format", "json", "--lang", "en")
    assert result.returncode == 1, all_text(result)
    report = json.loads(result.stdout)
    assert report["verdict"] == "invalid"
    found = {f["rule"] for f in report["findings"] if f["severity"] == "error"}
    assert EXPECTED_RULES[name] <= found, f"{name}: {sorted(found)}"
    assert "root:x:" not in result.stdout


def test_dossier_examples_are_tt05_profiles() -> None:
    profiles = {name: validate(SUBMISSIONS / name).profile for name in GOOD}
    assert profiles["eark-csip-sip"] == "E-ARK-SIP"
    assert profiles["uuid-5E0F7C2A-1B3D-4C5E-8F90-A1B2C3D4E5F6"] == "SIP_hoso"
    assert profiles["uuid-7A6B5C4D-3E2F-4109-8A7B-6C5D4E3F2A1B"] == "SIP_tailieu"
    assert profiles["uuid-0C9B8A7D-6E5F-4A3B-9C2D-1E0F9A8B7C6D.zip"] == "SIP_hoso"
    assert "SIP_hoso" in profiles["bag-H49.64.33.2024.31"]
    assert profiles["signature-content-replaced"] == "SIP_hoso"


# --------------------------------------------------------------------------------------------------
# authenticity: signatures and PDF/A


@functools.cache
def _tool(name: str) -> ModuleType:
    """A module of tools/ (not a package); registered first, as its dataclasses need."""
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def _source_documents() -> list[DocumentDescription]:
    documents = []
    for source in sorted(p for p in SOURCES.iterdir() if p.is_dir()):
        documents += [d for d in load_description(source / "description.toml").documents if d.file]
    return documents


SOURCE_DOCUMENTS = _source_documents()
BORN_DIGITAL = [d for d in SOURCE_DOCUMENTS if d.fields.get("confidenceLevel") == "01"]
DIGITISED = [d for d in SOURCE_DOCUMENTS if d.fields.get("confidenceLevel") in ("02", "03")]


@pytest.fixture(scope="module")
def trust() -> TrustStore:
    return TrustStore.load(TRUST)


def test_demo_trust_folder_is_the_demo_pki(tmp_path: Path, trust: TrustStore) -> None:
    assert (len(trust.anchors), len(trust.intermediates), len(trust.crls)) == (1, 1, 2)
    assert "NOT FOR PRODUCTION" in trust.anchors[0].subject.rfc4514_string()
    assert "never put this root into a production trust folder" in (TRUST / "README.md").read_text("utf-8")
    written = _tool("demo_pki").write_trust_folder(tmp_path)
    assert written and all(
        path.read_bytes() == (TRUST / path.relative_to(tmp_path)).read_bytes() for path in written
    )


def test_every_kind_of_document_is_shown() -> None:
    assert len(BORN_DIGITAL) >= 8 and len(DIGITISED) >= 1


@pytest.mark.parametrize("document", BORN_DIGITAL, ids=lambda d: d.file.name)
def test_born_digital_documents_carry_two_valid_signatures(
    document: DocumentDescription, trust: TrustStore
) -> None:
    found = validate_pdf_signatures(document.file, trust)
    assert found.error is None
    assert [(s.kind, s.outcome) for s in found.signatures] == [
        ("PAdES", SignatureOutcome.TOTAL_PASSED)
    ] * 2, [s.reasons for s in found.signatures]
    person, agency = found.signatures
    assert "CN=Nguyễn Văn An" in (person.signer or "") and "CN=Sở Nội vụ" in (agency.signer or "")
    assert person.signing_time is not None
    assert person.signing_time.strftime("%d/%m/%Y %H:%M %z") == f"{document.fields['issuedDate']} 08:00 +0700"


@pytest.mark.parametrize("document", DIGITISED, ids=lambda d: d.file.name)
def test_digitised_documents_are_pdfa_two_layer(document: DocumentDescription) -> None:
    facts = pdf_facts(document.file)
    assert facts.error is None and facts.pdfa_claim == "2B" and facts.output_intent
    assert facts.unembedded_fonts == () and facts.javascript == () and not facts.encrypted
    assert facts.two_layer and facts.pages == int(document.fields["numberOfPage"])


def _submitted_pdfs(name: str) -> dict[str, bytes]:
    path = SUBMISSIONS / name
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return {n: archive.read(n) for n in archive.namelist() if n.endswith(".pdf")}
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*.pdf"))}


@pytest.mark.parametrize("name", sorted(set(GOOD) - set(REJECTED_AT_INGEST)))
def test_submitted_documents_are_the_verified_source_documents(name: str) -> None:
    sources = {hashlib.sha256(d.file.read_bytes()).hexdigest() for d in SOURCE_DOCUMENTS}
    for pdf, data in _submitted_pdfs(name).items():
        assert hashlib.sha256(data).hexdigest() in sources, pdf


def test_document_changed_after_signing_fails_every_signature(trust: TrustStore) -> None:
    forged = next((SUBMISSIONS / "signature-content-replaced").rglob(FORGED_PDF))
    found = validate_pdf_signatures(forged, trust)
    assert [s.outcome for s in found.signatures] == [SignatureOutcome.TOTAL_FAILED] * 2
    assert {s.modification_level for s in found.signatures} == {"OTHER"}
    others = [p for p in forged.parent.glob("*.pdf") if p != forged]
    assert others and all(validate_pdf_signatures(p, trust).signatures[0].passed for p in others)


def test_signing_and_scanning_are_reproducible() -> None:
    pdfs, pki = _tool("example_pdfs"), _tool("demo_pki")
    text = pdfs.DocumentText.from_row(
        {
            "organName": "Sở Nội vụ tỉnh Hà Giang",
            "typeName": "26",
            "subject": "Giấy mời",
            "issuedDate": "02/12/2024",
        }
    )
    moment = pdfs.issued_at("02/12/2024", 8)
    unsigned = pdfs.born_digital_pdf(text)
    signed = [pki.sign_pdf(unsigned, pki.load_pki().person, moment, "Sig", reason="test") for _ in range(2)]
    assert signed[0] == signed[1] and signed[0].startswith(unsigned)
    assert pdfs.digitised_pdf(text, moment) == pdfs.digitised_pdf(text, moment)
