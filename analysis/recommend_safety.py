"""Safety indicators → an individual follow-up list: never a prevalence, never ranked, never in a proposal.

A form indicator marked ``safety`` (self-harm thoughts, a disclosure of violence, a child
protection concern) is evaluated per record; each record that raises it becomes a
:class:`FollowUp` carrying the record's id, where and when it was collected, who collected it, and
the safety rule's action (a generic one when the rulebook has none for the indicator). Who may
see the list — admins, and the fieldworker who made the visit — is the server's business.
"""

from __future__ import annotations

import numpy as np
from msgspec import Struct

from analysis.dataset import Dataset
from analysis.dataset_logic import Evaluator
from analysis.rulebook import Rulebook
from forms.model import Localized

__all__ = ["GENERIC_ACTION", "FollowUp", "follow_ups"]

GENERIC_ACTION: Localized = {
    "zh": "尽快由社工个案跟进，按机构危机干预流程评估风险并转介。",
    "en": (
        "Casework by a social worker as soon as possible: assess the risk and refer under the "
        "agency's crisis procedure."
    ),
}


class FollowUp(Struct, frozen=True, kw_only=True):
    """One record raising a safety indicator, and what to do."""

    record: str
    form: str
    indicator: str
    label: Localized
    rule: str | None
    action: Localized
    site: str = ""
    collected_at: str = ""
    collector: str = ""


def follow_ups(dataset: Dataset, book: Rulebook) -> tuple[FollowUp, ...]:
    """Every record of ``dataset`` raising one of its form's safety indicators, in record order."""
    rules = {r.indicator: r for r in book.rules if r.safety}
    evaluator = Evaluator(dataset, None)
    meta = {name: _column(dataset, f"_{name}") for name in ("uuid", "site", "collected_at", "collector")}
    out: list[tuple[int, FollowUp]] = []
    for compiled in dataset.form.indicators:
        ind = compiled.indicator
        if not ind.safety:
            continue
        raised = evaluator.condition([compiled.flag], error=False)
        if compiled.population is not None:
            raised &= evaluator.condition([compiled.population], error=False)
        rule = rules.get(ind.name)
        for i in np.flatnonzero(raised).tolist():
            out.append(
                (
                    i,
                    FollowUp(
                        record=meta["uuid"][i] or f"record {i + 1}",
                        form=dataset.form.form.id,
                        indicator=ind.name,
                        label=ind.label,
                        rule=rule.id if rule else None,
                        action=rule.action if rule else GENERIC_ACTION,
                        site=meta["site"][i],
                        collected_at=meta["collected_at"][i],
                        collector=meta["collector"][i],
                    ),
                )
            )
    return tuple(f for _, f in sorted(out, key=lambda pair: pair[0]))


def _column(dataset: Dataset, name: str) -> list[str]:
    column = dataset.main.columns.get(name)
    values = getattr(column, "values", None)
    if values is None:
        return [""] * dataset.n
    return ["" if v is None else str(v) for v in values.tolist()]
