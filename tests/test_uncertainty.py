"""Monte Carlo of engagement and conversions: unbiased, seeded, documented spread."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from conftest import make_scenario

from optimizer.generate import build_roster
from optimizer.roster import Roster, load_roster
from optimizer.uncertainty import beta_parameters, simulate


@pytest.fixture(scope="module")
def roster(tmp_path_factory: pytest.TempPathFactory) -> Roster:
    folder = tmp_path_factory.mktemp("mc")
    scenario = make_scenario(
        folder, build_roster(120, seed=5), {"budget": 50_000, "objective": {"engagement": 0.1}}
    )
    return load_roster(scenario)


def comparable_picks(roster: Roster, count: int = 30) -> list[int]:
    """``count`` nano/micro influencers: a portfolio with no single dominant pick."""
    tiers = roster.frame["tier"].to_numpy()
    return [int(p) for p in np.flatnonzero(np.isin(tiers, ["nano", "micro"]))[:count]]


def test_p50_and_mean_close_to_expected_on_a_large_sample(roster: Roster) -> None:
    picks = comparable_picks(roster)
    sim = simulate(roster, picks, draws=20_000, seed=1)
    for kpi in ("engagement", "conversions"):
        expected = sim.expected[kpi]
        assert expected > 0
        assert sim.samples(kpi).mean() == pytest.approx(expected, rel=0.01)
        assert sim.p50[kpi] == pytest.approx(expected, rel=0.03)
        assert sim.p10[kpi] < sim.p50[kpi] < sim.p90[kpi]


def test_expected_matches_the_roster(roster: Roster) -> None:
    picks = comparable_picks(roster, 10)
    sim = simulate(roster, picks, draws=10)
    frame = roster.frame.iloc[picks]
    assert sim.expected["engagement"] == pytest.approx(frame["expected_engagement"].sum())
    assert sim.expected["conversions"] == pytest.approx(frame["expected_conversions"].sum())
    assert sim.count == 10


def test_one_influencer_has_the_documented_spread(roster: Roster) -> None:
    sim = simulate(roster, [0], draws=200_000, seed=2, cv=0.3)
    engagement = sim.samples("engagement")
    assert engagement.std() / engagement.mean() == pytest.approx(0.3, rel=0.03)
    conversions = sim.samples("conversions")
    # product of three independent factors with cv 0.3 each: cv² = 1.09³ − 1
    assert conversions.std() / conversions.mean() == pytest.approx((1.09**3 - 1) ** 0.5, rel=0.03)
    # right-skewed: the median is below the mean
    assert np.median(conversions) < conversions.mean()


def test_lognormal_is_also_unbiased(roster: Roster) -> None:
    picks = comparable_picks(roster)
    sim = simulate(roster, picks, draws=20_000, seed=3, distribution="lognormal")
    assert sim.samples("engagement").mean() == pytest.approx(sim.expected["engagement"], rel=0.01)
    assert sim.p50["engagement"] == pytest.approx(sim.expected["engagement"], rel=0.03)


def test_zero_cv_gives_the_expected_value_every_draw(roster: Roster) -> None:
    sim = simulate(roster, comparable_picks(roster), draws=50, cv=0.0)
    assert np.allclose(sim.engagement, sim.expected["engagement"])
    assert np.allclose(sim.conversions, sim.expected["conversions"])


def test_seeded_reproducibility(roster: Roster) -> None:
    picks = comparable_picks(roster)
    first = simulate(roster, picks, draws=2_000, seed=42)
    again = simulate(roster, picks, draws=2_000, seed=42)
    other = simulate(roster, picks, draws=2_000, seed=43)
    assert np.array_equal(first.engagement, again.engagement)
    assert np.array_equal(first.conversions, again.conversions)
    assert not np.array_equal(first.engagement, other.engagement)


def test_chunking_does_not_change_the_totals(roster: Roster, monkeypatch) -> None:
    """Memory chunks draw in a different order but must still sum every influencer."""
    import optimizer.uncertainty as mc

    picks = comparable_picks(roster)
    monkeypatch.setattr(mc, "MAX_CELLS", 1_000)  # 1 influencer per chunk at 1,000 draws
    sim = simulate(roster, picks, draws=1_000, seed=0, cv=0.0)
    assert sim.engagement[0] == pytest.approx(sim.expected["engagement"])


def test_chance_of_meeting_is_a_monotone_probability(roster: Roster) -> None:
    sim = simulate(roster, comparable_picks(roster), draws=5_000, seed=7)
    for kpi in ("engagement", "conversions"):
        expected = sim.expected[kpi]
        targets = np.linspace(0, 2 * expected, 41)
        chances = [sim.chance_of_meeting({kpi: t})[kpi] for t in targets]
        assert all(0.0 <= c <= 1.0 for c in chances)
        assert all(a >= b for a, b in itertools.pairwise(chances))
        assert chances[0] == 1.0 and chances[-1] == 0.0
        assert 0.3 < sim.chance_of_meeting({kpi: expected})[kpi] < 0.7
    both = sim.chance_of_meeting({"engagement": 1.0, "conversions": 1e12})
    assert both == {"engagement": 1.0, "conversions": 0.0}


def test_unknown_kpi_and_bad_settings_are_rejected(roster: Roster) -> None:
    sim = simulate(roster, [0, 1], draws=10)
    with pytest.raises(ValueError, match="reach"):
        sim.chance_of_meeting({"reach": 10.0})
    with pytest.raises(ValueError):
        simulate(roster, [0], draws=0)
    with pytest.raises(ValueError):
        simulate(roster, [0], cv=-0.1)


def test_beta_parameters_keep_mean_and_cv() -> None:
    mean = np.array([0.01, 0.05, 0.3])
    alpha, beta = beta_parameters(mean, 0.3)
    total = alpha + beta
    assert np.allclose(alpha / total, mean)
    variance = alpha * beta / (total**2 * (total + 1))
    assert np.allclose(np.sqrt(variance) / mean, 0.3)
    # a rate close to 1 cannot have cv 0.3 as a Beta: capped, but parameters stay valid
    alpha, beta = beta_parameters(np.array([0.95]), 0.3)
    assert alpha[0] > 0 and beta[0] > 0


def test_summary_draws_are_capped_only_for_huge_portfolios() -> None:
    from optimizer.uncertainty import SUMMARY_CELLS, SUMMARY_MIN_DRAWS, summary_draws

    assert summary_draws(10_000, 25) == 10_000
    assert summary_draws(10_000, SUMMARY_CELLS // 10_000) == 10_000
    capped = summary_draws(10_000, 4_000)
    assert capped == SUMMARY_CELLS // 4_000 and capped * 4_000 <= SUMMARY_CELLS
    assert summary_draws(10_000, 10**6) == SUMMARY_MIN_DRAWS
    assert summary_draws(150, 10**6) == 150  # never more than asked
    assert summary_draws(10_000, 0) == 10_000


def test_summary_draws_fit_the_time_left_before_a_time_limit() -> None:
    from optimizer.uncertainty import (
        DEADLINE_MIN_DRAWS,
        SUMMARY_CELLS_PER_SECOND,
        summary_draws,
    )

    rate = SUMMARY_CELLS_PER_SECOND
    # plenty of time: exactly what the summary would get without a limit
    assert summary_draws(10_000, 25, seconds=3600.0) == 10_000
    assert summary_draws(10_000, 10**6, seconds=3600.0) == summary_draws(10_000, 10**6)
    # half a second for 1,000 picks: the draws that fit at the stated rate
    assert summary_draws(10_000, 1_000, seconds=0.5) == int(0.5 * rate) // 1_000
    # too few would fit: no summary at all, rather than a meaningless one
    tight = (DEADLINE_MIN_DRAWS - 1) * 1_000 / rate
    assert summary_draws(10_000, 1_000, seconds=tight) == 0
    assert summary_draws(10_000, 1_000, seconds=DEADLINE_MIN_DRAWS * 1_000 / rate) >= 100
    assert summary_draws(10_000, 25, seconds=0.0) == 0
    assert summary_draws(10_000, 25, seconds=-1.0) == 0  # the limit has already passed
    assert summary_draws(10_000, 0, seconds=0.0) == 10_000  # no picks: nothing to draw


@pytest.mark.parametrize("distribution", ["beta", "lognormal"])
def test_the_lean_products_equal_the_plain_formula(roster: Roster, distribution) -> None:
    """The simulation multiplies its factor matrices in place (less memory); the totals must
    be exactly those of the plain formula, which draws the same numbers: per chunk, the
    engagement, click and conversion factors of the live rates (others 1), then
    engagement · f_eng and conversions · f_eng · f_click · f_conv."""
    from optimizer.uncertainty import beta_parameters

    picks = list(range(40))
    frame = roster.frame.iloc[picks]
    rates = {c: frame[c].to_numpy(dtype=float).copy() for c in ("engagement_rate", "click_rate")}
    rates["conversion_rate"] = frame["conversion_rate"].to_numpy(dtype=float).copy()
    rates["click_rate"][::3] = 0.0  # some rates not live: their factor is exactly 1
    patched = roster.frame.copy()
    patched.loc[patched.index[picks], "click_rate"] = rates["click_rate"]
    lean = simulate(
        replace(roster, frame=patched), picks, draws=500, seed=3, distribution=distribution
    )

    rng = np.random.default_rng(3)
    engagement = frame["expected_engagement"].to_numpy(dtype=float)
    conversions = frame["expected_conversions"].to_numpy(dtype=float)
    factors = []
    for column in rates:
        m = rates[column]
        live = (m > 0) & (m < 1) if distribution == "beta" else m > 0
        f = np.ones((500, m.size))
        if distribution == "beta":
            a, b = beta_parameters(m[live], 0.3)
            f[:, live] = rng.beta(a, b, size=(500, int(live.sum()))) / m[live]
        else:
            s2 = np.log1p(0.3**2)
            f[:, live] = np.exp(rng.normal(-s2 / 2, np.sqrt(s2), size=(500, int(live.sum()))))
        factors.append(f)
    f_eng, f_click, f_conv = factors
    assert np.array_equal(lean.engagement, f_eng @ engagement)
    assert np.array_equal(lean.conversions, (f_eng * f_click * f_conv) @ conversions)
