"""The ``formats`` scenario: format identification (Siegfried) and PDF/A triage (pikepdf) time per file.

    python benchmarks/formats_scenario.py --repeats 5        # standalone: prints the Markdown table

Files are generated for the run in ``<work>/formats``: PDF/A-2b-claiming two-layer PDFs (a full-page JPEG
scan and an invisible OCR layer of ~300 words per page, 1-10 pages), born-digital PDFs with visible text
(1-10 pages), A4 JPEG scans at 150 dpi, and DOCX files. Each file is processed once to warm up and to
check the answer (the run fails on a wrong PUID or a two-layer PDF not seen as two-layer, so a fast wrong
answer cannot look good), then ``repeats`` times with ``identify``, ``pdf_facts`` and both in a row; best
and median wall time per file are averaged per kind. The first identification in a process (Siegfried
loads its signatures) is reported on its own.

Goal (issue #4): format checks must not dominate ingest; a few ms per file, ≤ a few ms per PDF page.
"""

from __future__ import annotations

import argparse
import io
import platform
import statistics
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
GENERATOR_VERSION = 1
GOAL_MS_PER_PDF_PAGE = 5.0
WORDS_PER_PAGE = 300
A4_150DPI = (1240, 1754)
A4_POINTS = (595.2756, 841.8898)


@dataclass
class Sample:
    kind: str
    path: Path
    pages: int  # 0 for non-PDFs


@dataclass
class FileTiming:
    kind: str
    name: str
    kib: float
    pages: int
    identify: list[float]
    pdf_facts: list[float]
    both: list[float]


# --------------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------------


def _scan_jpeg(seed: int) -> bytes:
    """A page-like greyscale scan: paper tone, text-like lines, some noise (compresses like a real scan)."""
    from PIL import Image, ImageDraw, ImageFilter

    image = Image.effect_noise(A4_150DPI, 12 + seed % 5).point(lambda v: 200 + v // 5)
    draw = ImageDraw.Draw(image)
    for line in range(60):
        y = 120 + line * 26
        draw.rectangle([110, y, 1130 - (line * 37 + seed * 11) % 300, y + 9], fill=40)
    buffer = io.BytesIO()
    image.filter(ImageFilter.SMOOTH).save(buffer, format="JPEG", quality=80, dpi=(150, 150))
    return buffer.getvalue()


def _two_layer_pdf(path: Path, pages: int, seed: int) -> None:
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    width, height = A4_POINTS
    pdf = canvas.Canvas(str(path), pagesize=A4_POINTS)
    for page in range(pages):
        pdf.drawImage(ImageReader(io.BytesIO(_scan_jpeg(seed + page))), 0, 0, width=width, height=height)
        text = pdf.beginText()
        text.setTextRenderMode(3)
        text.setFont("Helvetica", 10)
        for word in range(WORDS_PER_PAGE):  # one positioned word at a time, as OCR layers are written
            text.setTextOrigin(56 + (word % 10) * 48, height - 60 - (word // 10) * 24)
            text.textOut(f"tu{word}")
        pdf.drawText(text)
        pdf.showPage()
    pdf.save()


def _claim_pdfa_2b(path: Path) -> None:
    import pikepdf
    from PIL import ImageCms

    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        with pdf.open_metadata() as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
        icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        intent = pikepdf.Dictionary(
            Type=pikepdf.Name.OutputIntent,
            S=pikepdf.Name.GTS_PDFA1,
            OutputConditionIdentifier=pikepdf.String("sRGB"),
            DestOutputProfile=pdf.make_stream(icc, N=3),
        )
        pdf.Root.OutputIntents = pikepdf.Array([pdf.make_indirect(intent)])
        pdf.save(path)


def _born_digital_pdf(path: Path, pages: int) -> None:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4_POINTS)
    for page in range(pages):
        pdf.setFont("Helvetica", 11)
        for line in range(45):
            pdf.drawString(
                56, 780 - line * 16, f"Trang {page + 1}, dong {line + 1}: noi dung van ban hanh chinh"
            )
        pdf.showPage()
    pdf.save()


def _docx(path: Path, paragraphs: int) -> None:
    body = "".join(f"<w:p><w:r><w:t>Đoạn văn {n}</w:t></w:r></w:p>" for n in range(paragraphs))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        package.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="word/document.xml" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument"/></Relationships>',
        )
        package.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w='
            f'"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>',
        )


