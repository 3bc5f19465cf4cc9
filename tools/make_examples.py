"""Regenerate examples/: the demo trust anchors, a PDF for each described document, the submissions
built from them, and the defective submissions used to show what validation and ingest report.
Deterministic: run it, diff is empty.

    python tools/make_examples.py

Born-digital documents (confidenceLevel 01) are signed twice, by the competent person and by the
agency, as PAdES B-B signatures with the demo PKI of tools/demo_pki.py (examples/trust holds its root:
demo only). Digitised documents (02, 03) are PDF/A-2b "two-layer" scans (tools/example_pdfs.py).
"""

from __future__ import annotations

import csv
import io
import shutil
import sys
import tempfile
import tomllib
import zipfile
from datetime import datetime
from pathlib import Path

import bagit
from demo_pki import load_pki, reproducible_writer, sign_pdf, write_trust_folder
from example_pdfs import DocumentText, born_digital_pdf, digitised_pdf, issued_at
from make_eark_example import write_package as write_eark_example

from archive_repo.packages.mets_writer import deterministic_ids
from archive_repo.sip.builder import build_sip, zip_folder
from archive_repo.sip.description import load_description

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SOURCES = EXAMPLES / "sources"
TRUST = EXAMPLES / "trust"
OUT = EXAMPLES / "submissions"
DEFECTIVE = OUT / "defective"
# Valid packages that only the authenticity checks of an ingest reject.
SIGNATURE_CONTENT_REPLACED = OUT / "signature-content-replaced"

BORN_DIGITAL = "01"
DIGITISED = ("02", "03")
PERSON_SIGNS_AT = (8, 0)  # Vietnam time on the day the document was issued
AGENCY_SIGNS_AT = (8, 15)  # the clerk applies the agency's signature after the leader's


def document_rows(source: Path, description: dict) -> list[dict[str, str]]:
    rows = [{k: str(v) for k, v in row.items()} for row in description.get("documents", [])]
    if description.get("documents_csv"):
        with open(source / description["documents_csv"], encoding="utf-8") as handle:
            rows += [{k: v for k, v in row.items() if v} for row in csv.DictReader(handle)]
    return rows


def document_pdf(row: dict[str, str], created: datetime) -> bytes:
    """The document's PDF as the agency would send it: signed if born digital, PDF/A two-layer if
    digitised (at ``created``, before the transfer)."""
    text = DocumentText.from_row(row)
    kind, level = row.get("kind") or "doc", row.get("confidenceLevel", "")
    if kind == "doc" and level in DIGITISED:
        return digitised_pdf(text, created)
    pdf = born_digital_pdf(text)
    if kind == "doc" and level == BORN_DIGITAL:
        pdf = sign_twice(pdf, row["issuedDate"])
    return pdf


def sign_twice(pdf: bytes, issued: str) -> bytes:
    """The competent person's signature, then the agency's, each an incremental update."""
    pki = load_pki()
    pdf = sign_pdf(
        pdf, pki.person, issued_at(issued, *PERSON_SIGNS_AT), "ChuKyCaNhan", reason="Ký ban hành văn bản"
    )
    return sign_pdf(
        pdf,
        pki.organisation,
        issued_at(issued, *AGENCY_SIGNS_AT),
        "ChuKyCoQuan",
        reason="Chữ ký số của cơ quan ban hành",
    )


def make_source_pdfs(source: Path) -> None:
    description = load_description_data(source / "description.toml")
    files = source / description.get("files", "files")
    files.mkdir(exist_ok=True)
    created = datetime.fromisoformat(description["created"])
    for row in document_rows(source, description):
        if row.get("file"):
            (files / row["file"]).write_bytes(document_pdf(row, created))


def load_description_data(path: Path) -> dict:
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def build(name: str, out: Path) -> Path:
    with deterministic_ids(f"{name}:{out.name}"):
        return build_sip(load_description(SOURCES / name / "description.toml"), out).folder


def make_bag(name: str) -> Path:
    data = load_description_data(SOURCES / name / "description.toml")
    folder = build(name, OUT)
    bag_folder = OUT / f"bag-{data['package']['fileCode']}"
    folder.rename(bag_folder)
    info = dict(data.get("bag_info", {}))
    info.setdefault("Bagging-Date", data["created"][:10])
    bagit.make_bag(str(bag_folder), info, checksums=["sha256"])
    return bag_folder


def defective_checksum() -> None:
    folder = build("hoso-hoi-nghi-van-thu-2024", DEFECTIVE / "checksum-sai")
    pdf = next((folder / "representations/rep1/data").glob("*.pdf"))
    content = bytearray(pdf.read_bytes())
    content[200] ^= 0x01  # one flipped bit: the METS checksum no longer matches
    pdf.write_bytes(bytes(content))


