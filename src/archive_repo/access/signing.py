"""The archive's own PAdES signature on what it issues (TT05 art. 41, 42), and the page geometry and font
that every copy shares.

The signature is an incremental update (the signed file is the source bytes plus an appended revision),
so a PDF/A stays PDF/A and nothing already in the file is rewritten. A visible signature is drawn by a
one-page PDF made with reportlab in the serif font of copies (Times New Roman or Liberation Serif, 10 pt,
black, no image, no border) and imported as the widget's appearance; TT05 wants the signer's name and
the signing time in ISO 8601, Vietnam time, shown that way.

Pages are placed "as the reader sees them": ``PageView`` is the visible box (the CropBox, clipped to the
MediaBox) turned by /Rotate, with the matrix that maps upright reader coordinates into the page's user
space. Stamps and signature appearances are drawn upright in reader coordinates and mapped through it.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pikepdf
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from archive_repo.access.errors import AccessError
from archive_repo.access.fonts import find_serif_font, nfc_text, registered_font
from archive_repo.durable import fsync_dir

VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")
SIGNING_TIME = "{signing_time}"  # in ``lines``: replaced by the signing time the signature itself claims
FONT_SIZE = 10.0  # TT05: Times New Roman, regular, 10 pt, black
LINE_HEIGHT = 12.0
APPEARANCE_PADDING = 2.0
RIGHT_MARGIN = 10 * mm
# Three lines (about 14 mm) must end inside the top margin of an administrative document (20-25 mm,
# Nghị định 30/2020), above the national motto, so the box starts 4 mm from the top.
TOP_MARGIN = 4 * mm

Matrix = tuple[float, float, float, float, float, float]
Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class ArchiveSigner:
    """The archive's signing key and certificate, the name its signatures show, and an optional TSA."""

    signer: Any  # pyhanko.sign.signers.Signer (a SimpleSigner from the archive's PKCS#12)
    name: str
    timestamper: Any | None = None  # a pyHanko TimeStamper


# --------------------------------------------------------------------------------------------------
# The archive's key
# --------------------------------------------------------------------------------------------------


def load_archive_signer(
    pkcs12: Path, passphrase: bytes | None, *, name: str, timestamp_url: str | None = None
) -> ArchiveSigner:
    """The archive's signer from a PKCS#12 file (.p12/.pfx); AccessError for a missing or unreadable file,
    a wrong passphrase, or a file without a private key or certificate."""
    from cryptography.hazmat.primitives.serialization import pkcs12 as pyca_pkcs12
    from pyhanko.keys.internal import (
        translate_pyca_cryptography_cert_to_asn1,
        translate_pyca_cryptography_key_to_asn1,
    )
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    if not name.strip():
        raise AccessError("access_copies.archive_name_empty")
    data = _read_pkcs12(pkcs12)
    try:
        key, cert, others = pyca_pkcs12.load_key_and_certificates(data, passphrase)
    except (ValueError, TypeError) as exc:
        raise _pkcs12_error(pkcs12, data, exc) from exc
    if key is None:
        raise AccessError("access_copies.signer_no_key", file=str(pkcs12))
    if cert is None:
        raise AccessError("access_copies.signer_no_certificate", file=str(pkcs12))
    signer = SimpleSigner(
        signing_cert=translate_pyca_cryptography_cert_to_asn1(cert),
        signing_key=translate_pyca_cryptography_key_to_asn1(key),
        cert_registry=SimpleCertificateStore.from_certs(
            [translate_pyca_cryptography_cert_to_asn1(other) for other in others]
        ),
    )
    return ArchiveSigner(signer=signer, name=nfc_text(name), timestamper=_http_timestamper(timestamp_url))


def _read_pkcs12(pkcs12: Path) -> bytes:
    try:
        return pkcs12.read_bytes()
    except FileNotFoundError as exc:
        raise AccessError("access_copies.signer_missing", file=str(pkcs12)) from exc
    except OSError as exc:
        raise AccessError(
            "access_copies.signer_unreadable", file=str(pkcs12), reason=exc.strerror or str(exc)
        ) from exc


