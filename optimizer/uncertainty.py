"""Seeded Monte Carlo of a portfolio's engagement and conversions.

The roster's rates are estimates. For each picked influencer ``i`` the simulation draws, once
per draw and independently of every other influencer and rate:

* an engagement rate ``E_i``, a click rate ``K_i`` and a conversion rate ``V_i``, each from a
  Beta distribution whose **mean is the roster rate** ``m`` and whose coefficient of variation
  (standard deviation ÷ mean) is ``cv`` (default 0.3, i.e. a rate of 3 % is typically off by
  about ±0.9 points). Beta(α, β) with ``α = m·s``, ``β = (1 − m)·s``,
  ``s = (1 − m) / (m·cv²) − 1``. A Beta exists only when ``cv² < (1 − m) / m``; for rates too
  close to 1 the cv is capped at ``0.95·√((1 − m)/m)`` (never the case for real engagement or
  click rates, which are a few per cent). A rate of exactly 0 stays 0.
  ``distribution="lognormal"`` draws ``m·exp(N(−σ²/2, σ²))`` with ``σ² = ln(1 + cv²)``
  instead (same mean and cv, unbounded above).

then, following the funnel of :mod:`optimizer.funnel`:

``engagement_i  = audience_i × E_i × posts_i``            (engagements)
``conversions_i = engagement_i × K_i × V_i``              (purchases / sign-ups)

Implemented as multiplicative factors on the roster's expected values (``E_i / m_E`` etc.), so
``expected_*`` columns given in the roster are respected exactly as the optimizer sees them.

How the simulated numbers relate to the expected values the optimizer uses:

* The **mean** of the simulated totals equals the expected totals exactly (independent factors
  with mean 1), up to sampling noise that shrinks like 1/√draws.
* The **median (P50)** sits slightly *below* the mean because rates are right-skewed. With
  cv = 0.3, one influencer's engagement median is about 3 % below its mean and one influencer's
  conversions (a product of three uncertain rates) about 11 % below. Summed over a portfolio
  the skew averages out: on the launch example (10,000 draws) the 25-pick micro-only plan has
  P50 0.1 % (engagement) and 1.1 % (conversions) below expected; the hybrid plan, where a few
  macro/mega creators carry most of the total, 1.8 % and 5.5 % below. The more evenly the
  total is spread over picks, the closer P50 is to the expected value.
* Draws are independent across influencers. A campaign-wide shock (a weak brief that drags
  every creator down) is not modelled, so P10–P90 bands are narrower than they would be with
  correlated errors.

Units: engagement in engagements, conversions in conversions (counts), probabilities in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .roster import Roster

KPIS: tuple[str, ...] = ("engagement", "conversions")
PERCENTILES: tuple[int, ...] = (10, 50, 90)
DEFAULT_DRAWS = 10_000
DEFAULT_CV = 0.3
MAX_CELLS = 2_000_000  # draws × influencers per chunk: bounds memory to ~16 MB per matrix
SUMMARY_CELLS = 4_000_000  # draws × picks for the summary attached to every solve
SUMMARY_MIN_DRAWS = 200
# under a time limit the summary gets only the draws that fit in the time left, counted at
# this rate (draws × picks per second; about 9 million were measured on the 2-core benchmark
# machine, see docs/performance.md); fewer than DEADLINE_MIN_DRAWS → no summary
SUMMARY_CELLS_PER_SECOND = 4_000_000
DEADLINE_MIN_DRAWS = 100
Distribution = Literal["beta", "lognormal"]


def summary_draws(requested: int, picks: int, seconds: float | None = None) -> int:
    """Draws for the summary of a portfolio of ``picks``: as requested, unless that exceeds
    :data:`SUMMARY_CELLS` draws × picks (about a second), then fewer, but at least
    :data:`SUMMARY_MIN_DRAWS` (and never more than requested).

    ``seconds``, when given, is the time left before a time limit: then no more draws than
    fit in it at :data:`SUMMARY_CELLS_PER_SECOND`, and 0 (no summary) when fewer than
    :data:`DEADLINE_MIN_DRAWS` would fit.
    """
    if picks <= 0:
        return requested
    draws = requested
    if requested * picks > SUMMARY_CELLS:
        draws = min(requested, max(SUMMARY_MIN_DRAWS, SUMMARY_CELLS // picks))
    if seconds is None:
        return draws
    fit = int(max(seconds, 0.0) * SUMMARY_CELLS_PER_SECOND) // picks
    if fit >= draws:
        return draws
    return fit if fit >= DEADLINE_MIN_DRAWS else 0


@dataclass
class Simulation:
    """Simulated totals of one portfolio: one value per draw for each KPI.

    ``engagement`` and ``conversions`` are arrays of shape ``(draws,)`` (counts);
    ``expected`` holds the deterministic expected totals the optimizer uses.
    """

    engagement: np.ndarray
    conversions: np.ndarray
    expected: dict[str, float]
    draws: int
    seed: int
    cv: float
    distribution: str = "beta"
    count: int = 0
    _cache: dict[str, dict[str, float]] = field(default_factory=dict, repr=False)

    def samples(self, kpi: str) -> np.ndarray:
        """The simulated totals of one KPI (``engagement`` or ``conversions``)."""
        if kpi not in KPIS:
            raise ValueError(f"unknown KPI {kpi!r}: the simulation covers {', '.join(KPIS)}")
        return self.engagement if kpi == "engagement" else self.conversions

    def percentiles(self, kpi: str) -> dict[str, float]:
        """``{"p10": …, "p50": …, "p90": …}`` of one KPI's total (counts)."""
        if kpi not in self._cache:
            values = np.percentile(self.samples(kpi), PERCENTILES)
            self._cache[kpi] = {f"p{q}": float(v) for q, v in zip(PERCENTILES, values, strict=True)}
        return dict(self._cache[kpi])

    @property
    def p10(self) -> dict[str, float]:
        """P10 per KPI: 90 % of draws do at least this well."""
        return {kpi: self.percentiles(kpi)["p10"] for kpi in KPIS}

    @property
    def p50(self) -> dict[str, float]:
        """Median per KPI."""
        return {kpi: self.percentiles(kpi)["p50"] for kpi in KPIS}

    @property
    def p90(self) -> dict[str, float]:
        """P90 per KPI: only 10 % of draws do better."""
        return {kpi: self.percentiles(kpi)["p90"] for kpi in KPIS}

    def chance_of_meeting(self, targets: Mapping[str, float]) -> dict[str, float]:
        """Share of draws whose total reaches each target (``total ≥ target``), in [0, 1].

        ``targets`` maps ``engagement`` / ``conversions`` to a count; any other key raises
        ValueError (reach is not simulated: use :func:`simulated_targets` to filter).
        """
        return {kpi: float(np.mean(self.samples(kpi) >= float(t))) for kpi, t in targets.items()}

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary: settings, expected totals and P10/P50/P90 per KPI."""
        return {
            "draws": self.draws,
            "seed": self.seed,
            "cv": self.cv,
            "distribution": self.distribution,
            "expected": dict(self.expected),
            **{kpi: self.percentiles(kpi) for kpi in KPIS},
        }


def simulated_targets(targets: Mapping[str, float | None]) -> dict[str, float]:
    """The targets a :class:`Simulation` can judge (engagement, conversions), Nones dropped."""
    return {k: float(v) for k, v in targets.items() if k in KPIS and v is not None}


def beta_parameters(mean: np.ndarray, cv: float) -> tuple[np.ndarray, np.ndarray]:
    """Beta(α, β) with the given means (fractions, 0 < m < 1) and coefficient of variation.

    The cv is capped per rate at ``0.95·√((1 − m)/m)``, the largest a Beta allows, with margin.
    """
    m = np.asarray(mean, dtype=float)
    c = np.minimum(cv, 0.95 * np.sqrt((1.0 - m) / m))
    strength = (1.0 - m) / (m * c**2) - 1.0
    return m * strength, (1.0 - m) * strength


def rate_factors(
    rng: np.random.Generator, mean: np.ndarray, cv: float, draws: int, distribution: Distribution
) -> np.ndarray:
    """Draws of ``rate / mean`` with shape ``(draws, len(mean))``: mean 1, given cv (unitless).

    Rates of 0 (or cv 0) give a factor of exactly 1: nothing to be uncertain about.
    """
    m = np.asarray(mean, dtype=float)
    live = (m > 0) & (m < 1) if distribution == "beta" else m > 0
    if cv <= 0 or not live.any():
        return np.ones((draws, m.size))
    if distribution == "lognormal":
        sigma2 = np.log1p(cv**2)
        drawn = rng.normal(-sigma2 / 2, np.sqrt(sigma2), size=(draws, int(live.sum())))
        np.exp(drawn, out=drawn)
    else:
        alpha, beta = beta_parameters(m[live], cv)
        drawn = rng.beta(alpha, beta, size=(draws, int(live.sum())))
        drawn /= m[live]
    if live.all():  # the usual case: no second matrix
        return drawn
    factors = np.ones((draws, m.size))
    factors[:, live] = drawn
    return factors


def _rates(roster: Roster, positions: Sequence[int], column: str) -> np.ndarray:
    """One rate column for the picked positions (fractions; missing → 0)."""
    if column not in roster.frame.columns:
        return np.zeros(len(positions))
    values = roster.frame[column].to_numpy(dtype=float)[np.asarray(positions, dtype=int)]
    return np.nan_to_num(values, nan=0.0)


def simulate(
    roster: Roster,
    positions: list[int],
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    cv: float = DEFAULT_CV,
    *,
    click_cv: float | None = None,
    conversion_cv: float | None = None,
    distribution: Distribution = "beta",
) -> Simulation:
    """Monte Carlo of the portfolio made of roster ``positions`` (see the module docstring).

    ``cv`` is the coefficient of variation of engagement rates; ``click_cv`` and
    ``conversion_cv`` default to it. Same inputs and ``seed`` → identical draws.
    """
    if draws < 1:
        raise ValueError("draws must be at least 1")
    if cv < 0 or (click_cv or 0) < 0 or (conversion_cv or 0) < 0:
        raise ValueError("coefficients of variation must not be negative")
    if distribution not in ("beta", "lognormal"):
        raise ValueError("distribution must be 'beta' or 'lognormal'")
    index = np.asarray(positions, dtype=int)
    frame = roster.frame
    engagement = frame["expected_engagement"].to_numpy(dtype=float)[index]
    conversions = frame["expected_conversions"].to_numpy(dtype=float)[index]
    rates = {
        c: _rates(roster, index, c) for c in ("engagement_rate", "click_rate", "conversion_rate")
    }
    cvs = (cv, cv if click_cv is None else click_cv, cv if conversion_cv is None else conversion_cv)

    rng = np.random.default_rng(seed)
    total_engagement = np.zeros(draws)
    total_conversions = np.zeros(draws)
    chunk = max(1, MAX_CELLS // draws)
    for start in range(0, index.size, chunk):
        part = slice(start, start + chunk)
        f_eng, f_click, f_conv = (
            rate_factors(rng, rates[column][part], c, draws, distribution)
            for column, c in zip(rates, cvs, strict=True)
        )
        total_engagement += f_eng @ engagement[part]
        f_click *= f_eng  # in place (the same products as f_eng · f_click · f_conv): memory
        f_click *= f_conv
        total_conversions += f_click @ conversions[part]
    return Simulation(
        engagement=total_engagement,
        conversions=total_conversions,
        expected={
            "engagement": float(engagement.sum()),
            "conversions": float(conversions.sum()),
        },
        draws=draws,
        seed=seed,
        cv=cv,
        distribution=distribution,
        count=int(index.size),
    )
