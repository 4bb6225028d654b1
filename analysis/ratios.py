"""The vectorised engines behind :mod:`analysis.design`: ratio estimates over domains.

Every function takes a :class:`~analysis.design.Design` and computes, for every group and every
column (or option) at once, the ratio Σw·y/Σw, its Taylor-linearised variance (formula in
:mod:`analysis.design`), the SRS variance for the design effect, the degrees of freedom and the
counts behind it. Import them from :mod:`analysis.design`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

if TYPE_CHECKING:
    from analysis.design import Design

__all__ = ["Ratios", "cell_covariance", "cell_proportions", "ratio_means", "taylor_variance"]


@dataclass(frozen=True, eq=False)
class Ratios:
    """Estimates for ``m`` columns (or options) in ``G`` groups; every array has shape (G, m).

    ``variance`` is the design variance (for a simple design, ``s²/n`` for means and
    ``p(1 − p)/n`` for proportions); ``srs_variance`` the variance under simple random sampling
    with replacement (R's ``deff = "replace"``), so ``variance / srs_variance`` is the design
    effect; ``df`` the degrees of freedom; ``n`` / ``n_w`` the rows / weight in the domain;
    ``hits`` / ``hits_w`` the rows / weight with a non-zero value; ``n_eff`` Kish's n of the domain.
    """

    estimate: np.ndarray
    variance: np.ndarray
    srs_variance: np.ndarray
    df: np.ndarray
    n: np.ndarray
    n_w: np.ndarray
    hits: np.ndarray
    hits_w: np.ndarray
    n_eff: np.ndarray


def _group_codes(design: Design, groups: np.ndarray | None, n_groups: int) -> np.ndarray:
    if groups is None:
        return np.zeros(design.n, dtype=np.intp)
    g = np.asarray(groups)
    if len(g) != design.n or (len(g) and g.max(initial=-1) >= n_groups):
        raise ValueError("groups must hold one code below n_groups per respondent (-1: none)")
    return g.astype(np.intp, copy=False)


def _row_codes(design: Design, m: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Stratum and PSU codes of the rows of a flattened (n, m) matrix."""
    if m == 1:
        return design._stratum, design._psu
    psu = None if design._psu is None else np.repeat(design._psu, m)
    return np.repeat(design._stratum, m), psu


def _stratum_sums(z, cells, size, stratum, psu, design: Design) -> tuple[np.ndarray, np.ndarray]:
    """Per stratum and cell: the sum and the sum of squares of the PSU totals of ``z``."""
    st = design._structure
    if psu is None:  # every row is its own PSU
        index = stratum * size + cells
        s1 = np.bincount(index, z, minlength=st.n_strata * size)
        s2 = np.bincount(index, np.square(z), minlength=st.n_strata * size)
        return s1.reshape(st.n_strata, size), s2.reshape(st.n_strata, size)
    n_units = int(st.n_psu.sum())
    totals = np.bincount(psu * size + cells, z, minlength=n_units * size).reshape(n_units, size)
    return _by_stratum(totals, design), _by_stratum(np.square(totals), design)


def _by_stratum(per_psu: np.ndarray, design: Design) -> np.ndarray:
    """Sum rows of a per-PSU array (PSU codes are sorted by stratum) into strata."""
    return np.add.reduceat(per_psu, design._structure.psu_starts, axis=0)


def _combine(s1: np.ndarray, s2: np.ndarray, design: Design) -> np.ndarray:
    """Σ_h scale_h (S2_h − S1_h²/n_h) over the leading (stratum) axis."""
    st = design._structure
    shape = (-1,) + (1,) * (s1.ndim - 1)
    centred = s2 - np.square(s1) / st.n_psu.reshape(shape)
    return np.maximum((st.scale.reshape(shape) * centred).sum(axis=0), 0.0)


def _columns(a: np.ndarray, n: int) -> np.ndarray:
    """An (n,) or (n, m) array as (n, m)."""
    if len(a) != n:
        raise ValueError("arrays must have one row per respondent")
    return a[:, None] if a.ndim == 1 else a


def taylor_variance(scores: np.ndarray, design: Design) -> np.ndarray:
    """Design variance of the total of each column of ``scores``, shape (n,) or (n, m).

    For a ratio r = Σwy/Σw over a domain pass ``w (y − r) / Σw`` inside it and 0 elsewhere.
    Returns shape (m,), or a 0-d array for 1-d scores.
    """
    z = np.asarray(scores, dtype=float)
    flat = _columns(z, design.n)
    m = flat.shape[1]
    stratum, psu = _row_codes(design, m)
    cells = np.tile(np.arange(m), design.n)
    s1, s2 = _stratum_sums(flat.ravel(), cells, m, stratum, psu, design)
    return _combine(s1, s2, design).reshape(z.shape[1:])


def ratio_means(
    y: np.ndarray,
    design: Design,
    *,
    mask: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    n_groups: int = 1,
    binary: bool = False,
) -> Ratios:
    """Σw·y/Σw of each column of ``y`` (n,) or (n, m) in each group, with design variances.

    NaN values, rows outside ``mask`` ((n,) or (n, m)) and rows with group code -1 are outside the
    domain. ``binary`` declares every value 0 or 1 (select_multiple ticks), which saves work.
    Returns :class:`Ratios` of shape (n_groups, m). Cost: a few sparse products over the rows.
    """
    values = _columns(np.asarray(y, dtype=bool if binary else float), design.n)
    m = values.shape[1]
    g = _group_codes(design, groups, n_groups)
    rows = g >= 0
    mask = None if mask is None else _columns(np.asarray(mask, dtype=bool), design.n)
    if mask is not None and mask.shape[1] > 1 and mask.strides[1] == 0:
        mask = mask[:, :1]  # one column broadcast to all: one domain for every column
    if not binary:
        finite = np.isfinite(values)
        mask = finite if mask is None else mask & finite
    if mask is not None and (mask.shape[1] == 1 or m == 1):
        rows, mask = rows & mask.all(axis=1), None  # one domain shared by every column
    sums = _Sums(design, g, n_groups, rows, m)
    with np.errstate(invalid="ignore", divide="ignore"):
        if binary:
            s = sums.binary(values if mask is None else values & mask, mask)
            shift = np.zeros(m)
        else:
            inside = np.broadcast_to(rows[:, None], values.shape) if mask is None else mask & rows[:, None]
            # Centre each column first (ratios shift with it, variances do not): no cancellation.
            shift = np.nan_to_num(np.where(inside, values, 0).sum(axis=0) / inside.sum(axis=0))
            s = sums.numeric(np.where(inside, values - shift, 0.0), inside & (values != 0), mask)
        estimate_c = s["wy"].sum(axis=0) / s["w"].sum(axis=0)
        variance, srs, df, n_eff = _ratio_variance(s, estimate_c, design)
    return Ratios(
        estimate_c + shift,
        variance,
        srs,
        np.asarray(df, dtype=float),
        s["n"].sum(axis=0),
        s["w"].sum(axis=0),
        s["hits"].sum(axis=0),
        s["w_hits"].sum(axis=0),
        n_eff,
    )


class _Sums:
    """Sums of columns over the rows of each unit (stratum or PSU, then group), as (units, groups, m)."""

    def __init__(self, design: Design, g: np.ndarray, n_groups: int, rows: np.ndarray, m: int) -> None:
        if not design.weighted:
            unit, n_units = np.maximum(g, 0), 1
        elif design._psu is None:
            unit, n_units = design._stratum * n_groups + np.maximum(g, 0), design._structure.n_strata
        else:
            unit, n_units = design._psu * n_groups + np.maximum(g, 0), int(design._structure.n_psu.sum())
        self.shape, self.m, self.size = (n_units, n_groups), m, n_units * n_groups
        self.unit = np.where(rows, unit, self.size)  # rows outside every domain go to a spare unit
        self.w = design.weights
        self.ww = np.square(design.weights_or_ones()) if design.weighted else None
        self._csr: tuple[np.ndarray, np.ndarray] | None = None

    def _by(self, factor: np.ndarray | None, x: np.ndarray | None) -> np.ndarray:
        """Σ factor·x per unit (factor: a weight per row or None for 1; x: columns or None for 1)."""
        if x is None or x.shape[1] <= 4:  # few columns: a bincount each
            columns = (
                [factor]
                if x is None
                else [x[:, j] if factor is None else factor * x[:, j] for j in range(x.shape[1])]
            )
            product = np.column_stack(
                [np.bincount(self.unit, v, minlength=self.size + 1)[: self.size] for v in columns]
            ).astype(float)
        else:  # many columns: one sparse product (rows sorted by unit once, then reused)
            if self._csr is None:
                keys = self.unit.astype(np.uint16 if self.size < 2**16 else np.intp)
                columns = np.argsort(keys, kind="stable")
                indptr = np.concatenate([[0], np.cumsum(np.bincount(keys, minlength=self.size + 1))])
                self._csr = (columns, indptr[: self.size + 1])
            columns, indptr = self._csr
            columns = columns[: indptr[-1]]
            data = np.ones(len(columns)) if factor is None else factor[columns]
            product = sparse.csr_array((data, columns, indptr), shape=(self.size, len(x))) @ x
        return np.broadcast_to(product.reshape(*self.shape, -1), (*self.shape, self.m))

    def _domain(self, mask: np.ndarray | None) -> dict[str, np.ndarray]:
        d = None if mask is None else mask.astype(float)
        out = {"n": self._by(None, d)}
        out["w"] = out["n"] if self.w is None else self._by(self.w, d)
        out["ww"] = out["n"] if self.ww is None else self._by(self.ww, d)
        return out

    def binary(self, ticks: np.ndarray, mask: np.ndarray | None) -> dict[str, np.ndarray]:
        out = self._domain(mask)
        y = ticks.astype(float)
        hits = self._by(None, y)
        w_hits = hits if self.w is None else self._by(self.w, y)
        wwy = hits if self.ww is None else self._by(self.ww, y)
        return out | {
            "hits": hits,
            "w_hits": w_hits,
            "y": hits,
            "yy": hits,
            "wy": w_hits,
            "wyy": w_hits,
            "wwy": wwy,
            "wwyy": wwy,
        }

    def numeric(self, yc: np.ndarray, nonzero: np.ndarray, mask: np.ndarray | None) -> dict[str, np.ndarray]:
        out = self._domain(mask)
        yy, nz = np.square(yc), nonzero.astype(float)
        out["y"], out["yy"], out["hits"] = self._by(None, yc), self._by(None, yy), self._by(None, nz)
        if self.w is None:
            out["wy"], out["wyy"], out["w_hits"] = out["y"], out["yy"], out["hits"]
        else:
            out["wy"], out["wyy"] = self._by(self.w, yc), self._by(self.w, yy)
            out["w_hits"] = self._by(self.w, nz)
        if self.ww is not None:
            out["wwy"], out["wwyy"] = self._by(self.ww, yc), self._by(self.ww, yy)
        return out


def _ratio_variance(s: dict[str, np.ndarray], r: np.ndarray, design: Design):
    """Design variance, SRS variance (with replacement), df and Kish n of ratios r (groups, m)."""
    n, total_w = s["n"].sum(axis=0), s["w"].sum(axis=0)
    srs = (s["wyy"] - 2 * r * s["wy"] + np.square(r) * s["w"]).sum(axis=0) / (total_w * (n - 1))
    if not design.weighted:
        residual = (s["yy"] - 2 * r * s["y"] + np.square(r) * s["n"]).sum(axis=0)
        return residual / (n * (n - 1)), srs, n - 1, n.astype(float)
    n_eff = np.square(total_w) / s["ww"].sum(axis=0)
    s1 = (s["wy"] - r * s["w"]) / total_w
    if design._psu is None:
        s2 = (s["wwyy"] - 2 * r * s["wwy"] + np.square(r) * s["ww"]) / np.square(total_w)
        return _combine(s1, s2, design), srs, n - (s["n"] > 0).sum(axis=0), n_eff
    psus = (s["n"] > 0).sum(axis=0)
    strata = (_by_stratum(s["n"], design) > 0).sum(axis=0)
    variance = _combine(_by_stratum(s1, design), _by_stratum(np.square(s1), design), design)
    return variance, srs, psus - strata, n_eff


def _cells(codes, k: int, valid, design: Design, groups, n_groups: int) -> np.ndarray:
    """Per row, its (group, option) cell in 0..n_groups·k − 1, or n_groups·k (a spare cell) when
    the row is outside the domain — so bincounts need no boolean gathers."""
    c = np.asarray(codes)
    if len(c) != design.n:
        raise ValueError("codes must have one entry per respondent")
    g = _group_codes(design, groups, n_groups)
    ok = (c >= 0) & (g >= 0)
    if valid is not None:
        ok &= np.asarray(valid, dtype=bool)
    if np.any(ok & (c >= k)):
        raise ValueError(f"codes must be below k={k}")
    return np.where(ok, g * k + c, n_groups * k).astype(np.intp, copy=False)


def _unit_cells(cell: np.ndarray, size: int, design: Design, weights: np.ndarray):
    """Count, Σw and Σw² per (unit, cell) — unit = stratum (own PSUs) or PSU — as (units, size)."""
    st = design._structure
    n_units = st.n_strata if design._psu is None else int(st.n_psu.sum())
    index = (design._stratum if design._psu is None else design._psu) * (size + 1) + cell

    def per_unit(values: np.ndarray | None) -> np.ndarray:
        found = np.bincount(index, values, minlength=n_units * (size + 1))
        return found.reshape(n_units, size + 1)[:, :size].astype(float)

    return per_unit(None), per_unit(weights), per_unit(np.square(weights))


def _units_df(counts: np.ndarray, design: Design) -> np.ndarray:
    """PSUs minus strata holding a row of each domain, from row counts per (unit, domain)."""
    if design._psu is None:  # units are strata and every row is a PSU
        return counts.sum(axis=0) - (counts > 0).sum(axis=0)
    return (counts > 0).sum(axis=0) - (_by_stratum(counts, design) > 0).sum(axis=0)


def cell_proportions(
    codes: np.ndarray,
    k: int,
    design: Design,
    *,
    valid: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    n_groups: int = 1,
) -> Ratios:
    """The weighted share of each option 0..k-1 of ``codes`` in each group: :class:`Ratios` (G, k).

    Codes < 0, rows outside ``valid`` and group code -1 are outside the domain (the denominator).
    """
    size, shape = n_groups * k, (n_groups, k)
    cell = _cells(codes, k, valid, design, groups, n_groups)
    if design.weighted:
        count, wu, qu = _unit_cells(cell, size, design, design.weights_or_ones())
        units = (len(count), n_groups, k)
        count, wu, qu = count.reshape(units), wu.reshape(units), qu.reshape(units)
        hits, hits_w, squares = count.sum(axis=0), wu.sum(axis=0), qu.sum(axis=0)
    else:
        hits = np.bincount(cell, minlength=size + 1)[:size].reshape(shape)
        w = design.weights
        hits_w = hits.astype(float) if w is None else np.bincount(cell, w, size + 1)[:size].reshape(shape)
        squares = hits_w if w is None else np.bincount(cell, np.square(w), size + 1)[:size].reshape(shape)
    n = np.broadcast_to(hits.sum(axis=1, keepdims=True), shape)
    n_w = np.broadcast_to(hits_w.sum(axis=1, keepdims=True), shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = hits_w / n_w
        srs = p * (1 - p) / (n - 1)
        n_eff = np.square(n_w) / squares.sum(axis=1, keepdims=True)
        if not design.weighted:
            return Ratios(p, p * (1 - p) / n, srs, np.asarray(n - 1, float), n, n_w, hits, hits_w, n_eff)
        total = n_w[:, :1]
        if design._psu is None:  # own PSUs: Σ z² from Σw² per cell, no per-row scores needed
            s1 = (wu - p * wu.sum(axis=2, keepdims=True)) / total
            s2 = (qu * (1 - 2 * p) + np.square(p) * qu.sum(axis=2, keepdims=True)) / np.square(total)
        else:
            z = (wu - p * wu.sum(axis=2, keepdims=True)) / total
            s1, s2 = _by_stratum(z, design), _by_stratum(np.square(z), design)
        variance = _combine(s1.reshape(len(s1), -1), s2.reshape(len(s2), -1), design).reshape(shape)
    df = np.broadcast_to(_units_df(count.sum(axis=2), design)[:, None], shape).astype(float)
    return Ratios(p, variance, srs, df, n, n_w, hits, hits_w, n_eff)


def cell_covariance(
    codes: np.ndarray, k: int, design: Design, *, valid: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, int, float]:
    """Shares of options 0..k-1 with their k×k design covariance: ``(p, V, n, df)``.

    For a simple design V is the multinomial ``(diag p − p pᵀ)/n``.
    """
    cell = _cells(codes, k, valid, design, None, 1)
    if not design.weighted:
        wc = np.bincount(cell, design.weights, minlength=k + 1)[:k]
        n = int(np.count_nonzero(cell < k))
        p = wc / wc.sum()
        return p, (np.diag(p) - np.outer(p, p)) / n, n, float(n - 1)
    st = design._structure
    count, wu, qu = _unit_cells(cell, k, design, design.weights_or_ones())
    total = wu.sum()
    p = wu.sum(axis=0) / total
    s1 = (wu - wu.sum(axis=1, keepdims=True) * p) / total
    if design._psu is None:  # Σ_i z_i z_iᵀ per stratum from Σw² per cell
        qp = qu[:, :, None] * p[None, None, :]
        outer = qu.sum(axis=1)[:, None, None] * np.outer(p, p)
        s2 = (qu[:, :, None] * np.eye(k) - qp - qp.transpose(0, 2, 1) + outer) / total**2
        second = np.einsum("h,hij->ij", st.scale, s2)
    else:
        unit_scale = np.repeat(st.scale, st.n_psu.astype(int))
        second = (s1 * unit_scale[:, None]).T @ s1
        s1 = _by_stratum(s1, design)
    first = (s1 * (st.scale / st.n_psu)[:, None]).T @ s1
    df = float(_units_df(count.sum(axis=1, keepdims=True), design)[0])
    return p, second - first, int(count.sum()), df
