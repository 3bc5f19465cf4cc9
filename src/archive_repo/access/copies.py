"""One entry point for every copy the archive issues (TT05 art. 37, 40, 41), chosen by the record's MIME
type: PDFs are stamped (and signed for a certified copy); images get a watermarked derivative, or are laid
on PDF pages for a certified copy; audio and video are never copied (art. 40: recordings go out as a DIP);
other formats are refused, naming the format.

A PDF reading copy is locked for viewing (see ``stamp``); an image file cannot be, so that an image
reading copy is only shown in the system, never downloaded, is for the delivery to enforce.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from archive_repo.access.errors import AccessError
from archive_repo.access.signing import ArchiveSigner, about, replacing
from archive_repo.access.stamp import make_certified_copy, make_plain_copy, make_reading_copy
from archive_repo.access.watermark import image_to_pdf, watermark_image

COPY_KINDS = ("reading", "copy", "certified")
PDF = "application/pdf"
# Image MIME type → the derivative's suffix and MIME type.
IMAGE_DERIVATIVES = {
    "image/jpeg": (".jpg", "image/jpeg"),
    "image/png": (".png", "image/png"),
    "image/tiff": (".tif", "image/tiff"),
    "image/gif": (".png", "image/png"),
}
MIME_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}


@dataclass(frozen=True)
class RenderedCopy:
    """What was made: the file, its MIME type and its page count."""

    path: Path
    mimetype: str
    pages: int | None  # None for an image derivative


def render_copy(
    kind: str,
    source: Path,
    mimetype: str,
    target_dir: Path,
    base_name: str,
    *,
    archive_name: str,
    signer: ArchiveSigner | None,
) -> RenderedCopy:
    """Make the ``kind`` copy of ``source`` (whose format is ``mimetype``) as ``target_dir/base_name``
    plus the suffix of what is made; AccessError when that copy cannot or must not be made."""
    if kind not in COPY_KINDS:
        raise AccessError("access_copies.unknown_kind", kind=kind, kinds=", ".join(COPY_KINDS))
    media = mimetype.split(";")[0].strip().lower()
    media = MIME_ALIASES.get(media, media)
    if media.startswith(("audio/", "video/")):
        raise AccessError("access_copies.av_not_copied", file=source.name, mimetype=media)
    if media != PDF and media not in IMAGE_DERIVATIVES:
        raise AccessError("access_copies.format_unsupported", file=source.name, mimetype=media or mimetype)
    if kind == "certified" and signer is None:
        raise AccessError("access_copies.no_signer")
    if not source.is_file():
        raise AccessError("access_copies.source_missing", file=source.name)
    if media == PDF:
        return _pdf_copy(kind, source, target_dir / f"{base_name}.pdf", archive_name, signer)
    return _image_copy(kind, source, media, target_dir, base_name, archive_name, signer)


def _pdf_copy(
    kind: str, source: Path, target: Path, archive_name: str, signer: ArchiveSigner | None
) -> RenderedCopy:
    if kind == "reading":
        pages = make_reading_copy(source, target, archive_name=archive_name)
    elif kind == "copy":
        pages = make_plain_copy(source, target, archive_name=archive_name)
    else:
        assert signer is not None
        pages = make_certified_copy(source, target, archive_name=archive_name, signer=signer)
    return RenderedCopy(path=target, mimetype=PDF, pages=pages)


def _image_copy(
    kind: str,
    source: Path,
    media: str,
    target_dir: Path,
    base_name: str,
    archive_name: str,
    signer: ArchiveSigner | None,
) -> RenderedCopy:
    if kind == "certified":
        assert signer is not None
        target = target_dir / f"{base_name}.pdf"
        with replacing(target) as laid_out:
            image_to_pdf(source, laid_out)
            try:
                pages = make_certified_copy(laid_out, laid_out, archive_name=archive_name, signer=signer)
            except AccessError as exc:
                raise about(exc, source) from exc
        return RenderedCopy(path=target, mimetype=PDF, pages=pages)
    suffix, derivative_type = IMAGE_DERIVATIVES[media]
    target = target_dir / f"{base_name}{suffix}"
    watermark_image(source, target, archive_name=archive_name, copy_mark=kind == "copy")
    return RenderedCopy(path=target, mimetype=derivative_type, pages=None)
