"""A commission plan as plain data: what the payout engine reads.

``xlsales.io.plan`` builds it from a YAML file (and checks it there, with messages that name the file
and the YAML path); tests and the API may build it directly.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from xlsales.glossary import GLOSSARY

# What a measure counts, from the orders file.
MEASURES = ("revenue", "collections", "new_customers")
MEASURE_LABELS = {key: GLOSSARY["measure"][key] for key in MEASURES}  # (en, zh), from the glossary
PERIODS = ("month", "quarter")
QUOTA_SOURCES = ("targets", "file", "fixed")
TIE_RULES = ("share", "each")


@dataclass(frozen=True)
class Tier:
    bound: float  # lower bound: a fraction of quota (basis "quota") or an amount (basis "amount")
    rate: float


@dataclass(frozen=True)
class Measure:
    key: str
    tiers: tuple[Tier, ...]
    weight: float = 1.0
    basis: str = "quota"  # "quota": bounds are fractions of quota; "amount": bounds are amounts
    mode: str = "marginal"
    cap: float | None = None  # maximum weighted payout of this measure in a period
    quota_source: str = "targets"
    quota_amount: float | None = None  # quota per period when quota_source is "fixed"
    gate: float | None = None  # nothing paid for the measure below this attainment
    accelerator_from: float | None = None  # tiers from this bound up are accelerators...
    accelerator_ytd: float | None = None  # ...paid only when year-to-date attainment reaches this
    name: str | None = None  # how the plan names the measure (e.g. 销售额); default: the standard label

    def label(self, lang: str = "en") -> str:
        if self.name:
            return self.name
        en, zh = MEASURE_LABELS.get(self.key, (self.key, self.key))
        return zh if lang == "zh" else en

    @property
    def bounds(self) -> np.ndarray:
        return np.array([t.bound for t in self.tiers], dtype=float)

    @property
    def rates(self) -> np.ndarray:
        return np.array([t.rate for t in self.tiers], dtype=float)

    @property
    def base_rate(self) -> float:
        """Rate paid instead of the accelerator rates while the year-to-date gate is not met."""
        if self.accelerator_from is None:
            return float("nan")
        below = self.bounds < self.accelerator_from
        return float(self.rates[below][-1]) if below.any() else 0.0

    @property
    def decelerates(self) -> bool:
        """True when a higher tier pays a lower rate (then more sales can pay less in retro mode)."""
        return bool(np.any(np.diff(self.rates) < 0))


@dataclass(frozen=True)
class Award:
    kind: str  # "star" (top attainment), "best_team" (top team attainment) or "spif" (fixed)
    name: str
    amount: float
    measure: str | None = None
    tie: str = "share"  # several winners: "share" the amount (to the cent) or pay "each" in full
    min_attainment: float = 0.0  # a star or team must reach at least this attainment
    reps: tuple[str, ...] = ()  # spif: who gets it (empty: every active rep)
    periods: tuple[str, ...] = ()  # spif: which periods, as labels "2026-06" / "2026-Q2" (empty: all)


@dataclass(frozen=True)
class Draw:
    amount: float  # guaranteed minimum per period (prorated by days)
    recoverable: bool = True  # recovered from later earnings above the draw


@dataclass(frozen=True)
class Plan:
    measures: tuple[Measure, ...]
    period: str = "month"
    year: int = 2026
    name: str = "Commission plan"
    currency: str = ""
    cap: float | None = None  # maximum commission per rep and period (before clawbacks and awards)
    awards: tuple[Award, ...] = field(default_factory=tuple)
    draw: Draw | None = None
    prorate: bool = True  # scale quotas, amount bounds, caps and the draw by days employed

    def measure(self, key: str) -> Measure:
        return next(m for m in self.measures if m.key == key)

    @property
    def measure_keys(self) -> list[str]:
        return [m.key for m in self.measures]
