"""An ``OpinionSubmitted`` as the release before R-SEC-4's amendment stored it: with the
street address, the photo's URL, and a non-public opinion's text and exact point in the
event (issue 15 item 7). Written straight into the feedback event store, through the
recorder (so its chain link is made as any other's)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.backbone import clock
from services.feedback.application import new_ref
from services.feedback.domain import Opinion

OLD_ADDRESS = "柳园南路 88 号 3 单元"
OLD_MEDIA = "https://photos.example.org/old-shape-4711.jpg"
OLD_TEXT = "我家楼下的井盖松动（旧格式，不公开）"
OLD_POINT = {"lat": 36.451234, "lon": 115.981234}
OLD_SECRETS = (OLD_ADDRESS, OLD_MEDIA, OLD_TEXT, "36.451234", "115.981234")


def store_old_shape_opinion(app: Any, district: str, government: str | None, group: str | None) -> str:
    """Store one non-public opinion in the old shape; its reference."""
    today = clock.today()
    opinion = Opinion.receive(
        today=today, date=today - dt.timedelta(days=1), acknowledge_days=5, answer_days=30, ref=new_ref(),
        district=district, government=government, group=group, category="utilities", text=OLD_TEXT,
        channel="open311", public=False, point=None, address=None, media_url=None, attributes={},
        contact_phone_masked=None, person_key=None,
    )
    [event] = opinion.collect_events()
    # what the old release put in the event
    event.__dict__.update(text=OLD_TEXT, point=dict(OLD_POINT), address=OLD_ADDRESS, media_url=OLD_MEDIA)
    app.recorder.insert_events([app.mapper.to_stored_event(event)])
    app.appended.set()
    return opinion.ref


def store_old_shape_snapshot(app: Any, ref: str) -> None:
    """A snapshot of that opinion as the old release would have taken it (the fields in its state)."""
    from eventsourcing.domain import Snapshot

    snapshot = Snapshot.take(app.get_opinion(ref))
    snapshot.state.update(text=OLD_TEXT, point=dict(OLD_POINT), address=OLD_ADDRESS, media_url=OLD_MEDIA)
    app.snapshots.put([snapshot])
