"""The ``access`` scenario of ``benchmarks/run.py``: copies issued to researchers, and a certified DIP.

    python benchmarks/run.py access                       # 200-page dossier, 20-document DIP, best of 5
    python benchmarks/run.py access --pages 50 --docs 5 --repeat 1 --no-write   # smoke test

What is measured (``archive_repo.access``), on inputs generated once and cached in
``benchmarks/work/access/``:

* a **digitised dossier**: a ``--pages`` page PDF (default 200), each page an A4 scan at 150 dpi
  (a JPEG of ~150–250 KB, embedded as it is) under an invisible OCR text layer, as digitisation makes;
* a **born-digital document**: a 3-page text PDF (reportlab, embedded serif font subset);
* a **photograph**: a 6000×4000 JPEG (~7 MB, quality 92, 72 dpi as cameras declare);
* ``--docs`` **originals** of 1–5 MiB (one-page PDFs with incompressible padding) for a certified DIP.

For each PDF: ``stamp.make_reading_copy`` (stamped, AES-256 encrypted), ``make_plain_copy`` (stamped,
``BẢN SAO`` on page 1) and ``make_certified_copy`` (stamped, then signed by the archive's key loaded with
``signing.load_archive_signer`` from a PKCS#12 made by ``tests/pki.py``; no timestamp server, so no
network). For the photograph: ``watermark.watermark_image`` (the downloadable copy) and the certified
copy through ``copies.render_copy`` (image laid on a PDF page, stamped, signed). And ``dip.build_dip``
of the originals (copied and hashed, METS/PREMIS/EAD, the signed PDF/A certificate, the ZIP).

Every measured operation runs in a fresh interpreter (this file's ``worker`` command): imports, the
signer loaded, one untimed warm-up of the same operation on a small input (fonts registered, lazy
imports done), then **one timed call** on the real input, written where production writes (atomic,
fsynced). The run is repeated ``--repeat`` times, interleaved with the references, and the best is kept;
peak RSS is that of the whole worker process (GNU ``/usr/bin/time -f %M``, as in ``run.py``).

References, in the same run, on the same input bytes:

* ``sha256sum`` of the input: reads every byte once, the cheapest thing anything that touches the file
  can do;
* ``cp`` of the input, and ``cp`` then ``sync`` of the copy: writes as many bytes as a copy, the second
  as durably as the copies are written (they are fsynced);
* the **floor** of the format, in process like ours: for a PDF, ``pikepdf`` open + save (the libqpdf
  rewrite every stamped copy does; the ``qpdf`` CLI is used as well when it is on ``PATH``); for the
  photograph, Pillow decode + re-encode at the same quality (what any watermark burnt into the pixels
  costs);
* for the DIP: ``sha256sum`` of the originals, their ``cp`` into a folder, and ``cp`` + ``zip -r`` of that
  folder (a DIP is a copy and a ZIP of it; ``zip -r`` deflates at level 6 like ``zipfile``).

Ratios are our time ÷ the reference's; they carry over to other machines where absolute times do not.
Last, the certified copy of the dossier runs once more under cProfile (``--no-profile`` skips it), to show
where its time goes. Results are printed as Markdown and the section is rewritten in ``RESULTS.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import hashlib
import io
import json
import os
import pstats
import random
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import run as bench  # run.py registers itself under this name when it is the script being run

GENERATOR_VERSION = 1  # bump when the generated inputs change
ARCHIVE_CODE = "LTLSHG"
ARCHIVE_NAME = "Trung tâm Lưu trữ lịch sử tỉnh Hà Giang"
PASSPHRASE = b"benchmark-access"
TESTS = bench.HERE.parent / "tests"
SCRIPT = Path(__file__).resolve()

PAGE_PX = (1240, 1754)  # A4 at 150 dpi
PAGE_DPI = 150
PAGE_QUALITY = 65
PHOTO_PX = (6000, 4000)
PHOTO_QUALITY = 92  # the quality watermark.py writes a JPEG derivative with
SMALL_PAGES = 3
DOC_SIZES_MIB = (3, 1, 5, 2, 4)  # original i has DOC_SIZES_MIB[(i - 1) % 5] MiB: 1–5 MiB, mean 3
AIP_OBJID = "urn:G09:uuid-7067204B-3C1D-4E5F-9A8B-7C6D5E4F3A2B"
ARC_FILE_CODE = "LTLSHG.H49.64.33.2024.15"
_VOCABULARY = (
    "công tác văn thư lưu trữ hội nghị tổng kết năm kế hoạch báo cáo sở nội vụ tỉnh Hà Giang quyết định "
    "về việc tổ chức thực hiện hồ sơ tài liệu cơ quan đơn vị phòng ban chỉ đạo hướng dẫn theo quy định"
)
WORDS = _VOCABULARY.split()

PDF_OPS = ("reading", "plain", "certified")
IMAGE_OPS = ("watermark", "image-certified")
FLOORS = {"pdf": "pikepdf-save", "image": "pillow-reencode"}
OP_LABELS = {
    "reading": "**reading copy** (`make_reading_copy`: stamped, AES-256)",
    "plain": "**copy** (`make_plain_copy`: stamped, `BẢN SAO`)",
    "certified": "**certified copy** (`make_certified_copy`: stamped + signed)",
    "pikepdf-save": "floor: `pikepdf` open + save (in process)",
    "watermark": "**copy** (`watermark_image`, `BẢN SAO`)",
    "image-certified": "**certified copy** (`render_copy`: image → PDF, stamped + signed)",
    "pillow-reencode": "floor: Pillow decode + re-encode, quality 92 (in process)",
    "dip": "**certified DIP** (`build_dip`: folder + ZIP + signed certificate)",
}


# --------------------------------------------------------------------------------------------------
# Inputs (generated once, cached)
# --------------------------------------------------------------------------------------------------


@dataclass
class Inputs:
    folder: Path
    dossier: Path
    pages: int
    small: Path
    photo: Path
    small_photo: Path
    originals: Path  # manifest (JSON) of the DIP originals: path, size, sha256
    p12: Path

    def original_paths(self) -> list[Path]:
        return [Path(item["path"]) for item in json.loads(self.originals.read_text())]


def _write_atomically(target: Path, data: bytes) -> None:
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(data)
    partial.replace(target)


def _serif_path() -> str:
    from archive_repo.access.fonts import find_serif_font

    return str(find_serif_font())


def page_lines(index: int) -> list[tuple[int, str]]:
    """The text of page ``index`` (seeded), as (baseline y in pixels from the top, line)."""
    rnd = random.Random(index)
    width, height = PAGE_PX
    lines: list[tuple[int, str]] = [(160, f"Trang {index}")]
    y = 240
    while y < height - 400:
        full = rnd.random() > 0.2  # a paragraph's last line is short
        words = rnd.randint(11, 14) if full else rnd.randint(3, 9)
        lines.append((y, " ".join(rnd.choice(WORDS) for _ in range(words))))
        y += 44 if full else 80
    return lines


def _page_jpeg(job: tuple[Path, int]) -> None:
    """One scanned page: a slightly uneven paper tone, the page's text, JPEG at PAGE_QUALITY."""
    from PIL import Image, ImageDraw, ImageFont

    folder, index = job
    target = folder / f"page-{index:04d}.jpg"
    if target.exists():
        return
    rnd = random.Random(-index)
    width, height = PAGE_PX
    grain = Image.frombytes("L", (width // 16, height // 16), rnd.randbytes((width // 16) * (height // 16)))
    paper = grain.point(lambda v: 228 + v * 18 // 255).resize(PAGE_PX, Image.Resampling.BICUBIC)
    image = Image.blend(paper.convert("RGB"), Image.new("RGB", PAGE_PX, (250, 244, 226)), 0.5)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(_serif_path(), 26)
    for y, line in page_lines(index):
        draw.text((150, y), line, fill=(30, 30, 40), font=font, anchor="ls")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=PAGE_QUALITY, dpi=(PAGE_DPI, PAGE_DPI))
    _write_atomically(target, buffer.getvalue())


def _register_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name = "BenchmarkSerif"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, _serif_path()))
    return name


