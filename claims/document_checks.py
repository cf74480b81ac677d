"""What an uploaded document must be before it is stored: a JPEG or PNG that Pillow decodes
within a pixel limit (stored re-encoded: anything after the image's end, EXIF and other
metadata are gone), or a PDF that pypdf parses, with no markup before or in its first kilobyte,
no scripts, automatic actions or attached files, and no stream that inflates past a limit.

The checks read the file's bytes only (never its name or declared type) and bound their work:
an image's size is checked on its header before it is decoded, and a PDF's streams are inflated
by counting, never kept, under a per-stream and a total cap. Everything else is refused with a
DocumentRefused that names the file and says what is wrong, in the claimant's language."""

from __future__ import annotations

import io
import re
import warnings
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, JpegImagePlugin
from pypdf import PdfReader, apply_configuration
from pypdf.errors import FileNotDecryptedError, LimitReachedError
from pypdf.filters import decode_stream_data
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
)

from claims.errors import ClaimError

IMAGE_FORMATS = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png"}
PDF = "application/pdf"

# Tags a browser sniffing the start of a file would take for a web page. Hex strings in a PDF
# (`<48656c6c6f>`) never match: each name has a letter after `<` that is not a hex digit soon.
_MARKUP = re.compile(
    rb"<\s*(?:!doctype|html|head|body|script|iframe|frame|svg|img|meta|style|object|embed"
    rb"|title|form|link|base|\?xml-stylesheet)\b",
    re.IGNORECASE,
)
_MARKUP_WINDOW = 1024
# What a PDF runs or opens by itself: actions (/S), annotations (/Subtype), attached files.
_ACTIVE_KEYS = {"/JS", "/JavaScript", "/AA", "/EmbeddedFile", "/EmbeddedFiles", "/EF", "/XFA"}
_ACTIVE_ACTIONS = {
    "/JavaScript",
    "/Launch",
    "/ImportData",
    "/SubmitForm",
    "/GoToE",
    "/Rendition",
    "/RichMediaExecute",
    "/Movie",
    "/Sound",
}
_ACTIVE_SUBTYPES = {"/FileAttachment", "/RichMedia", "/Movie", "/Sound", "/Screen", "/3D"}
# Image codecs: their data is measured as stored; the reviewer's viewer decodes it.
_IMAGE_FILTERS = {"/DCTDecode", "/DCT", "/JPXDecode", "/CCITTFaxDecode", "/CCF", "/JBIG2Decode"}
_FLATE = {"/FlateDecode", "/Fl"}
_INFLATE_CHUNK = 64 * 1024


class DocumentRefused(ClaimError):
    code = "file_refused"


@dataclass(frozen=True)
class CheckedDocument:
    content_type: str
    # The bytes to store: an image re-encoded, a PDF as it came.
    content: bytes
    reencoded: bool


def _display_name(name: str) -> str:
    return (name or "").replace("\n", " ").replace("\r", " ")[-80:] or "?"


def _refuse(message, code: str, name: str, **values: object) -> DocumentRefused:
    return DocumentRefused(message % {"name": _display_name(name), **values}, code=code)


def document_check(*, name: str, content: bytes) -> CheckedDocument:
    """The document to store for an upload of `content`, or DocumentRefused."""
    if content.startswith(b"%PDF-"):
        return _pdf_check(name, content)
    if content[:1] in (b"\x89", b"\xff"):  # PNG and JPEG signatures start so
        return _image_check(name, content)
    raise _refuse(
        _("“%(name)s” is not a PDF, JPEG or PNG. Please upload one of those."),
        "file_type_refused",
        name,
    )


# --- Images -------------------------------------------------------------------------------------


