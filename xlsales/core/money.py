"""Rounding money the way Excel's ROUND does: half away from zero, at the cent."""
from __future__ import annotations

import numpy as np


def round_half_away(x, decimals: int = 2):
    """ROUND(x, decimals) as Excel computes it, for scalars or arrays.

    Excel rounds the decimal it shows (15 significant digits), so 1.005 rounds up although it is
    stored as 1.00499999999999989. A nudge of about 50 units in the last place reproduces that and
    stays far below a cent at any amount.
    """
    scale = 10.0 ** decimals
    scaled = np.abs(np.asarray(x, dtype=float)) * scale
    out = np.sign(x) * np.floor(scaled + 0.5 + 1e-14 * np.maximum(1.0, scaled)) / scale
    return float(out) if np.ndim(out) == 0 else out


def cents(x):
    return round_half_away(x, 2)
