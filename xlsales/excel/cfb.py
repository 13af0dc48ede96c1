"""Write a Compound File Binary (MS-CFB, version 3) holding storages and streams.

A ``vbaProject.bin`` is such a file. olefile reads them but can only overwrite a stream with one of
the same size, and adding a VBA module changes the size of several; so ``excel-setup`` reads the
template's streams with olefile and writes the whole file anew with ``write``.

Layout: 512-byte sectors; streams under 4096 bytes live in the mini stream (64-byte sectors), as
the format requires; the directory is a red-black tree per storage, built balanced from the names
in the format's order (shorter names first, then by upper-case UTF-16 code units).
"""
from __future__ import annotations

import struct

SECTOR, MINI_SECTOR, MINI_CUTOFF = 512, 64, 4096
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
STORAGE, STREAM, ROOT = 1, 2, 5
RED, BLACK = 0, 1
SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")


class _Entry:
    def __init__(self, name: str, kind: int, data: bytes = b""):
        if len(name) > 31:
            raise ValueError(f"compound file: name {name!r} is longer than 31 characters")
        self.name, self.kind, self.data = name, kind, data
        self.children: dict[str, _Entry] = {}
        self.left = self.right = self.child = NOSTREAM
        self.color, self.start, self.index = BLACK, ENDOFCHAIN, 0


def _order(name: str):
    return len(name), name.upper()


def _tree(entries: list[_Entry], depth: int, last_level: int, full: bool) -> int:
    """Index of the root of a balanced tree of ``entries`` (sorted); the deepest level of a tree
    that is not perfect is red, so every path holds the same number of black entries."""
    if not entries:
        return NOSTREAM
    middle = len(entries) // 2
    node = entries[middle]
    node.color = RED if depth == last_level and not full else BLACK
    node.left = _tree(entries[:middle], depth + 1, last_level, full)
    node.right = _tree(entries[middle + 1:], depth + 1, last_level, full)
    return node.index


def _sectors(data: bytes, size: int) -> int:
    return -(-len(data) // size)


def write(streams: dict[str, bytes]) -> bytes:
    """A compound file with ``streams`` ({"VBA/dir": bytes, "PROJECT": bytes, ...}); storages are
    made from the paths."""
    root = _Entry("Root Entry", ROOT)
    for path, data in streams.items():
        *folders, name = path.split("/")
        parent = root
        for folder in folders:
            parent = parent.children.setdefault(folder, _Entry(folder, STORAGE))
        parent.children[name] = _Entry(name, STREAM, bytes(data))

    ordered = [root]                        # directory order: breadth-first from the root
    for entry in ordered:
        ordered.extend(sorted(entry.children.values(), key=lambda e: _order(e.name)))
    for index, entry in enumerate(ordered):
        entry.index = index
    for entry in ordered:
        children = sorted(entry.children.values(), key=lambda e: _order(e.name))
        if children:
            last_level = len(children).bit_length() - 1
            entry.child = _tree(children, 0, last_level, len(children) + 1 == 1 << (last_level + 1))

    mini, mini_fat = bytearray(), []
    big = []
    for entry in ordered:
        if entry.kind != STREAM:
            continue
        if len(entry.data) < MINI_CUTOFF:
            if not entry.data:
                continue
            entry.start = len(mini) // MINI_SECTOR
            count = _sectors(entry.data, MINI_SECTOR)
            mini_fat += [entry.start + i + 1 for i in range(count - 1)] + [ENDOFCHAIN]
            mini += entry.data.ljust(count * MINI_SECTOR, b"\0")
        else:
            big.append(entry)
    root.data = bytes(mini)

    # Regular sectors: big streams, the mini stream, the mini FAT, the directory, then the FAT.
    blobs = [(entry, entry.data) for entry in big]
    if mini:
        blobs.append((root, root.data))
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat) if mini_fat else b""
    directory_sectors = _sectors(b"\0" * (128 * len(ordered)), SECTOR)
    fat, body, starts = [], bytearray(), {}
    for owner, data in blobs + [("minifat", mini_fat_bytes), ("dir", b"\0" * directory_sectors * SECTOR)]:
        if not data:
            continue
        first, count = len(fat), _sectors(data, SECTOR)
        fat += [first + i + 1 for i in range(count - 1)] + [ENDOFCHAIN]
        starts[id(owner) if isinstance(owner, _Entry) else owner] = first
        if isinstance(owner, _Entry):
            owner.start = first
        body += data.ljust(count * SECTOR, b"\0") if owner != "dir" else b""
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < len(fat) + fat_sectors:
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("compound file: too large for a header-only FAT list")
    fat_first = len(fat)
    fat += [FATSECT] * fat_sectors
    fat += [FREESECT] * (fat_sectors * (SECTOR // 4) - len(fat))

    def entry_bytes(entry: _Entry | None) -> bytes:
        if entry is None:
            return b"\0" * 64 + struct.pack("<HBBIII", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM) + b"\0" * 48
        name = (entry.name + "\0").encode("utf-16-le")
        size = len(entry.data) if entry.kind != STORAGE else 0
        start = entry.start if size else (0 if entry.kind == STORAGE else ENDOFCHAIN)
        return (name.ljust(64, b"\0") + struct.pack("<HBBIII", len(name), entry.kind, entry.color,
                                                    entry.left, entry.right, entry.child)
                + b"\0" * 16 + struct.pack("<IQQIQ", 0, 0, 0, start, size))

    directory = b"".join(entry_bytes(e) for e in ordered)
    directory += entry_bytes(None) * (directory_sectors * (SECTOR // 128) - len(ordered))
    dir_start = starts["dir"]
    data_before_dir = bytes(body)
    # The directory's sectors come right after the mini FAT; the body held everything before them.
    body = data_before_dir + directory
    difat = [fat_first + i for i in range(fat_sectors)] + [FREESECT] * (109 - fat_sectors)
    header = (SIGNATURE + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, fat_sectors, dir_start, 0, MINI_CUTOFF,
                            starts.get("minifat", ENDOFCHAIN), _sectors(mini_fat_bytes, SECTOR),
                            ENDOFCHAIN, 0)
              + struct.pack("<109I", *difat))
    return header + body + struct.pack(f"<{len(fat)}I", *fat)
