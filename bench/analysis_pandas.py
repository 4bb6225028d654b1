"""The benchmark's baseline: the report's statistics written the straightforward way, pandas + scipy.

The data frame is what an analyst gets from ``pandas.read_csv`` of a Kobo export: text columns
for choices, floats for numbers, one 0/1 column per option ``q/opt`` for select_multiple. Then,
per question, overall and per group of each segment: shares with Wilson intervals (value_counts,
groupby), means with t intervals, medians with distribution-free order-statistic intervals;
per question and segment a test (crosstab + chi2_contingency or fisher_exact; kruskal or
mannwhitneyu on the groups' values; per option for select_multiple) and Benjamini–Hochberg per
segment; scales (reverse coding, row means, α from the covariance); indicators (boolean masks,
prevalence and phases by group, the 20% rule).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

SEGMENTS = ("district", "sex", "age_band", "hh_type")
Z = stats.norm.ppf(0.975)


def frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    data: dict[str, object] = {}
    for name, values in columns.items():
        if values.ndim == 2:
            answered = values.any(axis=1) | (np.random.default_rng(0).random(len(values)) < 0.8)
            for j in range(values.shape[1]):
                data[f"{name}/o{j}"] = np.where(answered, values[:, j].astype(float), np.nan)
        elif values.dtype.kind in "iu":
            prefix = name[0] if name in SEGMENTS else ("a" if name.startswith("l") else "o")
            text = np.array(
                [f"{prefix}{v + (1 if prefix == 'a' else 0)}" for v in range(values.max() + 1)], dtype=object
            )
            data[name] = pd.Series(np.where(values >= 0, text[np.maximum(values, 0)], None), dtype=object)
        else:
            data[name] = values
    return pd.DataFrame(data)


def wilson(k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * np.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    return centre - half, centre + half


def shares(df: pd.DataFrame, q: str) -> list[pd.DataFrame]:
    out = []
    counts = df[q].value_counts()
    low, high = wilson(counts.to_numpy(float), float(counts.sum()))
    out.append(pd.DataFrame({"p": counts / counts.sum(), "low": low, "high": high}))
    for seg in SEGMENTS:
        table = df.groupby(seg)[q].value_counts().unstack(fill_value=0)
        n = table.sum(axis=1).to_numpy(float)[:, None]
        low, high = wilson(table.to_numpy(float), n)
        out.append(pd.DataFrame({"p": (table / n).stack(), "low": low.ravel(), "high": high.ravel()}))
    return out


def means(df: pd.DataFrame, q: str) -> list[pd.DataFrame]:
    out = []
    for by in (None, *SEGMENTS):
        g = df[q].dropna() if by is None else df.groupby(by)[q]
        agg = (
            g.agg(["mean", "std", "count", "median"])
            if by
            else pd.DataFrame([g.agg(["mean", "std", "count", "median"])])
        )
        half = stats.t.ppf(0.975, agg["count"] - 1) * agg["std"] / np.sqrt(agg["count"])
        agg["low"], agg["high"] = agg["mean"] - half, agg["mean"] + half
        groups = [(None, df[q])] if by is None else list(df.groupby(by)[q])
        bounds = []
        for _, values in groups:  # order statistics: binomial ranks around the median
            x = np.sort(values.dropna().to_numpy())
            n = len(x)
            lo = int(stats.binom.ppf(0.025, n, 0.5))
            hi = min(int(stats.binom.isf(0.025, n, 0.5)), n - 1)
            bounds.append((x[lo], x[hi]))
        agg["median_low"], agg["median_high"] = zip(*bounds, strict=True)
        out.append(agg)
    return out


def table_test(table: pd.DataFrame) -> float:
    t = table.to_numpy()
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    if min(t.shape) < 2:
        return np.nan
    expected = stats.contingency.expected_freq(t)
    if (expected < 1).any() or (expected < 5).mean() > 0.2:
        return float(stats.fisher_exact(t).pvalue) if t.shape == (2, 2) else np.nan
    return float(stats.chi2_contingency(t)[1])


def rank_test(df: pd.DataFrame, q: str, seg: str) -> float:
    groups = [g.dropna().to_numpy() for _, g in df.groupby(seg)[q]]
    groups = [g for g in groups if len(g)]
    if len(groups) == 2:
        return float(stats.mannwhitneyu(*groups).pvalue)
    return float(stats.kruskal(*groups).pvalue)


def alpha(items: pd.DataFrame) -> float:
    complete = items.dropna()
    cov = complete.cov().to_numpy()
    k = cov.shape[0]
    return k / (k - 1) * (1 - np.trace(cov) / cov.sum())


def baseline(columns: dict[str, np.ndarray]) -> dict[str, object]:
    df = frame(columns)
    results: dict[str, object] = {}
    p_values: dict[str, list[float]] = {seg: [] for seg in SEGMENTS}
    likert = [c for c in df.columns if c.startswith("l")]
    for q in df.columns:
        if q in SEGMENTS or "/" in q:
            continue
        if q.startswith("s") or q in likert:
            results[q] = shares(df, q)
            for seg in SEGMENTS:
                if q in likert:
                    scores = df[q].str[1:].astype(float)
                    p_values[seg].append(rank_test(df.assign(_score=scores), "_score", seg))
                else:
                    p_values[seg].append(table_test(pd.crosstab(df[seg], df[q])))
        else:
            results[q] = means(df, q)
            for seg in SEGMENTS:
                p_values[seg].append(rank_test(df, q, seg))
    for q in likert:
        scores = df[q].str[1:].astype(float)
        df[f"{q}_score"] = scores
        df[f"{q}_top2"] = (scores >= 4).astype(float).where(scores.notna())
        results[f"{q}_mean"] = means(df, f"{q}_score")
        results[f"{q}_top2"] = means(df, f"{q}_top2")
    multiples = sorted({c.split("/")[0] for c in df.columns if "/" in c})
    for q in multiples:
        dummies = [c for c in df.columns if c.startswith(f"{q}/")]
        for c in dummies:
            results[c] = means(df, c)
            for seg in SEGMENTS:
                p_values[seg].append(table_test(pd.crosstab(df[seg], df[c])))
    for name, items in (("wellbeing", likert[:6]), ("trust", likert[6:])):
        scored = df[[f"{i}_score" for i in items]].copy()
        scored.iloc[:, 5] = 6 - scored.iloc[:, 5]
        results[f"{name}_alpha"] = alpha(scored)
        df[name] = scored.mean(axis=1).where(scored.notna().sum(axis=1) >= 3)
        results[name] = means(df, name)
        for seg in SEGMENTS:
            p_values[seg].append(rank_test(df, name, seg))
    flags = {
        "low_income": (df["x0"] < 20, df["x0"] < 5, df["x0"] < 10, df["x0"].notna()),
        "no_support": (
            (df["m0/o1"] == 1) & (df["s0"] == "o0"),
            df["s1"] == "o0",
            df["s2"] == "o0",
            df["m0/o1"].notna() | df["s0"].notna(),
        ),
        "distress": (
            (df["l0"] == "a1") | (df["l1"] == "a1"),
            (df["l0"] == "a1") & (df["l1"] == "a1"),
            df["l2"] == "a1",
            df["l0"].notna() | df["l1"].notna(),
        ),
    }
    for name, (flag, severe, stressed, counted) in flags.items():
        phase = np.select([flag & severe, flag & stressed, flag], [4, 3, 3], 1)
        df[name] = flag.astype(float).where(counted)
        df[f"{name}_phase"] = pd.Series(phase, index=df.index).where(counted)
        results[name] = means(df, name)
        results[f"{name}_phases"] = shares(df, f"{name}_phase")
        for seg in SEGMENTS:
            shares_by = df.groupby(seg)[f"{name}_phase"].value_counts(normalize=True).unstack(fill_value=0)
            at_least = shares_by.reindex(columns=[1, 2, 3, 4, 5], fill_value=0).iloc[:, ::-1].cumsum(axis=1)
            results[f"{name}_area_{seg}"] = (
                (at_least >= 0.2)
                .iloc[:, ::-1]
                .apply(lambda r: 5 - list(r[::-1]).index(True) if r.any() else 1, axis=1)
            )
            p_values[seg].append(table_test(pd.crosstab(df[seg], df[name])))
    for seg, ps in p_values.items():
        p = np.array(ps, dtype=float)
        results[f"bh_{seg}"] = stats.false_discovery_control(p[np.isfinite(p)])
    return results