def defective_doccode_year() -> None:
    description = load_description(SOURCES / "hoso-hoi-nghi-van-thu-2024" / "description.toml")
    for ordinal, document in enumerate(description.documents, start=1):
        document.fields["docCode"] = f"H49.64.33.2023.15.{ordinal:07d}"  # a generator's constant wrong year
    with deterministic_ids("docCode-sai-nam"):
        build_sip(description, DEFECTIVE / "docCode-sai-nam")


def defective_missing_fields() -> None:
    description = load_description(SOURCES / "tailieu-van-ban-di-2024" / "description.toml")
    del description.package["title"]
    description.package["totalDoc"] = "5"
    description.documents[1].fields["issuedDate"] = "31/02/2024"
    description.documents[2].fields["typeName"] = "99"
    with deterministic_ids("thieu-truong-va-sai-ma"):
        build_sip(description, DEFECTIVE / "thieu-truong-va-sai-ma")


def defective_xxe() -> None:
    folder = build("hoso-hoi-nghi-van-thu-2024", DEFECTIVE / "ead-xxe")
    (folder / "metadata/descriptive/EAD.xml").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE simpledc [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        "<simpledc><fileCode>&x;</fileCode></simpledc>\n",
        encoding="utf-8",
    )


def replace_page_content(signed: bytes, replacement: bytes, moment: datetime) -> bytes:
    """``signed`` with one more incremental update, made after its signatures, in which page 1 draws
    the first page of ``replacement`` instead of its own content: what the signatures must catch."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.reader import PdfFileReader

    writer = reproducible_writer(signed, moment)
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    forged = writer.import_page_as_xobject(PdfFileReader(io.BytesIO(replacement)))
    page["/Resources"] = generic.DictionaryObject(
        {generic.pdf_name("/XObject"): generic.DictionaryObject({generic.pdf_name("/Forged"): forged})}
    )
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=b"q /Forged Do Q\n"))
    writer.update_container(page)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def signature_content_replaced() -> None:
    """A dossier whose invitation was altered after signing (a different document number), the METS
    checksum made over the altered file: valid for `validate`, rejected by the signature check."""
    description = load_description(SOURCES / "hoso-hoi-nghi-van-thu-2024" / "description.toml")
    description.objid = "uuid-2B4D6F80-1A3C-4E5F-9071-8293A4B5C6D7"
    description.package["fileCode"] = "H49.64.33.2024.16"
    document = description.documents[1]
    assert document.file is not None and document.file.name == "giay-moi-hoi-nghi.pdf"
    forged = born_digital_pdf(DocumentText.from_row({**document.fields, "codeNumber": "148"}))
    moment = issued_at(document.fields["issuedDate"], 16)
    altered = replace_page_content(document.file.read_bytes(), forged, moment)
    with tempfile.TemporaryDirectory() as folder:
        document.file = Path(folder) / document.file.name
        document.file.write_bytes(altered)
        with deterministic_ids("signature-content-replaced"):
            build_sip(description, SIGNATURE_CONTENT_REPLACED)


def defective_zip() -> None:
    target = DEFECTIVE / "zip-nguy-hiem.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w") as archive:
        stamp = (2025, 1, 1, 0, 0, 0)
        archive.writestr(zipfile.ZipInfo("uuid-hostile/METS.xml", stamp), "<mets/>")
        archive.writestr(zipfile.ZipInfo("../../ngoai-thu-muc.txt", stamp), "path traversal")
        archive.writestr(zipfile.ZipInfo("/etc/tuyet-doi.txt", stamp), "absolute path")
        link = zipfile.ZipInfo("uuid-hostile/lien-ket", stamp)
        link.create_system = 3
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")


def main() -> int:
    for folder in (OUT, TRUST):
        if folder.exists():
            shutil.rmtree(folder)
    write_trust_folder(TRUST)
    OUT.mkdir(parents=True)
    for source in sorted(p for p in SOURCES.iterdir() if p.is_dir()):
        make_source_pdfs(source)
    build("hoso-hoi-nghi-van-thu-2024", OUT)
    folder = build("hoso-nang-luong-2023", OUT)
    zip_folder(folder, OUT / f"{folder.name}.zip", fixed_time=(2025, 4, 2, 14, 30, 0))
    shutil.rmtree(folder)
    build("tailieu-van-ban-di-2024", OUT)
    make_bag("bagit-hoso-dao-tao-2024")
    defective_checksum()
    defective_doccode_year()
    defective_missing_fields()
    defective_xxe()
    defective_zip()
    signature_content_replaced()
    write_eark_example(OUT / "eark-csip-sip")
    print(f"examples written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
