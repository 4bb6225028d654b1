"""Survey designs and their Taylor-linearised variances, vectorised with ``np.bincount``.

A :class:`Design` holds per-respondent weights, strata, clusters (PSUs) and a finite population
correction; ``Design.simple(n)`` is simple random sampling. A design whose weights are all equal
and which has no strata, clusters or fpc is *not* ``weighted``: the estimators then use the
classical intervals (Wilson, t), so weights of 1 give exactly the unweighted results.

Variance of a ratio ``r = Σ w·y / Σ w`` (R ``survey``'s default, with replacement at the PSU level):
scores ``z_i = w_i (y_i − r) / Σ w``, PSU totals ``Z_hc``, and

    V(r) = Σ_h (1 − f_h) · n_h / (n_h − 1) · Σ_c (Z_hc − Z̄_h)²

over *every* PSU of stratum h (n_h of them), including those with no respondent in the domain:
:meth:`Design.subset` keeps the full design, so a group is a domain, as in R's ``svyby``.
A stratum with a single PSU adds nothing (R's ``options(survey.lonely.psu = "certainty")``).
``fpc`` per row is a sampling fraction when ≤ 1, else the population size (PSUs) of the stratum.
Degrees of freedom are R's ``degf``: PSUs minus strata among the rows of the domain (n − H when
every respondent is their own PSU).

Engines, in :mod:`analysis.ratios` and re-exported here (each computes every group and every
column or option in one pass, with ``np.bincount`` or one sparse product over the rows):

* :func:`ratio_means` — weighted means of the columns of a matrix, per group (``binary=True``
  for 0/1 ticks);
* :func:`cell_proportions` — the share of each option of integer codes, per group, from a few
  bincounts (no n×k matrix is built);
* :func:`cell_covariance` — the full design covariance of cell shares (Rao–Scott needs it);
* :func:`taylor_variance` — the variance of a total of scores you linearised yourself.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from analysis.ratios import Ratios, cell_covariance, cell_proportions, ratio_means, taylor_variance

__all__ = [
    "Design",
    "Ratios",
    "cell_covariance",
    "cell_proportions",
    "kish",
    "ratio_means",
    "taylor_variance",
]


@dataclass(frozen=True, eq=False)
class _Structure:
    """The full design's strata and PSUs, shared by all its subsets."""

    n_strata: int
    n_psu: np.ndarray  # PSUs per stratum in the full design
    scale: np.ndarray  # (1 − f_h) n_h/(n_h − 1), 0 for a single-PSU stratum
    psu_starts: np.ndarray | None  # first PSU code of each stratum (PSU codes sorted by stratum)


