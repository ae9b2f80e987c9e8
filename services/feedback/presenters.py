"""Aggregates as the JSON the HTTP answers carry (staff views; the public
opinion view is ``FeedbackApplication.public_view``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.backbone import clock
from services.feedback.domain import (
    AnnualSummary,
    Consultation,
    Letter,
    Opinion,
    Publicity,
    Rating,
    Recommendation,
    Reminders,
    WorkSummary,
)


def updated_at(aggregate: Any) -> str:
    """When an aggregate last changed, as every answer shows it (Asia/Shanghai, to the second)."""
    return aggregate.modified_on.astimezone(clock.TZ).isoformat(timespec="seconds")


def _common(aggregate: Any) -> dict[str, Any]:
    return {
        "id": str(aggregate.id),
        "version": aggregate.version,
        "updated_at": updated_at(aggregate),
    }


def opinion(o: Opinion, today: dt.date, details: Any = None) -> dict[str, Any]:
    """``details``: the opinion's personal details from the vault (R-SEC-4), for staff only;
    without them the answer shows what the events carry (no address or photo, a non-public
    opinion's text and point withheld)."""
    shown = details.shown() if details is not None else {}
    return {
        **_common(o),
        "ref": o.ref,
        "status": o.status,
        "district": o.district,
        "government": o.government,
        "group": o.group,
        "category": o.category,
        "channel": o.channel,
        "text": shown.get("text", o.text),
        "public": o.public,
        "point": shown.get("point", o.point),
        "address": shown.get("address"),
        "media_url": shown.get("media_url"),
        "attributes": o.attributes,
        "date": o.date,
        "acknowledge_due_date": o.acknowledge_due_date,
        "due_date": o.due_date,
        "acknowledged_on": o.acknowledged_on,
        "answered_on": o.answered_on,
        "closed_on": o.closed_on,
        "reply": o.reply,
        "recommendation": o.recommendation,
        "relays": list(o.relays),
        "contact_phone_masked": o.contact_phone_masked,
        "has_personal_data": bool(o.person_key) and not o.personal_data_erased,
        "overdue": o.overdue(today),
    }


def recommendation(r: Recommendation, today: dt.date) -> dict[str, Any]:
    overdue_days = r.overdue_days(today)
    return {
        **_common(r),
        "status": r.status,
        "group": r.group,
        "district": r.district,
        "government": r.government,
        "title": r.title,
        "text": r.text,
        "category": r.category,
        "source": r.source,
        "opinions": list(r.opinions),
        "visits": list(r.visits),
        "date": r.date,
        "letter": r.letter,
        "letter_no": r.letter_no,
        "forwarded_on": r.forwarded_on,
        "due_date": r.due_date,
        "decided_on": r.decided_on,
        "decline_reason": r.decline_reason,
        "percent": r.percent,
        "progress": list(r.progress),
        "completed_on": r.completed_on,
        "verified_on": r.verified_on,
        "reopened": list(r.reopened),
        "withdrawn_on": r.withdrawn_on,
        "overdue": overdue_days > 0,
        "overdue_days": overdue_days,
    }


def letter(letter_: Letter, items: list[Recommendation], today: dt.date) -> dict[str, Any]:
    return {
        **_common(letter_),
        "letter_no": letter_.letter_no,
        "government": letter_.government,
        "date": letter_.date,
        "due_date": letter_.due_date,
        "districts": list(letter_.districts),
        "groups": list(letter_.groups),
        "recommendations": [
            {"id": str(r.id), "title": r.title, "district": r.district, "status": r.status, "percent": r.percent,
             "overdue_days": r.overdue_days(today)}
            for r in items
        ],
    }


def consultation(c: Consultation, today: dt.date) -> dict[str, Any]:
    overdue_days = c.overdue_days(today)
    return {
        **_common(c),
        "status": c.status,
        "group": c.group,
        "district": c.district,
        "government": c.government,
        "kind": c.kind,
        "subject": c.subject,
        "stage": c.stage,
        "documents": list(c.documents),
        "question": c.question,
        "asked_by": c.asked_by,
        "date": c.date,
        "due_date": c.due_date,
        "verdict": c.verdict,
        "opinion": c.opinion,
        "answered_on": c.answered_on,
        "closed_on": c.closed_on,
        "overdue": overdue_days > 0,
        "overdue_days": overdue_days,
    }


def publicity(p: Publicity) -> dict[str, Any]:
    return {**_common(p), "group": p.group, "district": p.district, "government": p.government, "date": p.date,
            "mode": p.mode, "title": p.title, "audience": p.audience, "platform": p.platform, "text": p.text}


def work_summary(w: WorkSummary) -> dict[str, Any]:
    return {**_common(w), "group": w.group, "district": w.district, "government": w.government, "kind": w.kind,
            "period": w.period, "date": w.date, "text": w.text, "highlights": list(w.highlights),
            "revision": w.revision}


def rating(r: Rating) -> dict[str, Any]:
    return {**_common(r), "group": r.group, "district": r.district, "government": r.government, "year": r.year,
            "target": r.target, "target_code": r.target_code, "scores": dict(r.scores), "text": r.text,
            "date": r.date, "revision": r.revision}


def annual_summary(a: AnnualSummary) -> dict[str, Any]:
    return {**_common(a), "kind": a.kind, "author": a.author, "government": a.government, "district": a.district,
            "group": a.group, "year": a.year, "text": a.text, "date": a.date, "revision": a.revision}


def reminders(r: Reminders, created: bool) -> dict[str, Any]:
    """A date's issued reminders: ``issued`` is false when the date had been issued before (R-RPT-8)."""
    counts: dict[str, int] = {}
    for item in r.reminders:
        counts[item["kind"]] = counts.get(item["kind"], 0) + 1
    return {**_common(r), "date": r.date, "issued": created, "count": len(r.reminders), "counts": counts}
