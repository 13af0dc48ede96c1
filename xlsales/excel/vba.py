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


# ---------------------------------------------------------------------------------------------
# Writing: a module added to a project (source only; Office compiles it when the file opens)

def compress(data: bytes) -> bytes:
    """MS-OVBA 2.4.1 compression: a container of chunks of 4 096 decompressed bytes, each a sequence
    of literal bytes and copy tokens (offset, length) into the chunk's earlier bytes."""
    out = bytearray(b"\x01")
    for chunk_start in range(0, len(data), 4096):
        chunk = data[chunk_start:chunk_start + 4096]
        body, pos, seen = bytearray(), 0, {}
        while pos < len(chunk):
            flag_at, flags = len(body), 0
            body.append(0)
            for bit in range(8):
                if pos >= len(chunk):
                    break
                bits = max((pos - 1).bit_length(), 4) if pos else 4
                max_length = (0xFFFF >> bits) + 3
                best_length, best_offset = 0, 0
                for candidate in reversed(seen.get(chunk[pos:pos + 3], ())[-64:]):
                    length = 0
                    while (length < max_length and pos + length < len(chunk)
                           and chunk[candidate + length] == chunk[pos + length]):
                        length += 1
                    if length > best_length:
                        best_length, best_offset = length, pos - candidate
                step = best_length if best_length >= 3 else 1
                if step >= 3:
                    flags |= 1 << bit
                    body += struct.pack("<H", ((best_offset - 1) << (16 - bits)) | (best_length - 3))
                else:
                    body.append(chunk[pos])
                for i in range(pos, pos + step):
                    seen.setdefault(chunk[i:i + 3], []).append(i)
                pos += step
            body[flag_at] = flags
        if len(body) <= 4096:
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body
        else:  # incompressible: a raw chunk, which must hold exactly 4 096 bytes
            out += struct.pack("<H", 0x3FFF) + chunk.ljust(4096, b"\0")
    return bytes(out)


def _records(dir_stream: bytes) -> list[tuple[int, bytes]]:
    """The decompressed ``dir`` stream as (record id, body) pairs, in order."""
    records, pos = [], 0
    while pos + 6 <= len(dir_stream):
        record_id, size = struct.unpack_from("<HI", dir_stream, pos)
        if record_id == 0x0009:  # PROJECTVERSION: its size field says 4, but 6 bytes follow
            size = 6
        records.append((record_id, dir_stream[pos + 6:pos + 6 + size]))
        pos += 6 + size
    return records


def _dir_bytes(records) -> bytes:
    out = bytearray()
    for record_id, body in records:
        size = 4 if record_id == 0x0009 else len(body)
        out += struct.pack("<HI", record_id, size) + body
    return bytes(out)


def _module_record(name: str, codepage: str) -> list[tuple[int, bytes]]:
    """The records that describe a procedural (standard) module whose source starts at offset 0."""
    mbcs, unicode = name.encode(codepage), name.encode("utf-16-le")
    return [(0x0019, mbcs), (0x0047, unicode), (0x001A, mbcs), (0x0032, unicode), (0x001C, b""),
            (0x0048, b""), (0x0031, struct.pack("<I", 0)), (0x001E, struct.pack("<I", 0)),
            (0x002C, struct.pack("<H", 0xFFFF)), (0x0021, b""), (0x002B, b"")]


NO_CACHE = bytes.fromhex("CC61FFFF000000")  # _VBA_PROJECT without a performance cache (version 0xFFFF)


def with_module(vba_project: bytes, name: str, source: str) -> bytes:
    """``vba_project`` with a standard module ``name`` holding ``source`` (replacing one of that name).

    Only source is stored: ``_VBA_PROJECT`` says there is no compiled cache, so Office compiles
    every module from its source when the file is opened, as it does for xlwings' own add-in.
    """
    import io

    import olefile

    from xlsales.excel import cfb

    ole = olefile.OleFileIO(io.BytesIO(vba_project))
    streams = {"/".join(path): ole.openstream(path).read() for path in ole.listdir(streams=True)}
    records = _records(decompress(streams["VBA/dir"]))
    codepage = f"cp{struct.unpack('<H', dict(records)[0x0003])[0]}"
    modules = [(i, body.decode(codepage)) for i, (rid, body) in enumerate(records) if rid == 0x0019]
    old = next((i for i, module in modules if module == name), None)
    if old is not None:  # drop the existing module's records, up to its terminator
        end = next(i for i in range(old, len(records)) if records[i][0] == 0x002B)
        del records[old:end + 1]
    terminator = max(i for i, (rid, _) in enumerate(records) if rid == 0x0010)
    records[terminator:terminator] = _module_record(name, codepage)
    count = sum(1 for rid, _ in records if rid == 0x0019)
    records = [(rid, struct.pack("<H", count) if rid == 0x000F else body) for rid, body in records]

    text = source.replace("\r\n", "\n").replace("\n", "\r\n")
    if not text.startswith("Attribute VB_Name"):
        text = f'Attribute VB_Name = "{name}"\r\n' + text
    streams[f"VBA/{name}"] = compress(text.encode(codepage))
    streams["VBA/dir"] = compress(_dir_bytes(records))
    streams["VBA/_VBA_PROJECT"] = NO_CACHE
    for key in [k for k in streams if k.startswith("VBA/__SRP_")]:  # compiled caches, now stale
        del streams[key]
    project = streams["PROJECT"].decode(codepage)
    lines = [line for line in project.split("\r\n") if line not in (f"Module={name}",)
             and not line.startswith(f"{name}=")]
    last_module = max(i for i, line in enumerate(lines)
                      if line.split("=", 1)[0] in ("Module", "Document", "Class", "BaseClass", "Package"))
    lines.insert(last_module + 1, f"Module={name}")
    if "[Workspace]" in lines:
        at = lines.index("[Workspace]") + 1
        while at < len(lines) and lines[at]:
            at += 1
        lines.insert(at, f"{name}=0, 0, 0, 0, C")
    streams["PROJECT"] = "\r\n".join(lines).encode(codepage)
    if "PROJECTwm" in streams:
        streams["PROJECTwm"] = _with_wm_name(streams["PROJECTwm"], name, codepage)
    return cfb.write(streams)


def _with_wm_name(raw: bytes, name: str, codepage: str) -> bytes:
    """The PROJECTwm stream (each module's name in MBCS and UTF-16) with ``name`` listed once."""
    pairs, pos = [], 0
    while pos < len(raw) and raw[pos] != 0:
        end = raw.index(b"\0", pos)
        unicode_end = end + 1
        while raw[unicode_end:unicode_end + 2] != b"\0\0":
            unicode_end += 2
        pairs.append((raw[pos:end], raw[end + 1:unicode_end]))
        pos = unicode_end + 2
    mbcs = name.encode(codepage)
    pairs = [pair for pair in pairs if pair[0] != mbcs] + [(mbcs, name.encode("utf-16-le"))]
    return b"".join(m + b"\0" + u + b"\0\0" for m, u in pairs) + b"\0\0"
