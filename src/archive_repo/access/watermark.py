"""Images for researchers (TT05 art. 37, 40, 41): a watermarked derivative for reading copies and copies,
and the image laid on PDF pages for a certified copy (which is then stamped and signed as a PDF).

The derivative keeps the source's format (a GIF becomes a PNG), pixel size and resolution, with the
archive's name at the bottom centre and, for a copy, ``BẢN SAO`` at the top right, in the serif font of
copies at the size 10 pt has at the image's resolution (200 dpi when it declares none), but never
smaller than SMALLEST_TEXT_PX nor than SMALLEST_TEXT_SHARE of the shorter side (cameras declare 72 dpi
for photographs thousands of pixels wide, where 10 pt would be a speck), and never wider than the image.
The text is black with a thin white halo, so it stays legible on dark photographs. EXIF orientation is
applied first, so "bottom" and "top right" are where the viewer sees them. Every frame of a multi-page
TIFF is marked (``BẢN SAO`` on the first only); of an animated GIF, the first frame is the copy. The
source file is only read.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator
from pathlib import Path

import pikepdf
from pikepdf import Name
from PIL import Image, ImageColor, ImageDraw, ImageFont, ImageOps, ImageSequence, UnidentifiedImageError

from archive_repo.access.errors import AccessError
from archive_repo.access.fonts import find_serif_font, nfc_text
from archive_repo.access.signing import replacing

COPY_MARK = "BẢN SAO"
DEFAULT_DPI = 200.0  # TT05 art. 8: the resolution of digitised records
FONT_POINTS = 10.0
SMALLEST_TEXT_PX = 12
SMALLEST_TEXT_SHARE = 0.015
SMALLEST_FITTED_PX = 6
MARK_MARGIN_MM = 10.0
NAME_MARGIN_MM = 8.0
MARGIN_SHARE = 0.05  # on a small image, a margin is at most this share of the side
LARGEST_PAGE_POINTS = 14400.0  # the largest page a PDF viewer must support (200 inches)

# Pillow format written for a target suffix.
FORMAT_BY_SUFFIX = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF"}
# Pillow format of a derivative, by the source's Pillow format.
DERIVATIVE_FORMAT = {"JPEG": "JPEG", "PNG": "PNG", "TIFF": "TIFF", "GIF": "PNG", "MPO": "JPEG"}


def watermark_image(source: Path, target: Path, *, archive_name: str, copy_mark: bool) -> None:
    """Write the watermarked derivative of ``source`` to ``target`` (atomically); its format is the
    target's suffix (.jpg, .png, .tif), else the source's (a GIF becomes a PNG)."""
    name = _archive_name(archive_name)
    with _open_image(source) as image:
        output_format = _output_format(target, image)
        dpi = _dpi(image)
        frames = _frames(image, source, all_frames=output_format == "TIFF" and image.format == "TIFF")
        marked = [
            _watermarked(_drawable(frame, output_format), name, copy_mark and index == 0, dpi)
            for index, frame in enumerate(frames)
        ]
        options = _save_options(image, output_format, dpi)
    if len(marked) > 1:
        options.update(save_all=True, append_images=marked[1:])
    with replacing(target) as temporary:
        marked[0].save(temporary, format=output_format, **options)


def image_to_pdf(source: Path, target: Path) -> None:
    """``source`` as a PDF, one page per frame (multi-page TIFF), each page the image's size at its
    resolution. A JPEG is embedded as it is (no recompression); other images losslessly (Flate)."""
    with _open_image(source) as image:
        dpi = _dpi(image)
        frames = _frames(image, source, all_frames=image.format == "TIFF")
        pdf = pikepdf.new()
        for frame in frames:
            xobject = _jpeg_as_is(pdf, image, source, len(frames))
            if xobject is None:
                xobject = _flate_image(pdf, frame)
            _add_image_page(pdf, xobject, frame.size, dpi)
    with replacing(target) as temporary:
        pdf.save(temporary)


# --------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _open_image(source: Path) -> Iterator[Image.Image]:
    try:
        image = Image.open(source)
    except FileNotFoundError as exc:
        raise AccessError("access_copies.source_missing", file=source.name) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _unreadable(source, exc) from exc
    with image:
        yield image


def _frames(image: Image.Image, source: Path, *, all_frames: bool) -> list[Image.Image]:
    """Decoded, upright copies of the frames (every frame, or the first)."""
    frames: list[Image.Image] = []
    try:
        for frame in ImageSequence.Iterator(image):
            frames.append(ImageOps.exif_transpose(frame))  # a new, upright image: the iterator reuses frame
            if not all_frames:
                break
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise _unreadable(source, exc) from exc
    if not frames:
        raise _unreadable(source, ValueError("no image data"))
    return frames


def _unreadable(source: Path, exc: BaseException) -> AccessError:
    return AccessError("access_copies.image_unreadable", file=source.name, reason=str(exc) or repr(exc))


def _dpi(image: Image.Image) -> float:
    """The horizontal resolution the image declares, when it is plausible; DEFAULT_DPI otherwise."""
    declared = image.info.get("dpi")
    try:
        value = float(declared[0]) if declared else 0.0
    except (TypeError, ValueError, IndexError):
        value = 0.0
    return value if 30.0 <= value <= 10000.0 else DEFAULT_DPI


def _output_format(target: Path, image: Image.Image) -> str:
    by_suffix = FORMAT_BY_SUFFIX.get(target.suffix.lower())
    return by_suffix or DERIVATIVE_FORMAT.get(image.format or "", "PNG")


# --------------------------------------------------------------------------------------------------
# Drawing the watermark
# --------------------------------------------------------------------------------------------------


def _drawable(frame: Image.Image, output_format: str) -> Image.Image:
    """``frame`` in a mode Pillow draws text in and ``output_format`` can store."""
    mode = frame.mode
    if mode in ("P", "PA"):
        transparent = mode == "PA" or "transparency" in frame.info
        frame = frame.convert("RGBA" if transparent and output_format != "JPEG" else "RGB")
    elif mode == "1":
        frame = frame.convert("L")
    elif mode.startswith("I") or mode == "F":
        frame = _to_8_bit(frame)
    elif mode not in ("L", "LA", "RGB", "RGBA", "CMYK"):
        frame = frame.convert("RGB")
    if output_format == "JPEG" and frame.mode in ("LA", "RGBA"):
        frame = frame.convert(frame.mode[:-1])
    return frame


def _to_8_bit(frame: Image.Image) -> Image.Image:
    """16-bit and float greyscale scaled into 8 bits (Pillow's own conversion clips, it does not scale)."""
    low, high = frame.getextrema()
    span = float(high - low) or 1.0
    return frame.convert("F").point(lambda value: (value - low) * 255.0 / span).convert("L")


def _watermarked(frame: Image.Image, archive_name: str, with_mark: bool, dpi: float) -> Image.Image:
    width, height = frame.size
    size = round(max(SMALLEST_TEXT_PX, FONT_POINTS * dpi / 72, SMALLEST_TEXT_SHARE * min(width, height)))
    draw = ImageDraw.Draw(frame)
    ink = {
        "fill": ImageColor.getcolor("black", frame.mode),
        "stroke_fill": ImageColor.getcolor("white", frame.mode),
    }
    side = _margin(NAME_MARGIN_MM, dpi, width)
    name_font = _fitting_font(archive_name, size, width - 2 * side)
    bottom = height - _margin(NAME_MARGIN_MM, dpi, height)
    draw.text(
        (width / 2, bottom), archive_name, font=name_font, anchor="ms", stroke_width=_halo(name_font), **ink
    )
    if with_mark:
        right = width - _margin(MARK_MARGIN_MM, dpi, width)
        mark_font = _fitting_font(COPY_MARK, size, right - side)
        top = _margin(MARK_MARGIN_MM, dpi, height)
        draw.text((right, top), COPY_MARK, font=mark_font, anchor="ra", stroke_width=_halo(mark_font), **ink)
    return frame


def _margin(millimetres: float, dpi: float, side: int) -> float:
    return min(millimetres * dpi / 25.4, side * MARGIN_SHARE)


def _font(pixels: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(str(find_serif_font()), pixels)
    except OSError as exc:
        raise AccessError("access_font.unreadable", path=str(find_serif_font()), detail=str(exc)) from exc


def _fitting_font(text: str, pixels: int, room: float) -> ImageFont.FreeTypeFont:
    """The font at ``pixels``, or smaller so that ``text`` fits in ``room`` (down to a floor)."""
    font = _font(pixels)
    length = font.getlength(text)
    if length > room > 0:
        font = _font(max(SMALLEST_FITTED_PX, int(pixels * room / length)))
    return font


def _halo(font: ImageFont.FreeTypeFont) -> int:
    return max(1, round(font.size / 12))


def _save_options(image: Image.Image, output_format: str, dpi: float) -> dict:
    options: dict = {"dpi": (dpi, dpi)}
    if image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]
    if output_format == "JPEG":
        options["quality"] = 92
    elif output_format == "TIFF":
        options["compression"] = "tiff_lzw"
    return options


def _archive_name(archive_name: str) -> str:
    name = nfc_text(" ".join(archive_name.split()))
    if not name:
        raise AccessError("access_copies.archive_name_empty")
    return name


# --------------------------------------------------------------------------------------------------
# Image → PDF
# --------------------------------------------------------------------------------------------------


def _jpeg_as_is(pdf: pikepdf.Pdf, image: Image.Image, source: Path, frames: int) -> pikepdf.Stream | None:
    """The JPEG's own bytes as a DCTDecode image, when they can be shown as they are: greyscale or RGB,
    one frame, no EXIF turn to apply."""
    orientation = image.getexif().get(0x0112, 1)
    if image.format != "JPEG" or frames != 1 or image.mode not in ("L", "RGB") or orientation != 1:
        return None
    width, height = image.size
    return pikepdf.Stream(
        pdf,
        source.read_bytes(),
        Type=Name.XObject,
        Subtype=Name.Image,
        Width=width,
        Height=height,
        ColorSpace=Name.DeviceGray if image.mode == "L" else Name.DeviceRGB,
        BitsPerComponent=8,
        Filter=Name.DCTDecode,
    )


def _flate_image(pdf: pikepdf.Pdf, frame: Image.Image) -> pikepdf.Stream:
    frame = _pdf_pixels(frame)
    width, height = frame.size
    return pikepdf.Stream(
        pdf,
        zlib.compress(frame.tobytes(), 6),
        Type=Name.XObject,
        Subtype=Name.Image,
        Width=width,
        Height=height,
        ColorSpace={"L": Name.DeviceGray, "RGB": Name.DeviceRGB, "CMYK": Name.DeviceCMYK}[frame.mode],
        BitsPerComponent=8,
        Filter=Name.FlateDecode,
    )


def _pdf_pixels(frame: Image.Image) -> Image.Image:
    """``frame`` as 8-bit grey, RGB or CMYK; transparency flattened onto white (as a viewer shows it)."""
    if frame.mode in ("L", "RGB", "CMYK"):
        return frame
    if frame.mode == "1":
        return frame.convert("L")
    if frame.mode.startswith("I") or frame.mode == "F":
        return _to_8_bit(frame)
    rgba = frame.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def _add_image_page(pdf: pikepdf.Pdf, xobject: pikepdf.Stream, pixels: tuple[int, int], dpi: float) -> None:
    width, height = (side * 72.0 / dpi for side in pixels)
    scale = min(1.0, LARGEST_PAGE_POINTS / max(width, height))
    width, height = width * scale, height * scale
    page = pdf.add_blank_page(page_size=(width, height))
    name = page.add_resource(pdf.make_indirect(xobject), Name.XObject, prefix="Image")
    page.contents_add(pdf.make_stream(f"q {width:.4f} 0 0 {height:.4f} 0 0 cm {name} Do Q\n".encode("ascii")))
