"""PDF copies for researchers (TT05 art. 37, 40, 41): the archive's name at the bottom centre of every
page, and the words ``BẢN SAO`` at the top right of the first page of a copy.

- reading copy (art. 37): the name on every page; encrypted (AES-256, empty user password, a random owner
  password thrown away) with every permission but accessibility withheld, so it is for viewing in the
  system: no printing, copying, editing or annotating;
- copy (art. 40): the name on every page and ``BẢN SAO`` top right of page 1, in Times New Roman or
  Liberation Serif, regular, 10 pt, black; not encrypted, it is downloaded;
- certified copy (art. 41): the name on every page, then signed by the archive (see ``signing``); the
  visible signature is the ``BẢN SAO`` mark (with the archive's name and the signing time), so no second
  ``BẢN SAO`` is drawn into the page.

The stamps are real text in an embedded TrueType subset (extractable, Vietnamese diacritics intact): a
reportlab overlay page per distinct page size, turned into a form XObject and drawn last on each page,
mapped into the page's user space so that "bottom centre" and "top right" are where a reader sees them
whatever the /Rotate and box origins. The source file is only read.

Stamping rewrites the file, so the signatures of the originating agencies that a source PDF carries
cannot validate on a copy; left in place, every viewer would report them as broken, as if the copy had
been tampered with. So a copy keeps how those signatures look (each visible signature's appearance is
drawn into its page) but not the signatures themselves (their fields, and a DocMDP lock they set, are
removed). The only signature a copy carries is the archive's, on the certified copy. Records whose
originating signatures must stay verifiable go out as a certified DIP (art. 42), which keeps the original
files; the original itself is only read here.
"""

from __future__ import annotations

import contextlib
import io
import secrets
from collections.abc import Iterator
from pathlib import Path

import pikepdf
from pikepdf import Name
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from archive_repo.access.errors import AccessError
from archive_repo.access.fonts import nfc_text
from archive_repo.access.signing import (
    FONT_SIZE,
    SIGNING_TIME,
    ArchiveSigner,
    PageView,
    about,
    open_pdf,
    ready_for_signing,
    replacing,
    serif_canvas,
    serif_font,
    sign_pdf,
    top_right_rect,
)

COPY_MARK = "BẢN SAO"
CERTIFIED_FIELD = "BanSaoChungThuc"
CERTIFIED_REASON = "Bản sao chứng thực của cơ quan lưu trữ (Thông tư 05/2025/TT-BNV, Điều 41)"
NAME_BASELINE_FROM_BOTTOM = 8 * mm
NAME_SIDE_MARGIN = 10 * mm
SMALLEST_NAME_SIZE = 6.0


def make_reading_copy(source: Path, target: Path, *, archive_name: str) -> int:
    """The view-only reading copy of ``source``; returns its page count."""
    with _stamped(source, archive_name, copy_mark=False) as pdf:
        _save(pdf, target, source, encryption=_view_only())
        return len(pdf.pages)


def make_plain_copy(source: Path, target: Path, *, archive_name: str) -> int:
    """The downloadable, unsigned ``BẢN SAO`` copy of ``source``; returns its page count."""
    with _stamped(source, archive_name, copy_mark=True) as pdf:
        _save(pdf, target, source)
        return len(pdf.pages)


def make_certified_copy(source: Path, target: Path, *, archive_name: str, signer: ArchiveSigner) -> int:
    """The copy signed by the archive, its visible signature reading ``BẢN SAO`` / the signer's name /
    the signing time at the top right of page 1; returns its page count."""
    with replacing(target) as stamped_path:
        with _stamped(source, archive_name, copy_mark=False) as pdf:
            pages = len(pdf.pages)
            ready_for_signing(pdf)  # a PDF/A original stays consistent
            _save(pdf, stamped_path, source)
        try:
            sign_pdf(
                stamped_path,
                stamped_path,
                signer,
                field_name=CERTIFIED_FIELD,
                lines=(COPY_MARK, signer.name, SIGNING_TIME),
                page=0,
                reason=CERTIFIED_REASON,
            )
        except AccessError as exc:
            raise about(exc, source) from exc
    return pages


