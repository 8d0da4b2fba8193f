"""Uploaded images: checked by content (not by name), re-encoded without metadata, stored in the database."""

import io
import secrets

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.errors import ServiceError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1600
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class StoredImage:
    """Columns of an image kept in the database (mixin for each feature's image table)."""

    token: Mapped[str] = mapped_column(String(32), unique=True)
    content_type: Mapped[str] = mapped_column(String(30))
    width: Mapped[int]
    height: Mapped[int]
    alt: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # never loaded with listings


def process_upload(stream, alt: str = "") -> dict:
    """Validate an uploaded image and return the column values of a clean copy (EXIF, GPS and comments dropped)."""
    raw = stream.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ServiceError(_l("Each image must be smaller than 5 MB."), field="images")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            fmt = probe.format
            if fmt not in ALLOWED_FORMATS:
                raise ServiceError(_l("Only JPEG, PNG and WebP images are accepted."), field="images")
            if probe.width * probe.height > MAX_PIXELS:
                raise ServiceError(_l("This image is too large."), field="images")
            probe.verify()
        with Image.open(io.BytesIO(raw)) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            if fmt == "JPEG" or image.mode not in ("RGBA", "LA", "P"):
                image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
                content_type = "image/jpeg"
            else:
                image.convert("RGBA").save(out, "PNG", optimize=True)
                content_type = "image/png"
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ServiceError(_l("This file is not an image we can read."), field="images")
    return {
        "token": secrets.token_urlsafe(16),
        "content_type": content_type,
        "width": width,
        "height": height,
        "alt": alt.strip()[:200],
        "data": out.getvalue(),
    }