def _image_check(name: str, content: bytes) -> CheckedDocument:
    limit = settings.CLAIMS_IMAGE_MAX_PIXELS
    too_large = _refuse(
        _(
            "“%(name)s” is too large an image: the limit is %(limit)s megapixels. "
            "Please upload a smaller photo or scan."
        ),
        "image_too_large",
        name,
        limit=limit // 1_000_000,
    )
    unreadable = _unreadable(name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=("PNG", "JPEG")) as probe:
                # The header's size, before a pixel is decoded.
                if probe.format not in IMAGE_FORMATS:
                    raise unreadable
                if probe.width * probe.height > limit:
                    raise too_large
                probe.verify()
            with Image.open(io.BytesIO(content), formats=("PNG", "JPEG")) as image:
                image.load()
                return _reencode(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large from None
    except DocumentRefused:
        raise
    except Exception:  # Pillow raises many types for a damaged file; all mean the same here
        raise unreadable from None


def _reencode(image: Image.Image) -> CheckedDocument:
    """A new file of the image's pixels in its own format: what followed the image's end, EXIF,
    text chunks and comments are not carried over (the colour profile is: it is how the pixels
    look). A photo's orientation tag is applied to the pixels before it goes."""
    kind = IMAGE_FORMATS[image.format or ""]
    options: dict[str, object] = {}
    if icc := image.info.get("icc_profile"):
        options["icc_profile"] = icc
    if kind == "image/jpeg":
        # The source's own quantization tables and sampling: the copy keeps its quality.
        options["qtables"] = image.quantization  # type: ignore[attr-defined]
        sampling = JpegImagePlugin.get_sampling(image)
        if sampling != -1:
            options["subsampling"] = sampling
    elif "transparency" in image.info:
        options["transparency"] = image.info["transparency"]
    upright = ImageOps.exif_transpose(image)
    # Only what is passed to save() is written: Pillow would carry a JPEG comment, EXIF or a
    # profile over from `info`.
    upright.info = {}
    out = io.BytesIO()
    upright.save(out, "JPEG" if kind == "image/jpeg" else "PNG", **options)
    return CheckedDocument(content_type=kind, content=out.getvalue(), reencoded=True)


# --- PDF ----------------------------------------------------------------------------------------


def _unreadable(name: str) -> DocumentRefused:
    return _refuse(
        _(
            "“%(name)s” is damaged or cannot be read. Please save or scan it again and upload "
            "the new file."
        ),
        "file_unreadable",
        name,
    )


def _pdf_check(name: str, content: bytes) -> CheckedDocument:
    if _MARKUP.search(content[:_MARKUP_WINDOW]):
        raise _refuse(
            _(
                "“%(name)s” contains web page code, which a PDF document should not. Please "
                "save it again as a PDF, or scan it, and upload that."
            ),
            "pdf_markup",
            name,
        )
    per_stream = settings.CLAIMS_PDF_MAX_STREAM_BYTES
    too_much = _refuse(
        _(
            "“%(name)s” expands to far more data than a document needs. Please save it again "
            "as a PDF, or scan it, and upload that."
        ),
        "pdf_too_large",
        name,
    )
    caps = {
        f"{codec}_maximum_output_length": per_stream
        for codec in ("zlib", "lzw", "run_length", "brotli", "jbig2")
    }
    try:
        with apply_configuration(
            **caps,
            array_based_stream_maximum_output_length=per_stream,
            stream_decoding_work_maximum_length=per_stream,
            jbig2dec_binary=None,  # never run a decoder program on an upload
        ):
            reader = PdfReader(io.BytesIO(content), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise _refuse(
                    _(
                        "“%(name)s” is protected by a password. Please upload a copy without "
                        "the password."
                    ),
                    "pdf_encrypted",
                    name,
                )
            if len(reader.pages) < 1:
                raise _unreadable(name)
            _pdf_walk(reader, name=name, too_much=too_much)
    except DocumentRefused:
        raise
    except FileNotDecryptedError:
        raise _unreadable(name) from None
    except LimitReachedError:
        raise too_much from None
    except Exception:  # pypdf's errors for a broken file are of many types
        raise _unreadable(name) from None
    return CheckedDocument(content_type=PDF, content=content, reencoded=False)


def _pdf_objects(reader: PdfReader):
    """Every indirect object the file's cross-reference tables list."""
    seen: set[int] = set()
    for generation, numbers in reader.xref.items():
        for number in numbers:
            if number not in seen:
                seen.add(number)
                yield reader.get_object(IndirectObject(number, generation, reader))
    for number in reader.xref_objStm:
        if number not in seen:
            seen.add(number)
            yield reader.get_object(IndirectObject(number, 0, reader))


def _pdf_walk(reader: PdfReader, *, name: str, too_much: DocumentRefused) -> None:
    active = _refuse(
        _(
            "“%(name)s” contains scripts, automatic actions or attached files, which we do not "
            "accept. Please print it to a new PDF, or scan it, and upload that."
        ),
        "pdf_active_content",
        name,
    )
    total_limit = settings.CLAIMS_PDF_MAX_DECODED_BYTES
    total = 0
    for top in _pdf_objects(reader):
        pending: list[PdfObject | None] = [top]
        while pending:
            item = pending.pop()
            if isinstance(item, DictionaryObject):
                if _is_active(item):
                    raise active
                if isinstance(item, StreamObject):
                    total += _decoded_size(item)
                    if total > total_limit:
                        raise too_much
                pending.extend(item.values())
            elif isinstance(item, ArrayObject):
                pending.extend(item)


def _is_active(dictionary: DictionaryObject) -> bool:
    if any(key in dictionary for key in _ACTIVE_KEYS):
        return True
    # An opening destination (a page and a view) is fine; an opening action is not.
    if "/OpenAction" in dictionary and not isinstance(
        dictionary["/OpenAction"].get_object(), ArrayObject
    ):
        return True
    action = dictionary.get("/S")
    subtype = dictionary.get("/Subtype")
    return (isinstance(action, NameObject) and action in _ACTIVE_ACTIONS) or (
        isinstance(subtype, NameObject) and subtype in _ACTIVE_SUBTYPES
    )


def _filters(stream: StreamObject) -> list[str]:
    filters = stream.get("/Filter")
    if filters is None:
        return []
    filters = filters.get_object()
    if isinstance(filters, ArrayObject):
        return [str(f.get_object()) for f in filters]
    return [str(filters)]


def _decoded_size(stream: StreamObject) -> int:
    """How many bytes the stream inflates to, counted without keeping them; LimitReachedError
    past CLAIMS_PDF_MAX_STREAM_BYTES."""
    limit = settings.CLAIMS_PDF_MAX_STREAM_BYTES
    raw: bytes = stream._data
    filters = _filters(stream)
    if not filters or any(f in _IMAGE_FILTERS for f in filters):
        return len(raw)
    if len(filters) == 1 and filters[0] in _FLATE:
        try:
            return _inflated_size(raw, limit)
        except zlib.error:
            pass  # a slightly broken stream: pypdf's recovery below, under the same caps
    # Other filters and chains: pypdf decodes them under the per-stream caps set by the caller.
    return len(decode_stream_data(stream))


def _inflated_size(raw: bytes, limit: int) -> int:
    """zlib output counted a chunk at a time: memory stays at one chunk whatever the ratio."""
    inflater = zlib.decompressobj()
    size = 0
    view = memoryview(raw)
    for start in range(0, len(raw), _INFLATE_CHUNK):
        pending: bytes | memoryview = view[start : start + _INFLATE_CHUNK]
        while pending:
            size += len(inflater.decompress(pending, _INFLATE_CHUNK))
            if size > limit:
                raise LimitReachedError("a stream inflates past the limit")
            pending = inflater.unconsumed_tail
        if inflater.eof:
            break
    return size