# --------------------------------------------------------------------------------------------------
# Stamping
# --------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _stamped(source: Path, archive_name: str, *, copy_mark: bool) -> Iterator[pikepdf.Pdf]:
    """``source`` opened with the stamps added (in memory); saved by the caller inside the block, as
    the overlay's streams are copied from the overlay document only when saving."""
    name = _archive_name(archive_name)
    with open_pdf(source, source) as pdf:
        try:
            _retire_signatures(pdf)
            views = [PageView.of(page) for page in pdf.pages]
        except (pikepdf.PdfError, TypeError, ValueError, AttributeError) as exc:
            raise _malformed(source, exc) from exc
        kinds = [_overlay_kind(view, with_mark=copy_mark and index == 0) for index, view in enumerate(views)]
        distinct = list(dict.fromkeys(kinds))
        with pikepdf.open(io.BytesIO(_overlays_pdf(distinct, name))) as overlays:
            try:
                forms = {
                    kind: pdf.copy_foreign(overlays.make_indirect(overlays.pages[index].as_form_xobject()))
                    for index, kind in enumerate(distinct)
                }
                for page, view, kind in zip(pdf.pages, views, kinds, strict=True):
                    _draw_last(pdf, page, forms[kind], view)
            except (pikepdf.PdfError, TypeError, ValueError, AttributeError) as exc:
                raise _malformed(source, exc) from exc
            yield pdf


def _malformed(source: Path, exc: Exception) -> AccessError:
    """A page tree pikepdf opened but that is not what a PDF page must be (a box that is not an array,
    /Contents that is not a stream …): the source's fault, reported against it."""
    reason = f"{type(exc).__name__}: {exc}".replace(str(source), source.name)
    return AccessError("access_copies.pdf_unreadable", file=source.name, reason=reason)


def _archive_name(archive_name: str) -> str:
    name = nfc_text(" ".join(archive_name.split()))
    if not name:
        raise AccessError("access_copies.archive_name_empty")
    return name


OverlayKind = tuple[float, float, bool]  # reader's width and height, with the BẢN SAO mark


def _overlay_kind(view: PageView, *, with_mark: bool) -> OverlayKind:
    return round(view.width, 3), round(view.height, 3), with_mark


def _overlays_pdf(kinds: list[OverlayKind], archive_name: str) -> bytes:
    """One overlay page per kind, upright, the size of the page the reader sees; one font subset."""
    font = serif_font()
    buffer = io.BytesIO()
    canvas = serif_canvas(buffer, (kinds[0][0], kinds[0][1]))
    for width, height, with_mark in kinds:
        canvas.setPageSize((width, height))
        canvas.setFillGray(0)
        _draw_archive_name(canvas, font, archive_name, width)
        if with_mark:
            _draw_copy_mark(canvas, font, width, height)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_archive_name(canvas: Canvas, font: str, archive_name: str, page_width: float) -> None:
    """Centred, 8 mm above the bottom edge; a long name is set smaller to stay on the page."""
    room = page_width - 2 * min(NAME_SIDE_MARGIN, page_width / 10)
    size = FONT_SIZE
    width = pdfmetrics.stringWidth(archive_name, font, size)
    if width > room:
        size = max(SMALLEST_NAME_SIZE, size * room / width)
    canvas.setFont(font, size)
    canvas.drawCentredString(page_width / 2, NAME_BASELINE_FROM_BOTTOM, archive_name)


def _draw_copy_mark(canvas: Canvas, font: str, page_width: float, page_height: float) -> None:
    """``BẢN SAO`` with its top right corner 10 mm from the top and right edges, 10 pt."""
    width = pdfmetrics.stringWidth(COPY_MARK, font, FONT_SIZE)
    ascent = pdfmetrics.getFont(font).face.ascent * FONT_SIZE / 1000
    view = PageView(box=(0.0, 0.0, page_width, page_height))
    left, _, _, top = top_right_rect(view, (width, ascent))
    canvas.setFont(font, FONT_SIZE)
    canvas.drawString(left, top - ascent, COPY_MARK)


