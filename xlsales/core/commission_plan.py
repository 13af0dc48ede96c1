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
    paid_on: str = "order_date"  # collections: "collection_date" counts 回款 in the period it was collected
    version: str | None = None  # the plan version this measure belongs to (key "revenue@2026 H2")

    @property
    def base(self) -> str:
        """What the measure counts (revenue, collections, new_customers), whatever version it is in."""
        return self.key.split("@", 1)[0]

    def label(self, lang: str = "en") -> str:
        if self.name:
            text = self.name
        else:
            en, zh = MEASURE_LABELS.get(self.base, (self.base, self.base))
            text = zh if lang == "zh" else en
        return f"{text}（{self.version}）" if self.version and lang == "zh" else \
            f"{text} ({self.version})" if self.version else text

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
    def ote_factor(self) -> float:
        """What 100 % of quota pays in units of "rate at quota × quota" when the tier rates are multiples
        (on-target earnings): marginal Σ multiple × share of quota below 100 % in the tier; retro the
        multiple of the tier 100 % falls in. The rate at quota is target incentive ÷ (quota × this)."""
        bounds, rates = self.bounds, self.rates
        if self.mode == "retro":
            return float(rates[bounds <= 1.0][-1])
        uppers = np.append(bounds[1:], np.inf)
        return float(sum(r * max(0.0, min(u, 1.0) - b) for b, u, r in zip(bounds, uppers, rates)))

    def tier_kinds(self) -> list[str]:
        """Per tier: "decelerator" (below quota, paying less than the tier at quota), "accelerator" (from
        quota up, paying more), or "" (basis amount, or the rate at quota)."""
        if self.basis != "quota":
            return [""] * len(self.tiers)
        bounds, rates = self.bounds, self.rates
        at_quota = rates[bounds < 1.0][-1]  # the tier just below 100 %
        return ["decelerator" if b < 1.0 and r < at_quota else "accelerator" if b >= 1.0 and r > at_quota else ""
                for b, r in zip(bounds, rates)]

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
class PlanVersion:
    """One version of a plan, in force from ``start`` through ``end`` (inclusive; None: the year's end)
    for ``reps`` (empty: every rep not assigned to a version naming them on that day)."""
    name: str
    start: object  # pandas Timestamp
    end: object | None
    measures: tuple["Measure", ...]
    awards: tuple["Award", ...] = ()
    reps: tuple[str, ...] = ()


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
    # On-target earnings: the variable pay per period at 100 % of quota (OTE − base salary, per period).
    # With it, tier rates are multiples of each rep's rate at quota (target incentive ÷ quota).
    target_incentive: float | None = None
    # Effective-dated versions (empty: the plan is one version for the whole year). With versions, the
    # engine pays each version's measures as measures of their own ("revenue@2026 H2").
    versions: tuple[PlanVersion, ...] = ()

    def measure(self, key: str) -> Measure:
        return next(m for m in self.measures if m.key == key)

    @property
    def base_keys(self) -> list[str]:
        """The measures counted (revenue, ...) once each, whatever versions they are in."""
        return list(dict.fromkeys(m.base for m in self.measures))

    @property
    def measure_keys(self) -> list[str]:
        return [m.key for m in self.measures]