def make_samples(folder: Path) -> list[Sample]:
    """20 PDFs (10 two-layer PDF/A-2b, 10 born-digital; 1-10 pages), 20 JPEG scans, 5 DOCX (cached)."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / f"generated-v{GENERATOR_VERSION}"
    samples = (
        [Sample("PDF/A-2b two-layer", folder / f"scan-{n:02d}.pdf", n) for n in range(1, 11)]
        + [Sample("PDF born-digital", folder / f"born-{n:02d}.pdf", n) for n in range(1, 11)]
        + [Sample("JPEG scan", folder / f"anh-{n:02d}.jpg", 0) for n in range(1, 21)]
        + [Sample("DOCX", folder / f"van-ban-{n:02d}.docx", 0) for n in range(1, 6)]
    )
    if marker.exists():
        return samples
    for number, sample in enumerate(samples):
        if sample.kind == "PDF/A-2b two-layer":
            _two_layer_pdf(sample.path, sample.pages, seed=number)
            _claim_pdfa_2b(sample.path)
        elif sample.kind == "PDF born-digital":
            _born_digital_pdf(sample.path, sample.pages)
        elif sample.kind == "JPEG scan":
            sample.path.write_bytes(_scan_jpeg(number))
        else:
            _docx(sample.path, 20 * (number % 5 + 1))
    marker.write_text("complete\n")
    return samples


# --------------------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------------------


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def _check(sample: Sample) -> None:
    """The answers the timings are for must be right."""
    from archive_repo.authenticity.identify import family_of, identify
    from archive_repo.authenticity.pdfa import pdf_facts

    expected_family = {"JPEG scan": "jpeg", "DOCX": "docx"}.get(sample.kind, "pdf")
    family = family_of(identify(sample.path))
    if family is None or family.key != expected_family:
        raise RuntimeError(f"{sample.path.name}: identified as {family}, expected {expected_family}")
    if sample.pages:
        facts = pdf_facts(sample.path)
        two_layer = sample.kind == "PDF/A-2b two-layer"
        if facts.error or facts.pages != sample.pages or facts.two_layer is not two_layer:
            raise RuntimeError(f"{sample.path.name}: unexpected PDF facts {facts}")
        if two_layer and (facts.pdfa_claim != "2B" or not facts.output_intent):
            raise RuntimeError(f"{sample.path.name}: PDF/A claim not seen: {facts}")


def _measure(sample: Sample, repeats: int) -> FileTiming:
    from archive_repo.authenticity.identify import identify
    from archive_repo.authenticity.pdfa import pdf_facts

    path = sample.path

    def both() -> None:
        identify(path)
        if sample.pages:
            pdf_facts(path)

    timing = FileTiming(sample.kind, path.name, path.stat().st_size / 1024, sample.pages, [], [], [])
    for _ in range(repeats):  # interleaved, so drifts in the machine hit the three alike
        timing.identify.append(_timed(lambda: identify(path)))
        if sample.pages:
            timing.pdf_facts.append(_timed(lambda: pdf_facts(path)))
        timing.both.append(_timed(both))
    return timing


def _first_identification_ms(path: Path) -> float:
    """What the first identification in a process costs: loading Siegfried's signatures and building its
    matchers (only meaningful when nothing was identified earlier in this process)."""
    from archive_repo.authenticity import identify

    identify._scanner.cache_clear()
    return _timed(lambda: identify.identify(path))


def run(workdir: Path, repeats: int) -> dict:
    """Generate (or reuse) the files in ``workdir/formats`` and time them; raises RuntimeError when an
    answer is wrong."""
    repeats = max(1, repeats)
    samples = make_samples(workdir / "formats")
    load_ms = _first_identification_ms(samples[0].path)
    for sample in samples:
        _check(sample)  # also the warm-up
    timings = [_measure(sample, repeats) for sample in samples]
    kinds = [
        _summarize(kind, [t for t in timings if t.kind == kind])
        for kind in dict.fromkeys(s.kind for s in samples)
    ]
    pdf_pages = sum(t.pages for t in timings)
    pdf_ms = sum(min(t.pdf_facts) for t in timings if t.pages)
    worst_per_page = max(min(t.pdf_facts) / t.pages for t in timings if t.pages)
    return {
        "scenario": "formats",
        "repeats": repeats,
        "goal_ms_per_pdf_page": GOAL_MS_PER_PDF_PAGE,
        "pdf_facts_ms_per_page": round(pdf_ms / pdf_pages, 3),
        "worst_pdf_facts_ms_per_page": round(worst_per_page, 3),
        "goal_met": worst_per_page <= GOAL_MS_PER_PDF_PAGE,
        "first_identification_ms": round(load_ms, 1),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "versions": _versions(),
        "kinds": kinds,
        "files": [asdict(t) for t in timings],
    }


def _mean_of(values: list[list[float]], pick: Callable[[list[float]], float]) -> float | None:
    picked = [pick(v) for v in values if v]
    return round(statistics.fmean(picked), 3) if picked else None


def _summarize(kind: str, timings: list[FileTiming]) -> dict:
    best_both = sum(min(t.both) for t in timings)
    return {
        "kind": kind,
        "files": len(timings),
        "pages": sum(t.pages for t in timings),
        "mean_kib": round(statistics.fmean(t.kib for t in timings), 1),
        "identify_best_ms": _mean_of([t.identify for t in timings], min),
        "identify_median_ms": _mean_of([t.identify for t in timings], statistics.median),
        "pdf_facts_best_ms": _mean_of([t.pdf_facts for t in timings], min),
        "pdf_facts_median_ms": _mean_of([t.pdf_facts for t in timings], statistics.median),
        "both_best_ms": _mean_of([t.both for t in timings], min),
        "both_median_ms": _mean_of([t.both for t in timings], statistics.median),
        "files_per_s": round(len(timings) / best_both * 1000, 1),
    }


def _versions() -> str:
    from importlib.metadata import version

    from archive_repo.authenticity.identify import identifier_version

    return f"{identifier_version()}; pikepdf {version('pikepdf')}"


# --------------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def render_markdown(results: dict) -> str:
    verdict = "met" if results["goal_met"] else "**NOT met**"
    lines = [
        "## `formats`: format identification and PDF/A triage",
        "",
        f"{results['machine']}; {results['versions']}. Per file: best and median of {results['repeats']} "
        "runs after one warm-up, averaged over the files of a kind; *both* = `identify` then `pdf_facts` "
        "(PDFs only), as the ingest calls them; files/s from the best *both* times. The first "
        "identification in a process (signatures loaded, matchers built): "
        f"{results['first_identification_ms']:.0f} ms, not in the times below. "
        f"`pdf_facts` per PDF page: {results['pdf_facts_ms_per_page']:.2f} ms overall, worst file "
        f"{results['worst_pdf_facts_ms_per_page']:.2f} ms; goal ≤ {results['goal_ms_per_pdf_page']:g} ms: "
        f"{verdict}.",
        "",
        "| Kind | Files | Pages | Mean KiB | identify best ms | median ms | pdf_facts best ms | median ms "
        "| both best ms | median ms | files/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in results["kinds"]:
        lines.append(
            f"| {kind['kind']} | {kind['files']} | {kind['pages'] or '–'} | {kind['mean_kib']:.0f} "
            f"| {_ms(kind['identify_best_ms'])} | {_ms(kind['identify_median_ms'])} "
            f"| {_ms(kind['pdf_facts_best_ms'])} | {_ms(kind['pdf_facts_median_ms'])} "
            f"| {_ms(kind['both_best_ms'])} | {_ms(kind['both_median_ms'])} | {kind['files_per_s']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--work", type=Path, default=HERE / "work", help="work folder (default: benchmarks/work)"
    )
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    results = run(args.work, args.repeats)
    print(render_markdown(results))
    return 0 if results["goal_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
