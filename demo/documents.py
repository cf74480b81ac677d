"""Small well-formed documents: the demo's claim attachments and the tests' uploads.

The upload checks (claims/document_checks.py) parse what they accept, so these must be real
files: a one-page PDF that pypdf parses strictly and a 4x4 PNG as Pillow writes it (stored
re-encoded, it comes out byte for byte the same)."""

PDF = (
    b"%PDF-1.3\n1 0 obj\n<< /Type /Pages /Count 1 /Kids [ 3 0 R ] >>\nendobj\n"
    b"2 0 obj\n<< /Type /Catalog /Pages 1 0 R >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Resources << >> /MediaBox [ 0 0 612 792 ] /Parent 1 0 R >>\n"
    b"endobj\nxref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000068 00000 n \n"
    b"0000000117 00000 n \ntrailer\n<< /Size 4 /Root 2 0 R >>\nstartxref\n207\n%%EOF\n"
)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x04\x00\x00\x00\x04\x08\x02\x00\x00\x00&\x93\t)"
    b"\x00\x00\x00\x14IDATx\x9cc<!'\xc7\x00\x03L\x0cH\x007\x07\x004v\x01\x0c\xafj\xb9\xb5\x00\x00\x00\x00IEND\xaeB`\x82"
)


def pdf_tagged(tag: bytes) -> bytes:
    """The PDF above made distinct by a file identifier in its trailer (after the xref, so no
    offset moves and the file still ends with %%EOF)."""
    return PDF.replace(b"/Root 2 0 R >>", b"/Root 2 0 R /ID [<%s> <%s>] >>" % (tag, tag))