def _draw_last(pdf: pikepdf.Pdf, page: pikepdf.Page, form: pikepdf.Object, view: PageView) -> None:
    """Draw ``form`` over the page, in a clean graphics state (the page's own content is wrapped in
    q … Q), mapped from reader coordinates into the page's user space."""
    _own_resources(page)
    name = page.add_resource(form, Name.XObject, prefix="ArchiveStamp")
    matrix = " ".join(_number(value) for value in view.matrix)
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    page.contents_add(pdf.make_stream(f"\nQ\nq {matrix} cm {name} Do Q\n".encode("ascii")))


def _own_resources(page: pikepdf.Page) -> None:
    """Resources inherited from the page tree, copied onto the page, so that adding the stamp to them
    does not hide what the page inherited."""
    if Name.Resources in page.obj:
        return
    node = page.obj
    while Name.Parent in node:
        node = node.Parent
        if Name.Resources in node:
            page.obj.Resources = pikepdf.Dictionary(dict(node.Resources.items()))
            return


def _retire_signatures(pdf: pikepdf.Pdf) -> None:
    """Draw every signature widget's appearance into its page, then remove the signature fields and the
    DocMDP permissions that point at them (see the module docstring)."""
    for page in pdf.pages:
        annotations = page.obj.get(Name.Annots)
        if not isinstance(annotations, pikepdf.Array):
            continue
        kept = [annotation for annotation in annotations if not _is_signature(annotation)]
        if len(kept) == len(annotations):
            continue
        for annotation in annotations:
            if _is_signature(annotation):
                _draw_appearance(pdf, page, annotation)
        page.obj.Annots = pikepdf.Array(kept)
    acroform = pdf.Root.get(Name.AcroForm)
    if isinstance(acroform, pikepdf.Dictionary) and isinstance(acroform.get(Name.Fields), pikepdf.Array):
        acroform.Fields = pikepdf.Array([field for field in acroform.Fields if not _is_signature(field)])
        if Name.SigFlags in acroform:
            del acroform.SigFlags
    if Name.Perms in pdf.Root:
        del pdf.Root.Perms


def _is_signature(node: pikepdf.Object) -> bool:
    """A signature field, or the widget of one (the field type may sit on a parent field)."""
    seen = 0
    while isinstance(node, pikepdf.Dictionary) and seen < 32:
        if node.get(Name.FT) == Name.Sig:
            return True
        node = node.get(Name.Parent)
        seen += 1
    return False


def _draw_appearance(pdf: pikepdf.Pdf, page: pikepdf.Page, annotation: pikepdf.Object) -> None:
    helper = pikepdf.Annotation(annotation)
    appearance = helper.get_appearance_stream(Name.N)
    if appearance is None:
        return
    _own_resources(page)
    name = page.add_resource(appearance, Name.XObject, prefix="SignatureAppearance")
    content = helper.get_page_content_for_appearance(name, page.rotation)
    if content:
        page.contents_add(pdf.make_stream(b"q\n" + content + b"\nQ\n"))


def _number(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") or "0"


# --------------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------------


def _view_only() -> pikepdf.Encryption:
    """AES-256; anyone opens it (empty user password), nobody holds the owner password."""
    return pikepdf.Encryption(
        owner=secrets.token_urlsafe(32),
        user="",
        R=6,
        allow=pikepdf.Permissions(
            accessibility=True,  # screen readers still work: the purpose is no copying, not no reading
            extract=False,
            modify_annotation=False,
            modify_assembly=False,
            modify_form=False,
            modify_other=False,
            print_lowres=False,
            print_highres=False,
        ),
    )


def _save(
    pdf: pikepdf.Pdf, target: Path, source: Path, *, encryption: pikepdf.Encryption | None = None
) -> None:
    """Write the copy atomically; a source whose damage only shows when its streams are copied is
    reported against the source."""
    with replacing(target) as temporary:
        try:
            pdf.save(temporary, encryption=encryption or False)
        except pikepdf.PdfError as exc:
            raise AccessError("access_copies.pdf_unreadable", file=source.name, reason=str(exc)) from exc