@dataclass(frozen=True, eq=False)
class Design:
    """A sampling design over ``n`` respondents; every array has one entry per respondent.

    ``weights`` are sampling weights (not frequency weights); ``strata`` and ``clusters`` may be
    any labels (clusters are nested in strata); ``fpc`` is described in the module docstring.
    """

    weights: np.ndarray | None = None
    strata: np.ndarray | None = None
    clusters: np.ndarray | None = None
    fpc: np.ndarray | None = None
    n: int = -1
    _weighted: bool = field(default=False, repr=False)
    _stratum: np.ndarray | None = field(default=None, repr=False)  # row → stratum code
    _psu: np.ndarray | None = field(default=None, repr=False)  # row → PSU code, None: own PSU
    _structure: _Structure | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self._structure is not None:
            return
        arrays = [a for a in (self.weights, self.strata, self.clusters, self.fpc) if a is not None]
        n = len(arrays[0]) if arrays else self.n
        if n < 0 or any(len(a) != n for a in arrays) or (self.n >= 0 and self.n != n):
            raise ValueError("the design's arrays and n must all have one entry per respondent")
        set_ = object.__setattr__
        set_(self, "n", n)
        if self.weights is not None:
            w = np.asarray(self.weights, dtype=float)
            if not np.all(np.isfinite(w)) or np.any(w < 0):
                raise ValueError("weights must be finite and non-negative")
            set_(self, "weights", w)
        stratum, n_strata = _codes(self.strata, n)
        psu, psu_stratum = _psus(stratum, n_strata, self.clusters)
        n_psu = np.bincount(stratum if psu_stratum is None else psu_stratum, minlength=n_strata)
        f = _sampling_fraction(self.fpc, stratum, n_strata, n_psu)
        scale = np.where(n_psu > 1, (1 - f) * n_psu / np.maximum(n_psu - 1, 1), 0.0)
        starts = None if psu_stratum is None else np.searchsorted(psu_stratum, np.arange(n_strata))
        varies = self.weights is not None and n > 0 and bool(np.ptp(self.weights) > 0)
        set_(self, "_weighted", varies or len(arrays) > (self.weights is not None))
        set_(self, "_stratum", stratum)
        set_(self, "_psu", psu)
        set_(self, "_structure", _Structure(n_strata, n_psu.astype(float), scale, starts))

    @classmethod
    def simple(cls, n: int) -> Design:
        """Simple random sampling of ``n`` respondents, each their own PSU, no weights."""
        return cls(n=n)

    @property
    def weighted(self) -> bool:
        """True when estimates must be design-based (unequal weights, strata, clusters or fpc)."""
        return self._weighted

    @property
    def clustered(self) -> bool:
        """True when respondents are grouped in PSUs (``clusters`` given)."""
        return self._psu is not None

    def weights_or_ones(self) -> np.ndarray:
        """The weights, or ones when the design has none."""
        return np.ones(self.n) if self.weights is None else self.weights

    def subset(self, mask: np.ndarray) -> Design:
        """The rows where ``mask`` holds, as a domain of this design (its strata and PSUs are kept)."""
        mask = np.asarray(mask, dtype=bool)
        if len(mask) != self.n:
            raise ValueError("the mask must have one entry per respondent")

        def cut(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[mask]

        return replace(
            self,
            weights=cut(self.weights),
            strata=cut(self.strata),
            clusters=cut(self.clusters),
            fpc=cut(self.fpc),
            n=int(mask.sum()),
            _stratum=cut(self._stratum),
            _psu=cut(self._psu),
        )


def _codes(labels: np.ndarray | None, n: int) -> tuple[np.ndarray, int]:
    if labels is None:
        return np.zeros(n, dtype=np.intp), 1
    levels, codes = np.unique(np.asarray(labels), return_inverse=True)
    return codes.astype(np.intp).ravel(), max(len(levels), 1)


def _psus(stratum: np.ndarray, n_strata: int, clusters: np.ndarray | None):
    if clusters is None:
        return None, None
    cluster, n_clusters = _codes(clusters, len(stratum))
    keys, psu = np.unique(stratum * n_clusters + cluster, return_inverse=True)
    return psu.astype(np.intp).ravel(), keys // n_clusters


def _sampling_fraction(fpc, stratum, n_strata: int, n_psu: np.ndarray) -> np.ndarray:
    if fpc is None:
        return np.zeros(n_strata)
    fpc = np.asarray(fpc, dtype=float)
    per_stratum = np.full(n_strata, np.nan)
    per_stratum[stratum] = fpc
    if np.any(np.abs(fpc - per_stratum[stratum]) > 1e-9 * np.abs(fpc)):
        raise ValueError("fpc must be constant within each stratum")
    fraction = np.all(fpc <= 1)
    return per_stratum if fraction else n_psu / per_stratum


def kish(weights: np.ndarray) -> tuple[float, float]:
    """Kish's effective sample size ``(Σw)²/Σw²`` and weighting design effect ``n Σw²/(Σw)²``."""
    w = np.asarray(weights, dtype=float)
    total, squares = w.sum(), np.square(w).sum()
    return float(total**2 / squares), float(len(w) * squares / total**2)