def _dossier_pdf(target: Path, pages: int, images: Path) -> None:
    """``pages`` scanned pages, each its JPEG full-page (embedded as it is) under invisible OCR text."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    font = _register_font()
    partial = target.with_name(target.name + ".partial")
    canvas = Canvas(str(partial), pagesize=A4, pageCompression=1)
    scale = A4[0] / PAGE_PX[0]
    for index in range(1, pages + 1):
        canvas.drawImage(str(images / f"page-{index:04d}.jpg"), 0, 0, width=A4[0], height=A4[1])
        text = canvas.beginText()
        text.setTextRenderMode(3)  # invisible, as OCR layers are
        text.setFont(font, 12.5)
        for y, line in page_lines(index):
            text.setTextOrigin(150 * scale, A4[1] - y * scale)
            text.textLine(line)
        canvas.drawText(text)
        canvas.showPage()
    canvas.save()
    partial.replace(target)


def ensure_dossier(folder: Path, pages: int) -> Path:
    target = folder / f"dossier-{pages}p.pdf"
    if target.exists():
        return target
    images = folder / "page-images"
    images.mkdir(parents=True, exist_ok=True)
    print(f"  generating {pages} page scans and the {pages}-page dossier PDF ...", flush=True)
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(_page_jpeg, [(images, i) for i in range(1, pages + 1)], chunksize=4))
    _dossier_pdf(target, pages, images)
    return target


def ensure_small_pdf(folder: Path) -> Path:
    """A born-digital 3-page document: a heading and paragraphs in the embedded serif font."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    target = folder / f"born-digital-{SMALL_PAGES}p.pdf"
    if target.exists():
        return target
    font = _register_font()
    partial = target.with_name(target.name + ".partial")
    canvas = Canvas(str(partial), pagesize=A4, pageCompression=1)
    for index in range(1, SMALL_PAGES + 1):
        canvas.setFont(font, 14)
        canvas.drawCentredString(A4[0] / 2, A4[1] - 72, "KẾ HOẠCH TỔ CHỨC HỘI NGHỊ TỔNG KẾT CÔNG TÁC VĂN THƯ")
        canvas.setFont(font, 13)
        for y, line in page_lines(1000 + index)[1:]:
            canvas.drawString(72, A4[1] - 60 - y * 0.42, line)
        canvas.drawCentredString(A4[0] / 2, 30, f"{index}/{SMALL_PAGES}")
        canvas.showPage()
    canvas.save()
    partial.replace(target)
    return target


