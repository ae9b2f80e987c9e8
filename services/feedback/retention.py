"""Residents' personal data is kept no longer than needed (R-SEC-4; PIPL art. 19, data minimisation).

``RPS_PERSONAL_DATA_RETENTION_DAYS`` (default 365) after an opinion was
closed — or, for one never closed, after it last changed — the name, phone,
e-mail and app user id given with it, and its private fields (address, photo,
non-public text, exact point: ``fb_opinion_private``, kept for opinions without
a contact too) are erased by ``rps purge-personal-data``.
The purge takes exactly the path of ``DELETE /opinions/{ref}/personal-data``
(``FeedbackApplication.erase_personal_data``) with the system as the actor:
the vault row goes, an ``PersonalDataErased`` event records it, the
opinion and its history stay.

Candidates come from the feedback read models (opinions still holding a
person's key or private fields, closed or changed before the cut-off); each is then checked on
the opinion itself, so a read model that lags can delay a purge to the next
run but never erase too early.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from services.backbone import clock, context
from services.backbone.domain import NotFound

if TYPE_CHECKING:
    from services.feedback.application import FeedbackApplication
    from services.feedback.domain import Opinion

# The purge acts as the system (R-SEC-2: the actor on the erasure events).
SYSTEM = context.Actor(subject="system", role="system")


@dataclass(frozen=True)
class Due:
    """An opinion whose personal data has outlived the retention period (no personal data here)."""

    ref: str
    since: dt.date  # the day it was closed, or last changed when never closed


@dataclass
class PurgeResult:
    retention_days: int
    cutoff: dt.date  # data of opinions closed (or last changed) before this day is due
    dry_run: bool
    due: list[Due] = field(default_factory=list)
    erased: list[str] = field(default_factory=list)


def cutoff_for(today: dt.date, retention_days: int) -> dt.date:
    """Closed (or last changed) before this day means more than ``retention_days`` ago."""
    return today - dt.timedelta(days=retention_days)


def reference_date(opinion: "Opinion") -> dt.date:
    """When the retention period of an opinion's personal data starts."""
    if opinion.status == "closed" and opinion.closed_on:
        return dt.date.fromisoformat(opinion.closed_on)
    return opinion.modified_on.astimezone(clock.TZ).date()


def find_due(app: "FeedbackApplication", *, today: dt.date | None = None,
             retention_days: int | None = None) -> tuple[dt.date, list[Due]]:
    """The opinions whose personal data is due for erasure, oldest first."""
    if app.db is None:
        raise RuntimeError("the feedback application has no database bound")
    days = app.settings.personal_data_retention_days if retention_days is None else retention_days
    cutoff = cutoff_for(today or clock.today(), days)
    rows = app.db.query(
        "SELECT o.ref FROM fb_opinions o LEFT JOIN fb_notify_opinions n ON n.ref = o.ref"
        " WHERE (n.person_key IS NOT NULL OR EXISTS (SELECT 1 FROM fb_opinion_private p WHERE p.ref = o.ref))"
        " AND ((o.status = 'closed' AND o.closed_on < %s) OR (o.status <> 'closed' AND o.updated_at < %s))"
        " ORDER BY o.ref",
        (cutoff.isoformat(), cutoff.isoformat()),
    )
    due = []
    for row in rows:
        try:
            opinion = app.get_opinion(row["ref"])
        except NotFound:
            continue
        if opinion.personal_data_erased or not (opinion.person_key or app.vault.details([opinion.ref])):
            continue  # erased already, or nothing personal held (no contact, no private fields)
        since = reference_date(opinion)
        if since < cutoff:  # the read model may lag: the opinion itself decides
            due.append(Due(ref=opinion.ref, since=since))
    due.sort(key=lambda d: (d.since, d.ref))
    return cutoff, due


def purge_personal_data(app: "FeedbackApplication", *, dry_run: bool = False, today: dt.date | None = None,
                        retention_days: int | None = None) -> PurgeResult:
    """Erase the personal data kept past the retention period; ``dry_run`` only lists it."""
    days = app.settings.personal_data_retention_days if retention_days is None else retention_days
    cutoff, due = find_due(app, today=today, retention_days=days)
    result = PurgeResult(retention_days=days, cutoff=cutoff, dry_run=dry_run, due=due)
    if dry_run:
        return result
    ctx = context.RequestContext(actor=SYSTEM, correlation_id=context.new_correlation_id())
    with context.acting(ctx):
        for item in due:
            # The same path as DELETE /opinions/{ref}/personal-data: row erased, event recorded.
            if app.erase_personal_data(item.ref):
                result.erased.append(item.ref)
    return result
