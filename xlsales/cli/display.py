"""Plain-text tables for the terminal that line up with Chinese text (CJK characters are two columns wide)."""
from __future__ import annotations

import unicodedata


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, size: int, right: bool = False) -> str:
    fill = " " * max(size - width(text), 0)
    return fill + text if right else text + fill


def text_table(headers, rows) -> str:
    """Left-align the first column, right-align the rest."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    sizes = [max(width(row[i]) for row in cells) + 2 for i in range(len(headers))]
    return "\n".join("".join(pad(c, sizes[i], right=i > 0) for i, c in enumerate(row)).rstrip()
                     for row in cells)
