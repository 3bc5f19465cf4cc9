"""Regenerate examples/: sample PDFs for each description, the submissions built from them, and the
defective submissions used to show what validation reports. Deterministic: run it, diff is empty.

    python tools/make_examples.py
"""

from __future__ import annotations

import shutil
import sys
import tomllib
import zipfile
from pathlib import Path

import bagit
from make_eark_example import write_package as write_eark_example

from archive_repo.packages.mets_writer import deterministic_ids
from archive_repo.samples.minimal_pdf import make_pdf
from archive_repo.sip.builder import build_sip, zip_folder
from archive_repo.sip.description import load_description

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SOURCES = EXAMPLES / "sources"
OUT = EXAMPLES / "submissions"
DEFECTIVE = OUT / "defective"


def _document_lines(data: dict, row: dict) -> list[str]:
    header = data.get("package", {}).get("title", "")
    return [
        row.get("organName", ""),
        f"So: {row.get('codeNumber', '')}/{row.get('codeNotation', '')}",
        f"Ngay {row.get('issuedDate', '')}",
        "",
        row.get("subject", ""),
        "",
        f"(Thuoc: {header[:90]})",
    ]


def make_source_pdfs(source: Path) -> None:
    description = load_description_data(source / "description.toml")
    files = source / description.get("files", "files")
    files.mkdir(exist_ok=True)
    rows = list(description.get("documents", []))
    if description.get("documents_csv"):
        import csv

        with open(source / description["documents_csv"], encoding="utf-8") as handle:
            rows += list(csv.DictReader(handle))
    for row in rows:
        if row.get("file"):
            (files / row["file"]).write_bytes(
                make_pdf(_document_lines(description, row), 24_000, row["file"])
            )


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
    if OUT.exists():
        shutil.rmtree(OUT)
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
    write_eark_example(OUT / "eark-csip-sip")
    print(f"examples written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