def _pkcs12_error(pkcs12: Path, data: bytes, exc: Exception) -> AccessError:
    """cryptography says "invalid password or PKCS12 data" for both: a file that parses as a PKCS#12
    structure failed on its passphrase."""
    from asn1crypto import pkcs12 as asn1_pkcs12

    try:
        _ = asn1_pkcs12.Pfx.load(data, strict=True)["auth_safe"]["content_type"].native  # forces parsing
    except (ValueError, TypeError, KeyError):
        return AccessError("access_copies.signer_unreadable", file=str(pkcs12), reason=str(exc))
    return AccessError("access_copies.signer_bad_passphrase", file=str(pkcs12))


def _http_timestamper(url: str | None) -> Any | None:
    if not url:
        return None
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(url)


# --------------------------------------------------------------------------------------------------
# Signing
# --------------------------------------------------------------------------------------------------


def signing_time_text(moment: datetime) -> str:
    """``2025-07-01T09:30:00+07:00``: ISO 8601, Vietnam time, to the second. A naive time is refused
    (nobody can tell which zone it meant)."""
    if moment.tzinfo is None:
        raise ValueError("signing time must be timezone-aware")
    return moment.astimezone(VIETNAM_TIME).replace(microsecond=0).isoformat()


def sign_pdf(
    source: Path,
    target: Path,
    signer: ArchiveSigner,
    *,
    field_name: str,
    lines: Sequence[str],
    page: int = 0,
    box: Rect | None = None,
    reason: str | None = None,
    signing_time: datetime | None = None,
) -> None:
    """Sign ``source`` into ``target`` (written atomically) as an incremental update: PAdES, SHA-256,
    ETSI.CAdES.detached, with a signature timestamp when the signer has a timestamper.

    The signature is visible: ``lines`` (``SIGNING_TIME`` in them becomes the claimed signing time as
    ``signing_time_text``) in the serif font, 10 pt, black, upright for the reader of page ``page``.
    ``box`` is the widget's /Rect in the page's default user space (x1, y1, x2, y2); None puts a box
    sized to fit the lines 4 mm from the top and 10 mm from the right edge as the reader sees them.
    ``signing_time`` (default: now) is what the signature claims and the appearance shows.
    """
    moment = (signing_time or datetime.now(UTC)).replace(microsecond=0)
    shown = [nfc_text(line.replace(SIGNING_TIME, signing_time_text(moment))) for line in lines]
    data = _read_pdf_bytes(source)
    view = _page_view_of_bytes(data, source, page)
    rect = _normalised(box) if box is not None else top_right_rect(view, appearance_size(shown))
    appearance = _appearance_pdf(shown, rect, view.rotation)
    signed = _signed_bytes(data, source, signer, field_name, page, rect, appearance, reason, moment)
    write_atomically(target, signed)


def _read_pdf_bytes(source: Path) -> bytes:
    try:
        return source.read_bytes()
    except FileNotFoundError as exc:
        raise AccessError("access_copies.source_missing", file=source.name) from exc
    except OSError as exc:
        raise AccessError("access_copies.pdf_unreadable", file=source.name, reason=str(exc)) from exc


def _page_view_of_bytes(data: bytes, source: Path, page: int) -> PageView:
    with open_pdf(io.BytesIO(data), source) as pdf:
        count = len(pdf.pages)
        if not 0 <= page < count:
            raise AccessError("access_copies.page_out_of_range", file=source.name, page=page + 1, pages=count)
        return PageView.of(pdf.pages[page])


def _signed_bytes(
    data: bytes,
    source: Path,
    signer: ArchiveSigner,
    field_name: str,
    page: int,
    rect: Rect,
    appearance: bytes,
    reason: str | None,
    moment: datetime,
) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields, signers
    from pyhanko.sign.timestamps import TimestampRequestError

    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
    )
    pdf_signer = _pdf_signer_class()(
        meta,
        signer=signer.signer,
        timestamper=signer.timestamper,
        stamp_style=_appearance_style(appearance),
        new_field_spec=fields.SigFieldSpec(field_name, on_page=page, box=rect),
    )
    pdf_signer.signing_time = moment
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        return pdf_signer.sign_pdf(writer).getvalue()
    except (PdfError, ValueError, TimestampRequestError) as exc:
        raise AccessError(
            "access_copies.sign_failed", file=source.name, reason=str(exc) or repr(exc)
        ) from exc


