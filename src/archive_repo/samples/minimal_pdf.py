"""A tiny, valid one-page PDF writer for sample documents: text lines plus optional padding bytes.

Text is drawn with the standard Helvetica font, so it is limited to Latin-1; Vietnamese text is written
without diacritics (the metadata records carry the real Vietnamese).
"""

from __future__ import annotations

import hashlib
import unicodedata


def ascii_fold(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return (
        "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        .encode("latin-1", "replace")
        .decode("latin-1")
    )


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _padding(size: int, seed: str) -> bytes:
    """Incompressible, reproducible bytes (so ZIPs and benchmarks see realistic sizes)."""
    out = bytearray()
    counter = 0
    base = seed.encode()
    while len(out) < size:
        out += hashlib.sha256(base + counter.to_bytes(8, "big")).digest() * 1
        counter += 1
    return bytes(out[:size])


def make_pdf(lines: list[str], padding_bytes: int = 0, seed: str = "") -> bytes:
    """A one-page A4 PDF showing ``lines``; ``padding_bytes`` of image data make it as large as wanted."""
    text_ops = ["BT", "/F1 12 Tf", "56 780 Td", "16 TL"]
    for line in lines:
        text_ops.append(f"({_escape(ascii_fold(line))}) '")
    text_ops.append("ET")
    content = "\n".join(text_ops).encode("latin-1")
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >>"
        + (b" /XObject << /Im1 6 0 R >>" if padding_bytes else b"")
        + b" >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    if padding_bytes:
        data = _padding(padding_bytes, seed or "\n".join(lines))
        width = 1024
        height = max(1, len(data) // (width * 3))
        data = data[: width * height * 3]
        objects.append(
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Length %d >>\nstream\n"
            % (width, height, len(data))
            + data
            + b"\nendstream"
        )
    output = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(output)
    output += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        output += b"%010d 00000 n \n" % offset
    output += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(output)
