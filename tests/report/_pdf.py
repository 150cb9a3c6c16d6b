"""Text of the PDFs ReportLab writes: decode the content streams and their shown strings.

Enough for our own output (ASCII85 + Flate streams, literal strings shown with ``Tj``, the CID
font's UTF-16BE codes), so the tests need no PDF library.
"""

from __future__ import annotations

import base64
import re
import zlib

_STREAM = re.compile(rb"/Filter \[ /ASCII85Decode /FlateDecode \][^>]*>>\s*stream\r?\n(.*?)endstream", re.S)
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}


def _strings(content: bytes) -> list[bytes]:
    """Literal strings ``( … )`` shown by ``Tj`` in a content stream, unescaped."""
    out: list[bytes] = []
    i = 0
    while (i := content.find(b"(", i)) >= 0:
        depth, j, buf = 1, i + 1, bytearray()
        while depth and j < len(content):
            c = content[j]
            if c == 0x5C:  # backslash
                n = content[j + 1]
                if 0x30 <= n <= 0x37:
                    k = j + 1
                    digits = b""
                    while k < len(content) and len(digits) < 3 and 0x30 <= content[k] <= 0x37:
                        digits += content[k : k + 1]
                        k += 1
                    buf.append(int(digits, 8))
                    j = k
                    continue
                buf.append(_ESCAPES.get(n, n))
                j += 2
                continue
            if c == 0x28:
                depth += 1
            elif c == 0x29:
                depth -= 1
                if not depth:
                    break
            buf.append(c)
            j += 1
        if content[j + 1 : j + 5].strip().startswith(b"Tj"):
            out.append(bytes(buf))
        i = j + 1
    return out


def pdf_text(data: bytes) -> str:
    """All text the pages show, one shown string per line (CID strings decoded from UTF-16BE)."""
    lines = []
    for raw in _STREAM.findall(data):
        raw = raw.strip()
        if raw.endswith(b"~>"):
            raw = raw[:-2]
        content = zlib.decompress(base64.a85decode(raw))
        for s in _strings(content):
            lines.append(s.decode("utf-16-be", errors="replace") if len(s) % 2 == 0 else s.decode("latin-1"))
    return "\n".join(lines)


def page_count(data: bytes) -> int:
    """Number of pages (``/Type /Page`` objects)."""
    return len(re.findall(rb"/Type /Page\b", data))
