"""The individual follow-up list: respondents who raised a safety indicator (self-harm, violence,
child protection). Admins see every one; a fieldworker sees those from the visits they made.
Never ranked and never in a proposal: the list is built from the records, not the results table.
The actions are the safety rules' of the rulebook each form's assessment uses (survey.domain.rules).
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from analysis.dataset import Dataset
from analysis.recommend_safety import follow_ups as raised
from forms.model import Localized
from survey.domain import publishing, rules
from survey.domain.accounts import Principal
from survey.store.models import FormRecord, Site, Submission, User


class FollowUpRow(Struct, frozen=True, kw_only=True):
    """A record to follow up, with what to do."""

    form_id: str
    form_title: Localized
    record: str
    indicator: Localized
    action: Localized
    rule: str | None
    site: str
    collected_at: str
    collector: str


def follow_ups(db: DbSession, principal: Principal) -> list[FollowUpRow]:
    """The follow-ups ``principal`` may see: all for an admin, their own visits for a fieldworker."""
    if not principal.has("fieldworker"):
        return []
    out: list[FollowUpRow] = []
    for form_id, versions in publishing.versions(db).items():
        compiled = [publishing.compiled(v) for v in reversed(versions)]
        if compiled[0].form.kind != "questionnaire" or not any(
            i.safety for c in compiled for i in c.form.indicators
        ):
            continue
        records = _records(db, form_id, None if "admin" in principal.roles else principal.user_id)
        if not records:
            continue
        dataset = Dataset.from_records({c.form.version: c for c in compiled}, records, form_id)
        title = db.scalar(select(FormRecord.title).where(FormRecord.id == form_id)) or {}
        book = rules.for_form(db, form_id).book
        out += [
            FollowUpRow(
                form_id=form_id,
                form_title=title,
                record=f.record,
                indicator=f.label,
                action=f.action,
                rule=f.rule,
                site=f.site,
                collected_at=f.collected_at[:16].replace("T", " "),
                collector=f.collector,
            )
            for f in raised(dataset, book)
        ]
    return out


def _records(db: DbSession, form_id: str, collector: int | None) -> list[dict[str, Any]]:
    query = (
        select(
            Submission.uuid,
            Submission.form_version,
            Submission.answers,
            Site.code,
            User.username,
            Submission.collected_at,
        )
        .outerjoin(Site, Site.id == Submission.site_id)
        .outerjoin(User, User.id == Submission.collector_id)
        .where(Submission.form_id == form_id)
        .order_by(Submission.id)
    )
    if collector is not None:
        query = query.where(Submission.collector_id == collector)
    return [
        {
            "uuid": uuid,
            "form_version": version,
            "answers": answers,
            "site": site or "",
            "collector": who or "",
            "collected_at": when.isoformat() if when else "",
        }
        for uuid, version, answers, site, who, when in db.execute(query)
    ]
