"""The survey side of triangulation: each need indicator's prevalence, with its need domain.

:func:`evidence` reads a questionnaire's dataset (:mod:`analysis.dataset`) and gives, for every
indicator that names a ``domain`` (safety indicators excepted: they are individual follow-ups,
never a prevalence), the share flagged among those it counts, unweighted, with Wilson's interval
— what :func:`analysis.qualitative.triangulate` sets beside the sessions' codes.
"""

from __future__ import annotations

from analysis.dataset import Dataset
from analysis.design import Design
from analysis.estimates import proportions
from analysis.qualitative import SurveyEvidence
from analysis.report_needs import indicator_variables


def evidence(dataset: Dataset) -> list[SurveyEvidence]:
    """The prevalence of each domain-bearing indicator of ``dataset``'s form."""
    domains = {c.indicator.name: c.indicator for c in dataset.form.indicators if c.indicator.domain}
    out, seen = [], set()
    for variable in indicator_variables(dataset):
        indicator = domains.get(variable.name)
        if indicator is None or variable.name in seen or variable.codes is None:
            continue
        seen.add(variable.name)
        found = proportions(variable.codes, 2, Design.simple(dataset.n))[1]
        if found.n_total == 0:
            continue
        out.append(
            SurveyEvidence(
                domain=indicator.domain or "",
                form=dataset.form.form.id,
                indicator=indicator.name,
                estimate=found.estimate,
                low=found.ci_low,
                high=found.ci_high,
                n=found.n_total,
                bradshaw=tuple(indicator.bradshaw),
            )
        )
    return out
