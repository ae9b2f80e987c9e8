"""When an opinion, a recommendation or a consultation is overdue (DOMAIN.md),
as feedback's aggregates and lists and reporting's items as of a day both ask.
Due dates are inclusive: an item is overdue from the day after.

- Opinions (R-OPN-2): while ``received`` after the acknowledgement due date,
  or while ``received``/``acknowledged`` after the answer due date.
- Recommendations (R-REC-3): while ``forwarded``/``accepted`` after the
  letter's due date (not completed or declined).
- Consultations (R-CSL-1): while ``requested`` after the due date.
"""

from __future__ import annotations

import datetime as dt


def days_past(due: dt.date | None, today: dt.date) -> int:
    """Days ``today`` is past an (inclusive) due date; 0 when it is not, or there is none."""
    return max(0, (today - due).days) if due else 0


def opinion_due(status: str | None, acknowledge_due: dt.date | None, due: dt.date | None,
                today: dt.date) -> dt.date | None:
    """R-OPN-2: the due date that counts on ``today``: the acknowledgement's while the
    opinion is unacknowledged and the answer's has not passed, else the answer's."""
    if status == "received" and acknowledge_due and (not due or today <= due):
        return acknowledge_due
    return due


def opinion_overdue_days(status: str | None, acknowledge_due: dt.date | None, due: dt.date | None,
                         today: dt.date) -> int:
    """R-OPN-2: days past the due date that counts (``opinion_due``); 0 when not overdue."""
    if status not in ("received", "acknowledged"):
        return 0
    return days_past(opinion_due(status, acknowledge_due, due, today), today)


def recommendation_overdue_days(status: str | None, due: dt.date | None, today: dt.date) -> int:
    """R-REC-3: days past the due date while not completed or declined; 0 when not overdue."""
    return days_past(due, today) if status in ("forwarded", "accepted") else 0


def consultation_overdue_days(status: str | None, due: dt.date | None, today: dt.date) -> int:
    """R-CSL-1: days past the due date while no opinion is issued; 0 when not overdue."""
    return days_past(due, today) if status == "requested" else 0