@functools.cache
def _pdf_signer_class() -> type:
    from pyhanko.sign import signers

    class _TimedPdfSigner(signers.PdfSigner):
        """A PdfSigner whose claimed signing time is the one the appearance already shows."""

        signing_time: datetime | None = None

        def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
            session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
            if self.signing_time is not None:
                session.system_time = self.signing_time
            return session

    return _TimedPdfSigner


def _appearance_style(appearance: bytes) -> Any:
    """A pyHanko stamp style that shows the given one-page PDF as the whole appearance: no border,
    no background tint, no scaling."""
    from pyhanko.pdf_utils import content, layout
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.stamp import StaticStampStyle

    class _ImportedAppearance(content.PdfContent):
        def render(self) -> bytes:
            xobject = self._ensure_writer.import_page_as_xobject(PdfFileReader(io.BytesIO(appearance)))
            self.resources.xobject["/ArchiveAppearance"] = xobject
            x1, y1, x2, y2 = xobject.get_object()["/BBox"]
            self.box = layout.BoxConstraints(width=abs(x2 - x1), height=abs(y2 - y1))
            return b"/ArchiveAppearance Do"

    return StaticStampStyle(
        border_width=0,
        background=_ImportedAppearance(),
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MIN,
            margins=layout.Margins.uniform(0),
        ),
    )


def appearance_size(lines: Sequence[str]) -> tuple[float, float]:
    """Width and height (reader's orientation) of a box that holds ``lines`` with a little padding."""
    font = serif_font()
    width = max((pdfmetrics.stringWidth(line, font, FONT_SIZE) for line in lines), default=0.0)
    return width + 2 * APPEARANCE_PADDING, len(lines) * LINE_HEIGHT + 2 * APPEARANCE_PADDING


def top_right_rect(view: PageView, size: tuple[float, float]) -> Rect:
    """The user-space rect of a box of ``size`` 4 mm from the top and 10 mm from the right edge as the
    reader sees them."""
    width, height = size
    right = view.width - min(RIGHT_MARGIN, view.width / 10)
    top = view.height - min(TOP_MARGIN, view.height / 10)
    return view.to_user_rect((right - width, top - height, right, top))


def _appearance_pdf(lines: Sequence[str], rect: Rect, rotation: int) -> bytes:
    """A one-page PDF the size of ``rect`` with ``lines`` drawn upright for a page turned by
    ``rotation``, top-left aligned."""
    x1, y1, x2, y2 = rect
    local = PageView(box=(0.0, 0.0, x2 - x1, y2 - y1), rotation=rotation)
    font = serif_font()
    buffer = io.BytesIO()
    canvas = serif_canvas(buffer, (x2 - x1, y2 - y1))
    canvas.transform(*local.matrix)
    canvas.setFillGray(0)
    baseline = local.height - APPEARANCE_PADDING - _ascent(font)
    for line in lines:
        canvas.drawString(APPEARANCE_PADDING, baseline, line)
        baseline -= LINE_HEIGHT
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# Shared by every copy: the font, page geometry, opening PDFs, atomic writes
# --------------------------------------------------------------------------------------------------


def ready_for_signing(pdf: Any) -> None:
    """Prepare a PDF (pikepdf) that ``sign_pdf`` will sign: pyHanko appends itself to an Info /Producer
    but writes only itself into the XMP, so without one (nor /Trapped) both say the same, as PDF/A
    wants."""
    for key in ("/Producer", "/Trapped"):
        if key in pdf.docinfo:
            del pdf.docinfo[key]


def serif_font() -> str:
    """The reportlab name of the registered serif font of copies (embedded as a subset when used)."""
    return registered_font(find_serif_font())


def serif_canvas(buffer: io.BytesIO, size: tuple[float, float]) -> Canvas:
    """A reportlab canvas whose only font is the serif font of copies (reportlab otherwise selects a
    non-embedded Helvetica at the start of every page, which a PDF/A must not reference)."""
    font = serif_font()
    return Canvas(
        buffer,
        pagesize=size,
        pageCompression=1,
        initialFontName=font,
        initialFontSize=FONT_SIZE,
        initialLeading=LINE_HEIGHT,
    )


def _ascent(font: str) -> float:
    return pdfmetrics.getFont(font).face.ascent * FONT_SIZE / 1000


