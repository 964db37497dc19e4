"""Checks on files people attach, and how a stored attachment is sent back to staff.

An attachment is accepted only as PDF, PNG or JPEG, recognised by its content; the file
name's extension must agree, and a file that a browser could also read as HTML, SVG or XML
(a "polyglot") is refused. The content type found here is stored with the file and is the
only one it is ever served with.
"""

from __future__ import annotations

import io
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db.models.fields.files import FieldFile
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# Pixels of an image we agree to decode (a 600 dpi A3 scan is about 70 million).
MAX_IMAGE_PIXELS = 80_000_000
EDGE_BYTES = 4096

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
SIGNATURES = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
)
EXTENSIONS = {PDF: (".pdf",), PNG: (".png",), JPEG: (".jpg", ".jpeg")}
# Images are shown in the browser under the sandboxing policy. A PDF keeps its type but is
# downloaded and opened by the viewer: Chromium shows no PDF in a sandboxed document.
INLINE_TYPES = frozenset({PNG, JPEG})
SERVED_TYPES = frozenset(EXTENSIONS)
MARKUP = (
    b"<html",
    b"<script",
    b"<svg",
    b"<body",
    b"<iframe",
    b"<object",
    b"<embed",
    b"<?xml",
    b"<!doctype",
)

MESSAGES = {
    "too_big": _("添付ファイルは5MB以下にしてください。"),
    "type": _("添付できるのはPDF・JPEG・PNG形式のファイルです。"),
    "extension": _(
        "ファイル名の拡張子がファイルの内容と合いません。"
        "PDFは「.pdf」、PNGは「.png」、JPEGは「.jpg」のファイル名で添付してください。"
    ),
    "markup": _("HTMLなどを含むファイルは添付できません。PDF・JPEG・PNG形式で添付してください。"),
    "broken": _("ファイルが壊れているか、読み取れません。別のファイルを添付してください。"),
    "no_pages": _("ページのないPDFは添付できません。"),
}


def _refuse(code: str) -> ValidationError:
    return ValidationError(MESSAGES[code], code=f"upload_{code}")


def sniff_upload(uploaded_file: File) -> str:
    """The content type of an attached file, found from its bytes; ``ValidationError`` if refused.

    The file is left at its start, ready to be stored.
    """
    size = uploaded_file.size
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise _refuse("too_big")
    uploaded_file.seek(0)
    data = uploaded_file.read(MAX_UPLOAD_BYTES + 1)
    uploaded_file.seek(0)
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refuse("too_big")
    content_type = next((t for sig, t in SIGNATURES if data.startswith(sig)), None)
    if content_type is None:
        raise _refuse("type")
    if Path(uploaded_file.name or "").suffix.lower() not in EXTENSIONS[content_type]:
        raise _refuse("extension")
    edges = (data[:EDGE_BYTES] + b"\n" + data[-EDGE_BYTES:]).lower()
    if any(tag in edges for tag in MARKUP):
        raise _refuse("markup")
    if content_type == PDF:
        _check_pdf(data)
    else:
        _check_image(data, content_type)
    return content_type


def extension_of(content_type: str) -> str:
    """The file extension (without the dot) a file of an accepted type is stored under."""
    return EXTENSIONS[content_type][0].lstrip(".")


def _check_pdf(data: bytes) -> None:
    try:
        from pypdf import PdfReader
    except ImportError:  # pragma: no cover - pypdf is in the lock file
        if b"%%EOF" not in data[-1024:]:
            raise _refuse("broken") from None
        return
    try:
        pages = len(PdfReader(io.BytesIO(data)).pages)
    except Exception as exc:  # pypdf raises many kinds of errors on broken files
        raise _refuse("broken") from exc
    if pages < 1:
        raise _refuse("no_pages")


def _check_image(data: bytes, content_type: str) -> None:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is in the lock file
        _check_image_structure(data, content_type)
        return
    expected = "PNG" if content_type == PNG else "JPEG"
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != expected:
                raise _refuse("type")
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise _refuse("too_big")
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except ValidationError:
        raise
    except Exception as exc:  # Pillow raises many kinds of errors on broken files
        raise _refuse("broken") from exc


def _check_image_structure(data: bytes, content_type: str) -> None:
    if content_type == PNG:
        ok = data[12:16] == b"IHDR" and data.rstrip(b"\x00")[-8:-4] == b"IEND"
    else:
        ok = data.rstrip(b"\x00")[-2:] == b"\xff\xd9"
    if not ok:
        raise _refuse("broken")


def stored_file_response(file: FieldFile, *, content_type: str, filename: str) -> FileResponse:
    """Send a stored attachment with the content type stored with it, never one guessed.

    PNG and JPEG are shown inline, a PDF is downloaded with its type; any other (or no)
    stored type is downloaded as ``application/octet-stream``. The browser is told not to sniff, to run nothing in it,
    and to keep no copy.
    """
    if content_type in INLINE_TYPES:
        disposition = f'inline; filename="{filename}.{extension_of(content_type)}"'
    elif content_type in SERVED_TYPES:
        disposition = f'attachment; filename="{filename}.{extension_of(content_type)}"'
    else:
        content_type = "application/octet-stream"
        disposition = f'attachment; filename="{filename}"'
    response = FileResponse(file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "no-store"
    return response
