"""Design-based estimates against R's ``survey`` package on its own data (METHODS V13–V17 and more).

The California API samples (``apistrat``, ``apiclus1``) ship only inside R's survey package. The
tests read that package's ``data/api.rda`` — Debian's ``r-cran-survey`` installs it at
``/usr/lib/R/site-library/survey/data/api.rda`` (or point ``TANFANG_API_RDA`` at a copy) — with the
``rdata`` reader from PyPI. Both are test-only; without them the module is skipped. Expected values
are R 4.2.2 / survey 4.1-1 outputs: METHODS §2.2/§2.4 and the calls quoted in each test.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from analysis.compare import categorical
from analysis.design import Design, kish
from analysis.estimates import mean, mean_by, median, proportions, proportions_by

API = Path(os.environ.get("TANFANG_API_RDA", "/usr/lib/R/site-library/survey/data/api.rda"))
if os.environ.get("TANFANG_STRICT_DEPS") and not API.is_file():  # CI (.ci/run) must run these
    pytest.fail(f"{API} is missing: .ci/debian.sh should have fetched it", pytrace=False)
rdata = pytest.importorskip("rdata", reason="the rdata package reads R's api.rda")
if not API.is_file():
    pytest.skip(
        "R survey's api.rda is not installed (apt-get install r-cran-survey)", allow_module_level=True
    )


@pytest.fixture(scope="module")
def api() -> dict[str, dict[str, np.ndarray]]:
    frames = rdata.read_rda(API)

    def columns(name: str) -> dict[str, np.ndarray]:
        frame = frames[name]
        return {
            str(c): np.asarray(frame[c].astype(str) if frame[c].dtype == "category" else frame[c])
            for c in frame.columns
        }

    return {"strat": columns("apistrat"), "clus1": columns("apiclus1")}


def _dstrat(a, fpc: bool = True) -> Design:
    s = a["strat"]
    return Design(weights=s["pw"], strata=s["stype"], fpc=s["fpc"] if fpc else None)


def _dclus1(a) -> Design:
    c = a["clus1"]
    return Design(weights=c["pw"], clusters=c["dnum"], fpc=c["fpc"])


def _yes(column: np.ndarray) -> np.ndarray:
    return (column == "Yes").astype(np.intp)


def test_v13_stratified_mean_with_fpc(api) -> None:
    """V13: svymean(~api00, dstrat) = 662.2874, SE 9.4089, with df 197 (200 schools, 3 strata)."""
    e = mean(api["strat"]["api00"].astype(float), _dstrat(api))
    assert e.estimate == pytest.approx(662.2874, abs=1e-4)
    assert e.se == pytest.approx(9.4089, abs=1e-4)
    assert e.df == 197


def test_v14_weighted_proportion_with_logit_interval(api) -> None:
    """V14: both == "Yes" without fpc: 0.638936, SE 0.034898, logit CI 0.56769–0.70455 (df 197)."""
    e = proportions(_yes(api["strat"]["both"]), 2, _dstrat(api, fpc=False))[1]
    assert e.estimate == pytest.approx(0.638936, abs=1e-5)
    assert e.se == pytest.approx(0.034898, abs=1e-5)
    assert (e.ci_low, e.ci_high) == pytest.approx((0.56769, 0.70455), abs=1e-5)
    assert e.df == 197


def test_weights_only_design_gives_r_se_and_replace_deff(api) -> None:
    """Weights only: SE 0.036003 and DEff 1.1181 (R's deff = "replace") for both == "Yes"."""
    e = proportions(_yes(api["strat"]["both"]), 2, Design(weights=api["strat"]["pw"]))[1]
    assert e.se == pytest.approx(0.036003, abs=1e-5)
    assert e.deff == pytest.approx(1.1181, abs=1e-4)


def test_v15_rao_scott_second_order_test(api) -> None:
    """V15: svychisq(~sch.wide + stype, dstrat): F 16.546, ndf 1.8413, ddf 362.7435, p 3.402e-07."""
    s = api["strat"]
    stype = np.unique(s["stype"], return_inverse=True)[1]
    r = categorical(stype, _yes(s["sch.wide"]), design=_dstrat(api, fpc=False))
    assert r.test == "rao_scott"
    assert r.statistic == pytest.approx(16.546, abs=1e-3)
    assert r.df == pytest.approx(1.8413, abs=1e-3)
    assert r.df2 == pytest.approx(362.7435, abs=1e-3)
    assert r.p_value == pytest.approx(3.402e-07, abs=1e-3 * 3.402e-07)


def test_rao_scott_in_a_cluster_design(api) -> None:
    """svychisq(~sch.wide + stype, dclus1): F 5.1933695, ndf 1.4946398, ddf 20.9249569, p 0.02174746."""
    c = api["clus1"]
    stype = np.unique(c["stype"], return_inverse=True)[1]
    r = categorical(stype, _yes(c["sch.wide"]), design=_dclus1(api))
    assert (r.statistic, r.df, r.df2) == pytest.approx((5.1933695, 1.4946398, 20.9249569), abs=1e-6)
    assert r.p_value == pytest.approx(0.02174746, abs=1e-7)


def test_v16_cluster_design_mean_and_deff(api) -> None:
    """V16: svymean(~api00, dclus1) = 644.169, SE 23.542; DEff 9.3459 / (1 − 183/6194) in replace form."""
    e = mean(api["clus1"]["api00"].astype(float), _dclus1(api))
    assert e.estimate == pytest.approx(644.169, abs=1e-3)
    assert e.se == pytest.approx(23.542, abs=1e-3)
    assert e.df == 14
    assert e.deff * (1 - 183 / 6194) ** -1 == pytest.approx(9.3459, abs=1e-3)


def test_v17_kish_effective_n(api) -> None:
    """V17: apistrat's pw give n_eff 168.5813 and deff_w 1.18637."""
    n_eff, deff = kish(api["strat"]["pw"])
    assert n_eff == pytest.approx(168.5813, abs=1e-4)
    assert deff == pytest.approx(1.18637, abs=1e-4)


def test_domain_means_keep_the_full_design(api) -> None:
    """svyby(~api00, ~awards, design, svymean): SEs 15.33477098/11.85663099 (dstrat), 31.30560717/
    21.13217335 (dclus1); degf(subset(·, awards == "Yes")) = 110 and 13."""
    for design, column, expected, df in (
        (_dstrat(api), api["strat"], (15.33477098, 11.85663099), 110),
        (_dclus1(api), api["clus1"], (31.30560717, 21.13217335), 13),
    ):
        found = mean_by(column["api00"].astype(float), _yes(column["awards"]), 2, design)
        assert [e.se for e in found] == pytest.approx(expected, abs=1e-7)
        assert found[1].df == df


def test_domain_proportions_in_a_cluster_design(api) -> None:
    """svyby(~both, ~awards, dclus1, svymean): share "Yes" 0.05660377358 (SE 0.03411449603) where
    awards is "No"; svyciprop(~I(both == "Yes"), dclus1, method = "logit"): 0.6571810–0.7868255."""
    c = api["clus1"]
    by = proportions_by(_yes(c["both"]), 2, _yes(c["awards"]), 2, _dclus1(api))
    assert by[0][1].estimate == pytest.approx(0.05660377358, abs=1e-10)
    assert by[0][1].se == pytest.approx(0.03411449603, abs=1e-10)
    overall = proportions(_yes(c["both"]), 2, _dclus1(api))[1]
    assert (overall.ci_low, overall.ci_high) == pytest.approx((0.6571809630, 0.7868255216), abs=1e-9)


def test_weighted_median_is_woodruffs_interval(api) -> None:
    """svyquantile(~api00, design, 0.5, ci = TRUE): 668 (642–694, se 13.18405579) for dstrat and
    652 (561–714, se 35.6678827) for dclus1."""
    s, c = api["strat"], api["clus1"]
    e = median(s["api00"].astype(float), _dstrat(api))
    assert (e.estimate, e.ci_low, e.ci_high) == (668, 642, 694)
    assert e.se == pytest.approx(13.18405579, abs=1e-7)
    e = median(c["api00"].astype(float), _dclus1(api))
    assert (e.estimate, e.ci_low, e.ci_high) == (652, 561, 714)
    assert e.se == pytest.approx(35.6678827, abs=1e-6)