@dataclass(frozen=True)
class PageView:
    """A page as the reader sees it: ``box`` (x0, y0, x1, y1: the visible box in default user space)
    turned clockwise by ``rotation`` degrees (0, 90, 180 or 270)."""

    box: Rect
    rotation: int = 0

    @classmethod
    def of(cls, page: pikepdf.Page) -> PageView:
        media = _normalised(tuple(float(v) for v in page.mediabox))
        crop = _normalised(tuple(float(v) for v in page.cropbox))
        visible = _intersection(crop, media) or media
        return cls(box=visible, rotation=int(page.rotation) % 360 // 90 * 90)

    @property
    def turned(self) -> bool:
        return self.rotation in (90, 270)

    @property
    def width(self) -> float:
        x0, y0, x1, y1 = self.box
        return y1 - y0 if self.turned else x1 - x0

    @property
    def height(self) -> float:
        x0, y0, x1, y1 = self.box
        return x1 - x0 if self.turned else y1 - y0

    @property
    def matrix(self) -> Matrix:
        """(a, b, c, d, e, f) mapping reader coordinates (origin at the bottom left the reader sees)
        to the page's default user space."""
        x0, y0, x1, y1 = self.box
        return {
            0: (1.0, 0.0, 0.0, 1.0, x0, y0),
            90: (0.0, 1.0, -1.0, 0.0, x1, y0),
            180: (-1.0, 0.0, 0.0, -1.0, x1, y1),
            270: (0.0, -1.0, 1.0, 0.0, x0, y1),
        }[self.rotation]

    def to_user(self, u: float, v: float) -> tuple[float, float]:
        a, b, c, d, e, f = self.matrix
        return a * u + c * v + e, b * u + d * v + f

    def to_user_rect(self, rect: Rect) -> Rect:
        left, bottom, right, top = rect
        (ax, ay), (bx, by) = self.to_user(left, bottom), self.to_user(right, top)
        return _normalised((ax, ay, bx, by))


def _normalised(rect: Sequence[float]) -> Rect:
    x0, y0, x1, y1 = (float(v) for v in rect)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _intersection(a: Rect, b: Rect) -> Rect | None:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


@contextlib.contextmanager
def open_pdf(handle: Path | io.BytesIO, source: Path) -> Iterator[pikepdf.Pdf]:
    """Open a source PDF for copying; AccessError (naming ``source``) when it cannot be read, is
    encrypted or has no pages."""
    try:
        pdf = pikepdf.open(handle)
    except pikepdf.PasswordError as exc:
        raise AccessError("access_copies.pdf_encrypted", file=source.name) from exc
    except FileNotFoundError as exc:
        raise AccessError("access_copies.source_missing", file=source.name) from exc
    except (pikepdf.PdfError, OSError, ValueError) as exc:
        reason = str(exc).replace(str(handle), source.name)  # qpdf names the file by its full path
        raise AccessError("access_copies.pdf_unreadable", file=source.name, reason=reason) from exc
    with pdf:
        if pdf.is_encrypted:
            raise AccessError("access_copies.pdf_encrypted", file=source.name)
        if len(pdf.pages) == 0:
            raise AccessError("access_copies.pdf_no_pages", file=source.name)
        yield pdf


@contextlib.contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target`` to write; renamed over ``target`` (and the folder synced) when
    the block ends normally, removed otherwise, so ``target`` is either whole or absent."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(descriptor)
    except OSError as exc:
        raise _write_failed(target, exc) from exc
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        fsync_dir(target.parent)
    except OSError as exc:
        raise _write_failed(target, exc) from exc
    finally:
        temporary.unlink(missing_ok=True)


def _write_failed(target: Path, exc: OSError) -> AccessError:
    return AccessError("access_copies.write_failed", file=str(target), reason=exc.strerror or str(exc))


def about(error: AccessError, source: Path) -> AccessError:
    """``error`` naming ``source`` as its file: for a step that worked on an intermediate file."""
    if "file" not in error.params:
        return error
    return AccessError(error.message_key, **{**error.params, "file": source.name})


def write_atomically(target: Path, data: bytes) -> None:
    with replacing(target) as temporary:
        temporary.write_bytes(data)
