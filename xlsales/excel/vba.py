"""Read the VBA modules of a workbook's ``vbaProject.bin`` (read only: openpyxl cannot write VBA).

Used to check which macros a template really defines before a ribbon button is wired to one. The
source of each module is stored compressed (MS-OVBA 2.4.1) after an offset given in the ``dir``
stream; this reads just enough of that stream to find the module names and offsets.
"""
from __future__ import annotations

import re
import struct


def decompress(data: bytes) -> bytes:
    """MS-OVBA run-length decompression of a compressed container."""
    if not data or data[0] != 1:
        raise ValueError("not a compressed VBA container")
    out, pos = bytearray(), 1
    while pos < len(data):
        header = struct.unpack_from("<H", data, pos)[0]
        size, compressed = (header & 0x0FFF) + 3, header & 0x8000
        chunk_end, pos, start = min(pos + size, len(data)), pos + 2, len(out)
        if not compressed:
            out += data[pos:pos + 4096]
            pos += 4096
            continue
        while pos < chunk_end:
            flags, pos = data[pos], pos + 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags & (1 << bit):
                    out.append(data[pos])
                    pos += 1
                    continue
                token, pos = struct.unpack_from("<H", data, pos)[0], pos + 2
                bits = max((len(out) - start - 1).bit_length(), 4)
                length_mask = 0xFFFF >> bits
                offset, length = (token >> (16 - bits)) + 1, (token & length_mask) + 3
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)


def _modules(dir_stream: bytes) -> list[tuple[str, int]]:
    """(stream name, source offset) for each module listed in the decompressed ``dir`` stream."""
    modules, pos, name = [], 0, None
    while pos + 6 <= len(dir_stream):
        record_id, size = struct.unpack_from("<HI", dir_stream, pos)
        if record_id == 0x0009:  # PROJECTVERSION: fixed size 6 regardless of the size field
            size = 6
        body = dir_stream[pos + 6:pos + 6 + size]
        if record_id == 0x001A:  # MODULESTREAMNAME
            name = body.decode("latin-1")
        elif record_id == 0x0031 and name is not None:  # MODULEOFFSET
            modules.append((name, struct.unpack("<I", body)[0]))
            name = None
        pos += 6 + size
    return modules


def modules(vba_project: bytes) -> dict[str, str]:
    """{module name: VBA source} of a ``vbaProject.bin``."""
    import io

    import olefile

    ole = olefile.OleFileIO(io.BytesIO(vba_project))
    listing = decompress(ole.openstream("VBA/dir").read())
    sources = {}
    for name, offset in _modules(listing):
        stream = ole.openstream(f"VBA/{name}").read()
        sources[name] = decompress(stream[offset:]).decode("latin-1")
    return sources


def procedures(vba_project: bytes) -> dict[str, str]:
    """{"Module.Procedure": "(parameters)"} for every Sub and Function in the project."""
    found = {}
    pattern = re.compile(r"^\s*(?:Public\s+|Private\s+)?(?:Sub|Function)\s+(\w+)\s*(\([^)]*\))", re.M | re.I)
    for module, source in modules(vba_project).items():
        for match in pattern.finditer(source):
            found[f"{module}.{match.group(1)}"] = match.group(2)
    return found