def _photo_jpeg(target: Path, size: tuple[int, int], seed: int) -> Path:
    """A photograph-like JPEG: smooth colour areas with sensor-like grain, 72 dpi as cameras declare."""
    from PIL import Image

    if target.exists():
        return target
    rnd = random.Random(seed)
    coarse = (max(2, size[0] // 40), max(2, size[1] // 40))
    base = Image.frombytes("RGB", coarse, rnd.randbytes(coarse[0] * coarse[1] * 3))
    smooth = base.resize(size, Image.Resampling.BICUBIC)
    grain = Image.effect_noise(size, 40).convert("RGB")
    buffer = io.BytesIO()
    Image.blend(smooth, grain, 0.12).save(buffer, "JPEG", quality=PHOTO_QUALITY, dpi=(72, 72))
    _write_atomically(target, buffer.getvalue())
    return target


def doc_mib(index: int) -> int:
    return DOC_SIZES_MIB[(index - 1) % len(DOC_SIZES_MIB)]


def _original_name(index: int) -> str:
    return f"H49.64.33.2024.15.{index}.pdf"


def ensure_originals(folder: Path, docs: int) -> Path:
    """``docs`` one-page PDFs of 1–5 MiB (incompressible padding); their manifest with SHA-256 and size."""
    from archive_repo.samples.minimal_pdf import make_pdf

    originals = folder / "originals"
    originals.mkdir(parents=True, exist_ok=True)
    manifest = folder / f"originals-{docs}.json"
    if manifest.exists():
        return manifest
    print(f"  generating {docs} originals of 1–5 MiB for the DIP ...", flush=True)
    items = []
    for index in range(1, docs + 1):
        path = originals / _original_name(index)
        if not path.exists():
            padding = doc_mib(index) * bench.MiB - 2048
            lines = [f"So {index}/KH-SNV", "Van ban goc cap cho nguoi nghien cuu"]
            _write_atomically(path, make_pdf(lines, padding_bytes=padding, seed=f"access-bench-{index}"))
        data = path.read_bytes()
        items.append({"path": str(path), "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    manifest.write_text(json.dumps(items, indent=1))
    return manifest


def ensure_p12(folder: Path) -> Path:
    """The archive's key and certificate (with its CA chain) as PKCS#12, from the test PKI."""
    target = folder / "keys" / "archive.p12"
    if target.exists():
        return target
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    import pki

    return pki.archive_signer_files(target.parent, PASSPHRASE)


def ensure_inputs(work: Path, pages: int, docs: int, rebuild: bool) -> Inputs:
    folder = work / "access" / f"v{GENERATOR_VERSION}"
    if rebuild:
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return Inputs(
        folder=folder,
        dossier=ensure_dossier(folder, pages),
        pages=pages,
        small=ensure_small_pdf(folder),
        photo=_photo_jpeg(folder / f"photo-{PHOTO_PX[0]}x{PHOTO_PX[1]}.jpg", PHOTO_PX, 7),
        small_photo=_photo_jpeg(folder / "photo-600x400.jpg", (600, 400), 8),
        originals=ensure_originals(folder, docs),
        p12=ensure_p12(folder),
    )


# --------------------------------------------------------------------------------------------------
# The worker: one operation, timed once, in a fresh interpreter
# --------------------------------------------------------------------------------------------------


def _signer(p12: Path) -> Any:
    from archive_repo.access.signing import load_archive_signer

    return load_archive_signer(p12, PASSPHRASE, name=ARCHIVE_NAME)


def _pdf_action(op: str, signer: Any) -> Callable[[Path, Path], int | None]:
    import pikepdf

    from archive_repo.access import stamp

    def floor(source: Path, target: Path) -> int:
        with pikepdf.open(source) as pdf:
            pdf.save(target)
            return len(pdf.pages)

    actions: dict[str, Callable[[Path, Path], int | None]] = {
        "reading": lambda s, t: stamp.make_reading_copy(s, t, archive_name=ARCHIVE_NAME),
        "plain": lambda s, t: stamp.make_plain_copy(s, t, archive_name=ARCHIVE_NAME),
        "certified": lambda s, t: stamp.make_certified_copy(s, t, archive_name=ARCHIVE_NAME, signer=signer),
        "pikepdf-save": floor,
    }
    return actions[op]


def _image_action(op: str, signer: Any) -> Callable[[Path, Path], int | None]:
    from PIL import Image

    from archive_repo.access.copies import render_copy
    from archive_repo.access.watermark import watermark_image

    def watermark(source: Path, target: Path) -> None:
        watermark_image(source, target, archive_name=ARCHIVE_NAME, copy_mark=True)

    def certified(source: Path, target: Path) -> int | None:
        made = render_copy(
            "certified", source, "image/jpeg", target.parent, target.stem, archive_name=ARCHIVE_NAME,
            signer=signer,
        )  # fmt: skip
        return made.pages

    def floor(source: Path, target: Path) -> None:
        with Image.open(source) as image:
            image.load()
            image.save(target, "JPEG", quality=PHOTO_QUALITY, dpi=image.info.get("dpi", (72, 72)))

    actions = {"watermark": watermark, "image-certified": certified, "pillow-reencode": floor}
    return actions[op]


def dip_documents(manifest: Path) -> list[Any]:
    """One text document record per original, as the catalog holds an AIP_hoso's."""
    from archive_repo.access.dip import DipDocument, DipFile

    dossier = {
        "arcFileCode": ARC_FILE_CODE,
        "title": "Hồ sơ về việc tổ chức Hội nghị tổng kết công tác văn thư, lưu trữ năm 2024",
        "maintenance": "01",
        "mode": "01",
        "language": "01",
        "confidenceLevel": "01",
        "riskRecovery": "1",
        "riskRecoveryStatus": "01",
    }
    documents = []
    for index, item in enumerate(json.loads(manifest.read_text()), start=1):
        path = Path(item["path"])
        fields = {
            "arcFileCode": ARC_FILE_CODE,
            "mode": "01",
            "language": "01",
            "numberOfPage": "1",
            "confidenceLevel": "01",
            "docCode": f"H49.64.33.2024.15.{index:07d}",
            "docOrdinal": str(index),
            "typeName": "10",
            "codeNumber": str(200 + index),
            "codeNotation": "KH-SNV",
            "issuedDate": "05/11/2024",
            "organName": "Sở Nội vụ tỉnh Hà Giang",
            "subject": f"Kế hoạch tổ chức hội nghị tổng kết công tác văn thư, lưu trữ (văn bản {index})",
            "process": "0",
        }
        original = DipFile(
            local_path=path,
            source_path=f"representations/rep1/data/{path.name}",
            size=int(item["size"]),
            sha256=str(item["sha256"]),
            mimetype="application/pdf",
            puid="fmt/18",
            format_name="PDF",
        )
        documents.append(DipDocument(AIP_OBJID, ARC_FILE_CODE, "doc", fields, dossier, (original,)))
    return documents


def _dip_action(signer: Any) -> Callable[[Path, Path], int | None]:
    from archive_repo.access.dip import DipRequest, build_dip

    request = DipRequest(
        request_id="YC-2026-000012",
        request_date=date(2026, 3, 2),
        purpose="02",
        purpose_content="Phục vụ nghiên cứu",
        fee_object_type="01",
        research_topic="Công tác văn thư, lưu trữ tỉnh Hà Giang 2020-2025",
        description="Cấp bản sao có chứng thực theo Điều 42",
        recipient_name="Nguyễn Thị Hoa",
        recipient_id="002190012345",
        issued_on=date(2026, 3, 5),
        valid_until=date(2026, 4, 4),
    )

    def action(manifest: Path, out_dir: Path) -> int:
        documents = dip_documents(manifest)
        build_dip(
            request, documents, out_dir, archive_code=ARCHIVE_CODE, archive_name=ARCHIVE_NAME, signer=signer
        )
        return len(documents)

    return action


def _output_bytes(target: Path) -> int:
    if target.is_dir():
        return sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    if target.exists():
        return target.stat().st_size
    return sum(p.stat().st_size for p in target.parent.glob(target.stem + ".*"))


@contextlib.contextmanager
def _profiled(enabled: bool, result: dict[str, Any]) -> Iterator[None]:
    if not enabled:
        yield
        return
    import ingest_scenario

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        result["profile"] = ingest_scenario.profile_rows(pstats.Stats(profiler), limit=12)


def worker(op: str, source: Path, target: Path, warmup: Path, p12: Path, profile: bool) -> dict[str, Any]:
    """Run ``op`` once on ``warmup`` (untimed) and once on ``source`` (timed) into ``target``."""
    started = time.perf_counter()
    signer = _signer(p12) if op in ("certified", "image-certified", "dip") else None
    if op in PDF_OPS or op == "pikepdf-save":
        action = _pdf_action(op, signer)
    elif op == "dip":
        action = _dip_action(signer)
    else:
        action = _image_action(op, signer)
    setup = time.perf_counter() - started
    scratch_target = target.with_name("warmup-" + target.name)
    action(warmup, scratch_target)
    _unlink_like(scratch_target)
    result: dict[str, Any] = {"setup": setup, "warm_up": time.perf_counter() - started - setup}
    result["rss_before_mb"] = bench.peak_rss_mb()
    with _profiled(profile, result):
        timed = time.perf_counter()
        result["units"] = action(source, target)
        result["seconds"] = time.perf_counter() - timed
    result["output_bytes"] = _output_bytes(target)
    result["rss_after_mb"] = bench.peak_rss_mb()
    return result


def _unlink_like(target: Path) -> None:
    """Remove ``target`` and what an operation named after it made beside it (``stem.*``)."""
    for path in [target, *target.parent.glob(target.stem + ".*")]:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def worker_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="access_scenario.py worker")
    parser.add_argument("op", choices=sorted(OP_LABELS))
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--warmup", type=Path, required=True)
    parser.add_argument("--p12", type=Path, required=True)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    result = worker(args.op, args.source, args.target, args.warmup, args.p12, args.profile)
    print(json.dumps(result))
    return 0


# --------------------------------------------------------------------------------------------------
# Sides
# --------------------------------------------------------------------------------------------------


@dataclass
class Case:
    key: str
    title: str
    kind: str  # "pdf" | "image" | "dip"
    inputs: list[Path]
    pages: int | None
    sides: list[bench.Side] = field(default_factory=list)
    reports: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    measured: dict[str, bench.Measured] = field(default_factory=dict)

    @property
    def input_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.inputs)


def _clear(path: Path) -> Callable[[], None]:
    def clear() -> None:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        path.unlink(missing_ok=True)

    return clear


def _json_check(case: Case, key: str, report: Path) -> Callable[[bench.Run], None]:
    def check(run: bench.Run) -> None:
        try:
            data = json.loads(report.read_text().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError) as exc:
            raise SystemExit(
                f"benchmark failed: {key} (exit {run.returncode}) printed no result: {exc}"
            ) from None
        if run.returncode != 0 or not data.get("output_bytes"):
            raise SystemExit(f"benchmark failed: {key} exited {run.returncode}, made {data}")
        case.reports.setdefault(key, []).append(data)

    return check


def worker_side(case: Case, op: str, source: Path, target: Path, warmup: Path, p12: Path) -> bench.Side:
    report = target.parent / f"{case.key}-{op}.json"
    command = [sys.executable, str(SCRIPT), "worker", op, str(source), str(target)]
    command += ["--warmup", str(warmup), "--p12", str(p12)]
    key = f"{case.key}-{op}"
    check = _json_check(case, key, report)
    return bench.Side(key, OP_LABELS[op], command, check=check, after=_clear_all(target), stdout_path=report)


def _clear_all(target: Path) -> Callable[[], None]:
    return lambda: _unlink_like(target)


def file_references(key: str, source: Path, scratch: Path) -> list[bench.Side]:
    q = shlex.quote
    copy = scratch / f"{key}-cp{source.suffix}"
    sides = [
        bench.Side(f"{key}-sha", "`sha256sum` (reference)", ["sha256sum", str(source)]),
        bench.Side(f"{key}-cp", "`cp`", ["cp", str(source), str(copy)], after=_clear(copy)),
        bench.Side(
            f"{key}-cpsync",
            "`cp` + `sync` of the copy",
            ["sh", "-c", f"cp {q(str(source))} {q(str(copy))} && sync {q(str(copy))}"],
            after=_clear(copy),
        ),
    ]
    qpdf = shutil.which("qpdf")
    if qpdf and source.suffix == ".pdf":
        sides.append(
            bench.Side(f"{key}-qpdf", "`qpdf in out`", [qpdf, str(source), str(copy)], after=_clear(copy))
        )
    return sides


def dip_references(key: str, originals: list[Path], scratch: Path) -> list[bench.Side]:
    q = shlex.quote
    folder = scratch / f"{key}-copy"
    files = " ".join(q(str(p)) for p in originals)
    copy = f"rm -rf {q(str(folder))} && mkdir {q(str(folder))} && cp {files} {q(str(folder))}/"
    archive = scratch / f"{key}-copy.zip"
    zipped = f"{copy} && cd {q(str(scratch))} && zip -q -r {q(archive.name)} {q(folder.name)}"

    def tidy() -> None:
        shutil.rmtree(folder, ignore_errors=True)
        archive.unlink(missing_ok=True)

    sides = [
        bench.Side(
            f"{key}-sha", "`sha256sum` of the originals (reference)", ["sha256sum", *map(str, originals)]
        ),
        bench.Side(f"{key}-cp", "`cp` of the originals into a folder", ["sh", "-c", copy], after=tidy),
    ]
    if shutil.which("zip"):
        sides.append(
            bench.Side(f"{key}-cpzip", "`cp` + `zip -r` of the folder", ["sh", "-c", zipped], after=tidy)
        )
    return sides


def build_cases(inputs: Inputs, scratch: Path) -> list[Case]:
    dossier = Case(
        "dossier", f"digitised dossier, {inputs.pages} scanned pages", "pdf", [inputs.dossier], inputs.pages
    )
    small = Case("small", f"born-digital document, {SMALL_PAGES} pages", "pdf", [inputs.small], SMALL_PAGES)
    photo = Case("photo", f"photograph, {PHOTO_PX[0]}×{PHOTO_PX[1]} JPEG", "image", [inputs.photo], None)
    originals = inputs.original_paths()
    dip = Case("dip", f"certified DIP of {len(originals)} originals of 1–5 MiB", "dip", originals, None)
    for case, ops, warmup in (
        (dossier, (*PDF_OPS, FLOORS["pdf"]), inputs.small),
        (small, (*PDF_OPS, FLOORS["pdf"]), inputs.small),
        (photo, (*IMAGE_OPS, FLOORS["image"]), inputs.small_photo),
    ):
        source = case.inputs[0]
        case.sides = file_references(case.key, source, scratch)
        for op in ops:
            target = scratch / f"{case.key}-{op}{'.pdf' if op.endswith('certified') else source.suffix}"
            case.sides.append(worker_side(case, op, source, target, warmup, inputs.p12))
    warm_manifest = _one_original_manifest(inputs, scratch)
    dip.sides = dip_references("dip", originals, scratch)
    dip.sides.append(
        worker_side(dip, "dip", inputs.originals, scratch / "dip-out", warm_manifest, inputs.p12)
    )
    return [dossier, small, photo, dip]


def _one_original_manifest(inputs: Inputs, scratch: Path) -> Path:
    """The DIP worker's warm-up: a DIP of the small PDF alone."""
    data = inputs.small.read_bytes()
    path = scratch / "warmup-originals.json"
    item = {"path": str(inputs.small), "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    path.write_text(json.dumps([item]))
    return path


# --------------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------------


def _ratio(value: float, reference: float | None) -> str:
    if not reference:
        return "–"
    ratio = value / reference
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.1f}×"


def _runs(case: Case, key: str) -> list[float]:
    """The timed seconds of each run: the worker's own timer for our operations (and the in-process
    floors), the process's wall time for the command-line references."""
    reports = case.reports.get(key)
    if reports:
        return [float(r["seconds"]) for r in reports]
    return [r.wall for r in case.measured[key].runs]


def _best(case: Case, key: str) -> float | None:
    return min(_runs(case, key)) if key in case.measured else None


def render_case(case: Case) -> str:
    reference = _best(case, f"{case.key}-sha")
    copy = _best(case, f"{case.key}-cpsync") or _best(case, f"{case.key}-cpzip")
    copy_label = "cp + sync" if case.kind != "dip" else "cp + zip"
    floor = _best(case, f"{case.key}-{FLOORS.get(case.kind, '')}")
    mb = case.input_bytes / 1e6
    units = len(case.inputs) if case.kind == "dip" else case.pages
    rows = []
    for side in case.sides:
        runs = _runs(case, side.key)
        best = min(runs)
        reports = case.reports.get(side.key, [])
        rate = f"{units / best:.1f}" if units and reports else ""
        out = f"{reports[0]['output_bytes'] / 1e6:.2f} MB" if reports else ""
        setup = f"{min(r['setup'] + r['warm_up'] for r in reports):.2f} s" if reports else ""
        rss = case.measured[side.key].rss_mb
        before = f" ({max(r['rss_before_mb'] for r in reports):.0f})" if reports else ""
        rows.append(
            [
                side.label,
                f"{best * 1000:.0f} ms" if best < 1 else bench.fmt_s(best),
                ", ".join(f"{r:.3f}" for r in runs),
                f"{mb / best:.0f}",
                rate,
                _ratio(best, reference),
                _ratio(best, copy),
                _ratio(best, floor),
                out,
                f"{rss:.0f} MB{before}",
                setup,
            ]
        )
    unit = "docs/s" if case.kind == "dip" else "pages/s"
    header = [
        "side",
        "best",
        "runs (s)",
        "input MB/s",
        unit,
        "÷ sha256sum",
        f"÷ {copy_label}",
        "÷ floor",
        "output",
        "peak RSS (after set-up)",
        "start-up + imports + warm-up",
    ]
    size = f"{mb:.1f} MB" if mb >= 1 else f"{case.input_bytes / 1e3:.0f} kB"
    return "\n".join([f"### {case.title} ({size})", "", bench.table(rows, header)])


def versions() -> str:
    from importlib.metadata import version

    import pikepdf

    parts = [f"pikepdf {pikepdf.__version__} (libqpdf {pikepdf.__libqpdf_version__})"]
    parts += [f"{name} {version(name)}" for name in ("Pillow", "reportlab", "pyHanko", "cryptography")]
    qpdf = shutil.which("qpdf")
    parts.append("qpdf CLI " + ("on PATH" if qpdf else "not on PATH (its row is skipped)"))
    return ", ".join(parts)


def render_profile(data: dict[str, Any], pages: int) -> str:
    prof = data["profile"]
    rows = [[label, str(nc), bench.fmt_s(tt), bench.fmt_s(ct)] for label, nc, tt, ct in prof["self"]]
    ours = [[label, str(nc), bench.fmt_s(tt), bench.fmt_s(ct)] for label, nc, tt, ct in prof["cumulative"]]
    return "\n".join(
        [
            f"### cProfile: certified copy of the {pages}-page dossier, in process",
            "",
            f"{bench.fmt_s(data['seconds'])} under the profiler. Top functions by own time:",
            "",
            bench.table(rows, ["function", "calls", "own time", "cumulative"]),
            "",
            "Top `archive_repo` functions by cumulative time:",
            "",
            bench.table(ours, ["function", "calls", "own time", "cumulative"]),
        ]
    )


def render(cases: list[Case], info: dict[str, str], command: str, repeat: int, profile: str) -> str:
    out = [
        "## access: reading copies, copies, certified copies, certified DIP",
        "",
        *bench.run_header(command),
        "**Machine:** " + bench.machine_line(info) + "; " + versions() + ".",
        "",
        "**Method** (`benchmarks/access_scenario.py`): inputs generated once (cached in "
        "`benchmarks/work/access/`). Each operation of ours runs in a fresh interpreter: imports, the "
        "archive's signer loaded from PKCS#12 (RSA-2048, test PKI, no timestamp server), an untimed warm-up "
        "of the same operation on a small input, then **one timed call** on the real input (its own timer: "
        "start-up excluded, shown apart), writing where production writes (atomically, fsynced). "
        f"Best of {repeat} runs, interleaved with the references, `sync` before every run; the references "
        "are timed as whole processes. Peak RSS: the whole worker process (GNU `/usr/bin/time -f %M`), in "
        "brackets its peak after imports and warm-up, before the timed call. *Floor*: the least any "
        "implementation of the operation does, in process like ours: `pikepdf` open + save for a PDF (the "
        "libqpdf rewrite of every stamped copy), Pillow decode + re-encode at quality 92 for the photograph. "
        "Ratios: our time ÷ the reference's (same bytes, same run).",
        "",
    ]
    for case in cases:
        out += [render_case(case), ""]
    if profile:
        out += [profile, ""]
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "access",
        help="reading copies, copies, certified copies (PDF, photo) and a certified DIP vs sha256sum, cp",
    )
    p.add_argument(
        "--pages", type=int, default=200, help="pages of the scanned dossier (default %(default)s)"
    )
    p.add_argument(
        "--docs", type=int, default=20, help="originals (1–5 MiB) in the DIP (default %(default)s)"
    )
    p.add_argument("--repeat", type=int, default=5, help="runs per side; best is kept (default %(default)s)")
    p.add_argument(
        "--no-profile", dest="profile", action="store_false", help="skip the cProfile of the certified copy"
    )
    p.add_argument("--rebuild", action="store_true", help="regenerate the cached inputs")
    p.add_argument("--work", type=Path, default=bench.DEFAULT_WORK, help="work dir (default benchmarks/work)")
    p.add_argument("--results", type=Path, default=bench.DEFAULT_RESULTS, help="Markdown file to update")
    p.add_argument("--no-write", action="store_true", help="print only; do not update RESULTS.md")


def _print_runs(case: Case) -> None:
    for side in case.sides:
        runs = _runs(case, side.key)
        rss = case.measured[side.key].rss_mb
        print(f"    {side.key}: " + " ".join(f"{r:.3f}s" for r in runs) + f" / {rss:.0f} MB", flush=True)


def profile_certified(inputs: Inputs, scratch: Path) -> str:
    target = scratch / "profile-certified.pdf"
    command = [sys.executable, str(SCRIPT), "worker", "certified", str(inputs.dossier), str(target)]
    command += ["--warmup", str(inputs.small), "--p12", str(inputs.p12), "--profile"]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    _unlink_like(target)
    return render_profile(json.loads(done.stdout.strip().splitlines()[-1]), inputs.pages)


def cmd_access(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    work: Path = args.work.resolve()
    inputs = ensure_inputs(work, args.pages, args.docs, args.rebuild)
    scratch = work / "access" / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    print(f"  inputs ready in {time.perf_counter() - started:.1f} s ({inputs.folder})", flush=True)
    cases = build_cases(inputs, scratch)
    for case in cases:
        print(f"{case.title}: warm-up run of the references, then best of {args.repeat}", flush=True)
        bench.measure([s for s in case.sides if s.stdout_path is None], 1, cold=False)
        case.reports.clear()
        case.measured = bench.measure(case.sides, args.repeat, cold=False)
        _print_runs(case)
    profile = ""
    if args.profile:
        print("  cProfile of the certified copy of the dossier", flush=True)
        profile = profile_certified(inputs, scratch)
    command = "python benchmarks/run.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    section = render(cases, bench.machine_info(work), command, args.repeat, profile)
    section += f"\n*Whole benchmark: {time.perf_counter() - started:.0f} s.*\n"
    print()
    print(section)
    if not args.no_write:
        bench.write_results(args.results, section)
        print(f"written to {args.results}")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        sys.exit(worker_main(sys.argv[2:]))
    sys.exit(bench.main(["access", *sys.argv[1:]]))
