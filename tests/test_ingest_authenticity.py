"""The authenticity stage inside a real ingest: signatures (test PKI, pyHanko), PRONOM identification,
PDF/A triage and a real ClamAV scan decide acceptance by the default policy, and what they found lands in
PREMIS, the catalog and the handover record. Nothing of a rejected submission is stored."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from archive_repo.catalog.models import File, Package, PremisEvent, SignatureCheck
from archive_repo.cli import cli
from archive_repo.cli.common import guarded
from archive_repo.config import Settings, load_settings
from archive_repo.ingest.outcome import Outcome
from archive_repo.ingest.runner import ingest_batch
from archive_repo.packages.premis import read_premis
from helpers import NO_VIRUS_SCAN, build_sip_hoso, catalog, run_cli, tree_state
from pki import TestPki, make_pki, replace_page_content, sign_pdf

PERSON_AND_ORGANISATION = ("person", "organisation")


@pytest.fixture(scope="module")
def pki() -> TestPki:
    return make_pki()


def make_repository(folder: Path, pki: TestPki, *options: str) -> Settings:
    assert guarded(cli, ["init", "-R", str(folder), "--archive-code", "LTLSHG", *options]) == 0
    pki.write_trust_dir(folder / "trust")
    return load_settings(folder)


def signer(pki: TestPki, who: str):  # noqa: ANN201 - tests.pki.Issued
    return pki.signer if who == "person" else pki.org_signer


def signed_sip(tmp_path: Path, pki: TestPki, who=PERSON_AND_ORGANISATION, issuer_of=None) -> Path:  # noqa: ANN001
    """A SIP whose three born-digital PDFs are signed by the person, then by the organisation."""

    def sign(ordinal: int, pdf: Path) -> None:
        for number, name in enumerate(who, start=1):
            chosen = issuer_of(ordinal, name) if issuer_of else signer(pki, name)
            sign_pdf(pdf, pdf, chosen, pki, field=f"Signature{number}")

    return build_sip_hoso(tmp_path / "sip", prepare=sign)


def ingest(settings: Settings, *sources: Path, **options: object):  # noqa: ANN201 - RunSummary
    return ingest_batch(list(sources), settings, workers=1, **options)


def only_outcome(summary) -> tuple[Outcome, dict]:  # noqa: ANN001
    assert len(summary.results) == 1
    result = summary.results[0].outcome
    return result.outcome, result.report or {}


def rules(report: dict, severity: str | None = None) -> set[str]:
    return {f["rule"] for f in report.get("findings", []) if severity is None or f["severity"] == severity}


def stored_files(settings: Settings) -> list[Path]:
    return [p for loc in settings.locations for p in loc.path.rglob("*") if p.is_file()]


# --------------------------------------------------------------------------------------------------
# signatures


def test_signed_dossier_is_accepted_with_every_signature_recorded(tmp_path: Path, pki: TestPki) -> None:
    settings = make_repository(tmp_path / "kho", pki, *NO_VIRUS_SCAN)
    outcome, report = only_outcome(ingest(settings, signed_sip(tmp_path, pki)))
    assert outcome is Outcome.ACCEPTED, report
    assert not rules(report, "error") and not rules(report, "warning"), report

    with catalog(settings) as session:
        checks = session.scalars(select(SignatureCheck).order_by(SignatureCheck.id)).all()
        assert len(checks) == 6  # 3 documents × (person + organisation)
        assert {c.outcome for c in checks} == {"TOTAL-PASSED"}
        assert sorted({c.ordinal for c in checks}) == [1, 2]
        assert any("Person" in (c.signer or "") or "CN=" in (c.signer or "") for c in checks)
        data = session.scalars(select(File).where(File.role == "data")).all()
        assert {f.puid for f in data} <= {
            "fmt/14",
            "fmt/15",
            "fmt/16",
            "fmt/17",
            "fmt/18",
            "fmt/19",
            "fmt/20",
            "fmt/276",
            "fmt/95",
            "fmt/354",
            "fmt/476",
            "fmt/477",
            "fmt/478",
            "fmt/479",
            "fmt/480",
            "fmt/1129",
        }
        assert all(f.puid and f.format_name for f in data)
        assert all(f.characteristics and "pdf" in f.characteristics for f in data)
        package = session.scalars(select(Package)).one()
        events = session.scalars(select(PremisEvent).where(PremisEvent.package_id == package.id)).all()
        summary = [e for e in events if e.type == "digital signature validation" and e.file is None]
        assert len(summary) == 1 and summary[0].outcome == "success"
        per_file = [e for e in events if e.type == "digital signature validation" and e.file is not None]
        assert len(per_file) == 3 and {e.outcome for e in per_file} == {"success"}
        virus = [e for e in events if e.type == "virus check"]
        assert [e.outcome for e in virus] == ["not performed"]
        folder = package.objid.replace(":", "_")

    premis = read_premis(
        settings.locations[0].path / folder / "representations/rep1/metadata/preservation" / "PREMIS_rep1.xml"
    )
    files = [o for o in premis.objects if o.category == "file"]
    assert len(files) == 3
    for obj in files:
        assert obj.format is not None and obj.format.puid, obj
        assert len(obj.signatures) == 2
        assert all("outcome: TOTAL-PASSED" in s.properties for s in obj.signatures)
        assert all(s.method and s.method != "unknown" for s in obj.signatures)


def test_unsigned_born_digital_document_is_rejected_by_default(tmp_path: Path, pki: TestPki) -> None:
    settings = make_repository(tmp_path / "kho", pki, *NO_VIRUS_SCAN)
    outcome, report = only_outcome(ingest(settings, build_sip_hoso(tmp_path / "sip")))
    assert outcome is Outcome.REJECTED
    assert "authenticity.signature-missing" in rules(report, "error")
    assert stored_files(settings) == []


def test_unsigned_documents_can_be_allowed_by_policy(tmp_path: Path, pki: TestPki) -> None:
    settings = make_repository(tmp_path / "kho", pki, *NO_VIRUS_SCAN)
    config = settings.home / "archive-repo.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[authenticity]\n", '[authenticity]\non_missing_signature = "warn"\n'))
    outcome, report = only_outcome(ingest(load_settings(settings.home), build_sip_hoso(tmp_path / "sip")))
    assert outcome is Outcome.ACCEPTED
    assert "authenticity.signature-missing" in rules(report, "warning")


def test_content_replaced_after_signing_is_rejected(tmp_path: Path, pki: TestPki) -> None:
    settings = make_repository(tmp_path / "kho", pki, *NO_VIRUS_SCAN)

    def sign_then_replace(ordinal: int, pdf: Path) -> None:
        sign_pdf(pdf, pdf, pki.signer, pki)
        if ordinal == 2:
            replace_page_content(pdf, pdf)  # an incremental update: the signed bytes stay intact

    sip = build_sip_hoso(tmp_path / "sip", prepare=sign_then_replace)
    outcome, report = only_outcome(ingest(settings, sip))
    assert outcome is Outcome.REJECTED
    failed = [f for f in report["findings"] if f["rule"] == "authenticity.signature-failed"]
    assert len(failed) == 1 and failed[0]["path"].endswith(".2.pdf"), report
    assert failed[0]["params"]["subindication"] == "MODIFIED_AFTER_SIGNING"
    assert stored_files(settings) == []


def test_untrusted_signer_is_a_warning_not_a_pass(tmp_path: Path, pki: TestPki) -> None:
    settings = make_repository(tmp_path / "kho", pki, *NO_VIRUS_SCAN)
    sip = signed_sip(tmp_path, pki, who=("person",), issuer_of=lambda ordinal, _: pki.untrusted_signer)
    outcome, report = only_outcome(ingest(settings, sip))
    assert outcome is Outcome.ACCEPTED
    assert "authenticity.signature-indeterminate" in rules(report, "warning")
    with catalog(settings) as session:
        assert {c.outcome for c in session.scalars(select(SignatureCheck))} == {"INDETERMINATE"}


def test_revoked_signer_is_rejected(tmp_path: Path, pki: TestPki) -> None:
    settings = make_repository(tmp_path / "kho", pki, *NO_VIRUS_SCAN)
    sip = signed_sip(tmp_path, pki, who=("person",), issuer_of=lambda ordinal, _: pki.revoked_signer)
    outcome, report = only_outcome(ingest(settings, sip))
    assert outcome is Outcome.REJECTED
    assert "authenticity.signature-failed" in rules(report, "error")


# --------------------------------------------------------------------------------------------------
# formats and PDF/A


def test_jpeg_declared_as_pdf_is_rejected(tmp_path: Path, pki: TestPki) -> None:
    from PIL import Image

    settings = make_repository(tmp_path / "kho", pki, *NO_VIRUS_SCAN)

    def jpeg_instead(ordinal: int, pdf: Path) -> None:
        if ordinal == 3:
            Image.new("RGB", (64, 64), (200, 30, 30)).save(pdf, format="JPEG")
        else:
            sign_pdf(pdf, pdf, pki.signer, pki)

    outcome, report = only_outcome(ingest(settings, build_sip_hoso(tmp_path / "sip", prepare=jpeg_instead)))
    assert outcome is Outcome.REJECTED
    mismatch = [f for f in report["findings"] if f["rule"] == "authenticity.format-mismatch"]
    assert len(mismatch) == 1 and mismatch[0]["path"].endswith(".3.pdf"), mismatch
    assert mismatch[0]["params"]["puid"].startswith("fmt/")


def test_digitised_document_must_be_two_layer_pdfa(tmp_path: Path, pki: TestPki) -> None:
    settings = make_repository(tmp_path / "kho", pki, *NO_VIRUS_SCAN)
    digitised = {n: {"confidenceLevel": "02"} for n in (1, 2, 3)}
    sip = build_sip_hoso(tmp_path / "sip", docs=digitised)
    outcome, report = only_outcome(ingest(settings, sip))
    assert outcome is Outcome.REJECTED, report
    found = rules(report, "error")
    assert {"authenticity.pdfa-no_claim", "authenticity.pdfa-not_two_layer"} <= found, found


# --------------------------------------------------------------------------------------------------
# virus scan (real ClamAV with a one-signature test database)


def eicar() -> bytes:
    return ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-" + "TEST-FILE!$H+H*").encode("ascii")


@pytest.fixture
def scanned_repository(tmp_path: Path, pki: TestPki) -> Settings:
    if shutil.which("clamscan") is None:
        pytest.skip("clamscan is not installed (scripts/clamav.sh)")  # test_virus.py fails under CI then
    database = tmp_path / "clamav-db"
    database.mkdir()
    data = eicar()
    (database / "test.hdb").write_text(
        f"{hashlib.md5(data).hexdigest()}:{len(data)}:ArchiveRepo.Test.EICAR\n"
    )
    return make_repository(
        tmp_path / "kho", pki, "--virus-scan", "clamscan", "--virus-database", str(database)
    )


def test_eicar_in_a_submission_is_rejected_and_nothing_is_stored(
    tmp_path: Path, pki: TestPki, scanned_repository: Settings
) -> None:
    sip = signed_sip(tmp_path, pki)
    (sip / "documentation").mkdir()
    (sip / "documentation" / "ghi chú.txt").write_bytes(eicar())
    before = tree_state(sip)
    outcome, report = only_outcome(ingest(scanned_repository, sip))
    assert outcome is Outcome.REJECTED
    virus = [f for f in report["findings"] if f["rule"] == "authenticity.virus"]
    assert [f["path"] for f in virus] == ["documentation/ghi chú.txt"]
    assert virus[0]["params"]["signature"].startswith("ArchiveRepo.Test.EICAR")
    assert stored_files(scanned_repository) == []
    assert tree_state(sip) == before


def test_clean_submission_records_the_scan(
    tmp_path: Path, pki: TestPki, scanned_repository: Settings
) -> None:
    outcome, report = only_outcome(ingest(scanned_repository, signed_sip(tmp_path, pki)))
    assert outcome is Outcome.ACCEPTED, report
    with catalog(scanned_repository) as session:
        virus = session.scalars(select(PremisEvent).where(PremisEvent.type == "virus check")).all()
        assert [e.outcome for e in virus] == ["success"]
        assert "ClamAV" in (virus[0].detail or "") and "clamscan" in (virus[0].detail or "")


def test_no_scanner_refuses_the_ingest_unless_the_operator_opts_out(tmp_path: Path, pki: TestPki) -> None:
    home = tmp_path / "kho"
    make_repository(home, pki, "--virus-scan", "clamscan", "--virus-database", str(tmp_path / "none"))
    sip = signed_sip(tmp_path, pki)
    refused = run_cli("ingest", "-R", home, sip, "--no-progress", "--lang", "en")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr and refused.stderr.strip()
    assert list((home / "receipts").iterdir()) == []

    allowed = run_cli("ingest", "-R", home, sip, "--no-progress", "--no-virus-scan", "--format", "json")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    settings = load_settings(home)
    with catalog(settings) as session:
        virus = session.scalars(select(PremisEvent).where(PremisEvent.type == "virus check")).one()
        assert virus.outcome == "not performed" and "--no-virus-scan" in (virus.detail or "")


# --------------------------------------------------------------------------------------------------
# verify-signatures on demand


def test_verify_signatures_command(tmp_path: Path, pki: TestPki) -> None:
    trust = pki.write_trust_dir(tmp_path / "trust")
    sip = signed_sip(tmp_path, pki)
    pdf = sorted((sip / "representations/rep1/data").glob("*.1.pdf"))[0]

    one = run_cli("verify-signatures", pdf, "--trust", trust, "--format", "json")
    assert one.returncode == 0, one.stderr
    payload = json.loads(one.stdout)
    assert [s["outcome"] for s in payload["files"][0]["signatures"]] == ["TOTAL-PASSED", "TOTAL-PASSED"]

    package = run_cli("verify-signatures", sip, "--trust", trust, "--lang", "en")
    assert package.returncode == 0, package.stdout + package.stderr
    assert package.stdout.count("TOTAL-PASSED") == 6

    untrusted = run_cli("verify-signatures", pdf, "--trust", tmp_path / "empty-trust-folder-made-below")
    assert untrusted.returncode == 2  # click: the folder does not exist

    (tmp_path / "empty").mkdir()
    nothing_trusted = run_cli("verify-signatures", pdf, "--trust", tmp_path / "empty", "--lang", "en")
    assert nothing_trusted.returncode == 1
    assert "INDETERMINATE" in nothing_trusted.stdout and "No trust anchors" in nothing_trusted.stdout

    flipped = tmp_path / "flipped.pdf"
    data = bytearray(pdf.read_bytes())
    data[len(data) // 3] ^= 0x01
    flipped.write_bytes(bytes(data))
    broken = run_cli("verify-signatures", flipped, "--trust", trust, "--format", "json")
    assert broken.returncode == 1 and "Traceback" not in broken.stderr


def test_digitised_two_layer_pdfa_is_accepted_unsigned(tmp_path: Path, pki: TestPki) -> None:
    from test_pdfa import claim_pdfa_2b, two_layer_pdf

    settings = make_repository(tmp_path / "kho", pki, *NO_VIRUS_SCAN)

    def scanned(ordinal: int, pdf: Path) -> None:
        claim_pdfa_2b(two_layer_pdf(tmp_path / f"scan-{ordinal}.pdf"), pdf)

    digitised = {n: {"confidenceLevel": "02"} for n in (1, 2, 3)}
    sip = build_sip_hoso(tmp_path / "sip", docs=digitised, prepare=scanned)
    outcome, report = only_outcome(ingest(settings, sip))
    assert outcome is Outcome.ACCEPTED, report
    assert not rules(report, "error") and not rules(report, "warning"), report
    with catalog(settings) as session:
        data = session.scalars(select(File).where(File.role == "data")).all()
        assert len(data) == 3
        for file in data:
            pdf = (file.characteristics or {})["pdf"]
            assert pdf["pdfa_claim"] == "2B" and pdf["two_layer"] and pdf["output_intent"], pdf
        validation = session.scalars(
            select(PremisEvent).where(PremisEvent.type == "validation", PremisEvent.file_id.is_not(None))
        ).all()
        assert len(validation) == 3 and {e.outcome for e in validation} == {"success"}
