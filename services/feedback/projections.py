"""The feedback service's read models (fed by events, exactly once).

- ``DirectoryProjection``: the organisation (the programme's one projection
  of the contracts service's events: governments, districts with boundaries,
  groups) under ``fb_dir_``; opinions find their district and group here,
  recommendations their government.
- ``FeedbackListsProjection``: the feedback service's own lists (opinions,
  recommendations, letters, consultations) with the columns lists filter on.
- ``NotificationOutboxProjection``: turns status changes, and each day's
  reminders (``RemindersIssued``, R-RPT-8), into messages for the people
  concerned, written to ``fb_outbox`` in the same transaction as the
  tracking record; the dispatcher (notifications.py) delivers them.
- ``PersonalDataTables``: not a read model — the personal-data table
  (R-SEC-4), listed here so ``rps migrate`` creates it with the others.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from services.backbone import clock
from services.backbone.persistence import Cursor
from services.backbone.tracking import Projection, handles
from services.feedback import personal
from services.feedback.domain import Letter
from services.programme.organisation import OrganisationProjection

DIRECTORY_PREFIX = "fb_dir_"


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _local_time(envelope: dict[str, Any]) -> str:
    """The event's recording time in Asia/Shanghai, to the second (Open311 datetimes)."""
    when = dt.datetime.fromisoformat(envelope["time"]).astimezone(clock.TZ)
    return when.replace(microsecond=0).isoformat()


def _requested_at(envelope: dict[str, Any], date: str) -> str:
    """When the request was made: the recording time when it was entered the same
    day, else the business date's start (paper records entered afterwards)."""
    recorded = _local_time(envelope)
    if recorded[:10] == date:
        return recorded
    return dt.datetime.combine(dt.date.fromisoformat(date), dt.time(0), clock.TZ).isoformat()


class DirectoryProjection(OrganisationProjection):
    """The organisation (the programme's one projection of it) under ``fb_dir_``."""

    name = "feedback.directory"
    consumer = "feedback"
    prefix = DIRECTORY_PREFIX


class VisitsDirectoryProjection(Projection):
    """R-REC-1: the district of every visit (from visits' ``VisitLogged``), so a
    recommendation links only visits of its own district."""

    name = "feedback.visits"
    consumer = "feedback"
    sources = ("visits",)
    table_names = ("fb_dir_visits",)
    tables = (
        "CREATE TABLE IF NOT EXISTS fb_dir_visits (id TEXT PRIMARY KEY, grp TEXT, district TEXT NOT NULL, date TEXT)",
    )

    @handles("VisitLogged")
    def visit_logged(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            "INSERT INTO fb_dir_visits (id, grp, district, date) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (id) DO UPDATE SET grp = excluded.grp, district = excluded.district, date = excluded.date",
            (envelope["subject"], d.get("group"), d["district"], d.get("date")),
        )


class FeedbackListsProjection(Projection):
    name = "feedback.lists"
    consumer = "feedback"
    sources = ("feedback",)
    table_names = ("fb_opinions", "fb_recommendations", "fb_letters", "fb_consultations")
    tables = (
        "CREATE TABLE IF NOT EXISTS fb_opinions ("
        " id TEXT PRIMARY KEY, ref TEXT NOT NULL UNIQUE, district TEXT, government TEXT, grp TEXT,"
        " category TEXT, channel TEXT, public INTEGER NOT NULL, text TEXT, status TEXT NOT NULL,"
        " date TEXT NOT NULL, acknowledge_due_date TEXT, due_date TEXT, acknowledged_on TEXT,"
        " answered_on TEXT, closed_on TEXT, reply TEXT, recommendation TEXT, relayed INTEGER NOT NULL DEFAULT 0,"
        " lat DOUBLE PRECISION, lon DOUBLE PRECISION, address TEXT, media_url TEXT, contact_phone_masked TEXT,"
        " requested_at TEXT, updated_at TEXT)",
        "CREATE INDEX IF NOT EXISTS fb_opinions_date ON fb_opinions (date, id)",
        "CREATE TABLE IF NOT EXISTS fb_recommendations ("
        " id TEXT PRIMARY KEY, grp TEXT, district TEXT, government TEXT, title TEXT, category TEXT,"
        " source TEXT, status TEXT NOT NULL, date TEXT NOT NULL, letter TEXT, letter_no TEXT,"
        " forwarded_on TEXT, due_date TEXT, percent INTEGER NOT NULL DEFAULT 0, decided_on TEXT,"
        " completed_on TEXT, verified_on TEXT, updated_at TEXT)",
        "CREATE INDEX IF NOT EXISTS fb_recommendations_date ON fb_recommendations (date, id)",
        "CREATE TABLE IF NOT EXISTS fb_letters ("
        " id TEXT PRIMARY KEY, letter_no TEXT, government TEXT, date TEXT NOT NULL, due_date TEXT,"
        " items INTEGER NOT NULL, districts TEXT, groups_ TEXT)",
        "CREATE TABLE IF NOT EXISTS fb_consultations ("
        " id TEXT PRIMARY KEY, grp TEXT, district TEXT, government TEXT, kind TEXT, subject TEXT,"
        " stage TEXT, asked_by TEXT, status TEXT NOT NULL, date TEXT NOT NULL, due_date TEXT,"
        " verdict TEXT, answered_on TEXT, closed_on TEXT)",
        "CREATE INDEX IF NOT EXISTS fb_consultations_date ON fb_consultations (date, id)",
    )

    # -- opinions ---------------------------------------------------------

    @handles("OpinionSubmitted")
    def opinion_received(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        point = d.get("point") or {}
        cur.execute(
            "INSERT INTO fb_opinions (id, ref, district, government, grp, category, channel, public, text, status,"
            " date, acknowledge_due_date, due_date, lat, lon, address, media_url, contact_phone_masked,"
            " requested_at, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (envelope["subject"], d["ref"], d["district"], d.get("government"), d.get("group"), d["category"],
             d["channel"], 1 if d.get("public") else 0, d["text"], d["status"], d["date"],
             d["acknowledge_due_date"], d["due_date"], point.get("lat"), point.get("lon"), d.get("address"),
             d.get("media_url"), d.get("contact_phone_masked"), _requested_at(envelope, d["date"]),
             _local_time(envelope)),
        )

    def _opinion(self, cur: Cursor, envelope: dict[str, Any], **columns: Any) -> None:
        columns["updated_at"] = _local_time(envelope)
        assignments = ", ".join(f"{name} = %s" for name in columns)
        cur.execute(f"UPDATE fb_opinions SET {assignments} WHERE id = %s", (*columns.values(), envelope["subject"]))

    @handles("OpinionDistrictAssigned")
    def opinion_district_assigned(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        # R-OPN-1: an address-only opinion leaves the bureau's triage list for its district
        d = envelope["data"]
        self._opinion(cur, envelope, district=d["district"], government=d.get("government"), grp=d.get("group"))

    @handles("OpinionAcknowledged")
    def opinion_acknowledged(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        self._opinion(cur, envelope, status=d["status"], grp=d["group"], acknowledged_on=d["date"])

    @handles("OpinionRelayed")
    def opinion_relayed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        self._opinion(cur, envelope, relayed=1)

    @handles("OpinionAnswered")
    def opinion_answered(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        self._opinion(cur, envelope, status=d["status"], reply=d["reply"], answered_on=d["date"])

    @handles("OpinionEscalated")
    def opinion_escalated(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        self._opinion(cur, envelope, status=d["status"], recommendation=d["recommendation"], answered_on=d["date"])

    @handles("OpinionClosed")
    def opinion_closed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        self._opinion(cur, envelope, status=d["status"], closed_on=d["date"])

    @handles("PersonalDataErased")
    def opinion_erased(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        self._opinion(cur, envelope, contact_phone_masked=None)

    # -- recommendations and letters ----------------------------------------

    @handles("RecommendationRaised")
    def recommendation_raised(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            "INSERT INTO fb_recommendations (id, grp, district, government, title, category, source, status, date,"
            " updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (envelope["subject"], d["group"], d["district"], d.get("government"), d["title"], d["category"],
             d["source"], d["status"], d["date"], _local_time(envelope)),
        )

    def _recommendation(self, cur: Cursor, envelope: dict[str, Any], **columns: Any) -> None:
        columns["updated_at"] = _local_time(envelope)
        assignments = ", ".join(f"{name} = %s" for name in columns)
        cur.execute(
            f"UPDATE fb_recommendations SET {assignments} WHERE id = %s", (*columns.values(), envelope["subject"])
        )

    @handles("RecommendationForwarded")
    def recommendation_forwarded(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        self._recommendation(cur, envelope, status=d["status"], government=d["government"], letter=d["letter"],
                             letter_no=d["letter_no"], forwarded_on=d["date"], due_date=d["due_date"])

    @handles("RecommendationAccepted", "RecommendationDeclined")
    def recommendation_decided(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        self._recommendation(cur, envelope, status=d["status"], decided_on=d["date"])

    @handles("ImplementationProgressReported")
    def recommendation_progress(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        self._recommendation(cur, envelope, percent=int(envelope["data"]["percent"]))

    @handles("RecommendationCompleted")
    def recommendation_completed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        self._recommendation(cur, envelope, status=d["status"], percent=100, completed_on=d["date"])

    @handles("RecommendationVerified")
    def recommendation_verified(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        self._recommendation(cur, envelope, status=d["status"], verified_on=d["date"])

    @handles("RecommendationReopened")
    def recommendation_reopened(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        self._recommendation(cur, envelope, status=d["status"], completed_on=None)

    @handles("RecommendationWithdrawn")
    def recommendation_withdrawn(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        self._recommendation(cur, envelope, status=envelope["data"]["status"])

    @handles("LetterIssued")
    def letter_sent(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            "INSERT INTO fb_letters (id, letter_no, government, date, due_date, items, districts, groups_)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (envelope["subject"], d["letter_no"], d["government"], d["date"], d["due_date"],
             len(d["recommendations"]), _json(d.get("districts") or []), _json(d.get("groups") or [])),
        )

    # -- consultations ---------------------------------------------------------

    @handles("ConsultationRequested")
    def consultation_requested(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            "INSERT INTO fb_consultations (id, grp, district, government, kind, subject, stage, asked_by, status,"
            " date, due_date) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (envelope["subject"], d["group"], d["district"], d.get("government"), d["kind"],
             d.get("subject") or d.get("question"), d.get("stage"), d["asked_by"], d["status"], d["date"],
             d["due_date"]),
        )

    @handles("ConsultationOpinionIssued")
    def consultation_answered(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            "UPDATE fb_consultations SET status = %s, verdict = %s, answered_on = %s WHERE id = %s",
            (d["status"], d.get("verdict"), d["date"], envelope["subject"]),
        )

    @handles("ConsultationClosed")
    def consultation_closed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            "UPDATE fb_consultations SET status = %s, closed_on = %s WHERE id = %s",
            (d["status"], d["date"], envelope["subject"]),
        )


# What a resident is told when their opinion changes (R-OPN-4; Decidim-style
# "tell the people who raised it"), and what staff are told (R-RPT-8).
_RESIDENT_MESSAGES = {
    "OpinionSubmitted": "您的意见已收到，查询编号 {ref}",
    "OpinionAcknowledged": "您的意见（{ref}）已由责任规划师受理",
    "OpinionAnswered": "您的意见（{ref}）已答复",
    "OpinionEscalated": "您的意见（{ref}）已形成规划建议，将跟踪落实",
    "OpinionClosed": "您的意见（{ref}）已办结",
    "RecommendationForwarded": "由您的意见（{ref}）形成的建议已函告政府办理",
    "RecommendationAccepted": "由您的意见（{ref}）形成的建议已被采纳",
    "RecommendationDeclined": "由您的意见（{ref}）形成的建议未被采纳",
    "ImplementationProgressReported": "由您的意见（{ref}）形成的建议落实进度：{percent}%",
    "RecommendationCompleted": "由您的意见（{ref}）形成的建议已落实完成",
    "RecommendationVerified": "由您的意见（{ref}）形成的建议已经核实完成",
    "RecommendationReopened": "由您的意见（{ref}）形成的建议已退回继续办理",
}


# R-RPT-8: what a day's reminder is about, in front of its text.
_REMINDER_TITLES = {
    "overdue": "已超期",
    "no_visit": "本月尚未到片区服务",
    "behind_pro_rata": "服务天数落后",
    "due_soon": "即将到期",
    "new_letter": "新函告",
}
# The reminder's fields a message carries (besides its date, kind, rule and text).
_REMINDER_FIELDS = ("group", "district", "government", "item", "ref", "due_date", "days", "target_days")


class NotificationOutboxProjection(Projection):
    """Status changes -> messages in ``fb_outbox`` (delivered by notifications.Dispatcher).

    The outbox table is not in ``table_names``: a rebuild replays the events,
    and the deterministic message ids (event id + addressee) make the replay
    add nothing, so nobody is told twice.
    """

    name = "feedback.notifications"
    consumer = "feedback"
    sources = ("feedback",)
    table_names = ("fb_notify_opinions", "fb_notify_recommendations")
    tables = (
        "CREATE TABLE IF NOT EXISTS fb_notify_opinions ("
        " ref TEXT PRIMARY KEY, person_key TEXT, grp TEXT, government TEXT)",
        "CREATE TABLE IF NOT EXISTS fb_notify_recommendations (id TEXT PRIMARY KEY, refs TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS fb_outbox ("
        " id TEXT PRIMARY KEY, created_at TEXT NOT NULL, event TEXT NOT NULL, subject TEXT NOT NULL,"
        " recipient_kind TEXT NOT NULL, recipient TEXT NOT NULL, payload TEXT NOT NULL,"
        " status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at DOUBLE PRECISION NOT NULL,"
        " last_error TEXT, delivered_at TEXT)",
        "CREATE INDEX IF NOT EXISTS fb_outbox_pending ON fb_outbox (status, next_attempt_at)",
    )

    def _enqueue(self, cur: Cursor, envelope: dict[str, Any], kind: str, recipient: str | None,
                 payload: dict[str, Any], *, key: str | None = None) -> None:
        """``key`` tells apart several messages of one event to one addressee (the day's reminders)."""
        if not recipient:
            return
        event = envelope["type"].split(".")[-2]
        name = f"{kind}:{recipient}" if key is None else f"{kind}:{recipient}:{key}"
        message_id = str(uuid.uuid5(uuid.UUID(envelope["id"]), name))
        when = dt.datetime.fromisoformat(envelope["time"])
        cur.execute(
            "INSERT INTO fb_outbox (id, created_at, event, subject, recipient_kind, recipient, payload, status,"
            " next_attempt_at) VALUES (%s, %s, %s, %s, %s, %s, %s, 'pending', %s) ON CONFLICT (id) DO NOTHING",
            (message_id, envelope["time"], event, envelope["subject"], kind, recipient,
             json.dumps({"event": event, **payload}, ensure_ascii=False, sort_keys=True), when.timestamp()),
        )

    def _tell_resident(self, cur: Cursor, envelope: dict[str, Any], ref: str, **extra: Any) -> None:
        row = cur.execute("SELECT person_key FROM fb_notify_opinions WHERE ref = %s", (ref,)).fetchone()
        if not row or not row["person_key"]:
            return
        event = envelope["type"].split(".")[-2]
        d = envelope["data"]
        payload = {"ref": ref, "date": d.get("date"), **extra}
        if event.startswith("Opinion"):
            payload["status"] = d.get("status")
        payload["message"] = _RESIDENT_MESSAGES[event].format(ref=ref, percent=extra.get("percent", ""))
        self._enqueue(cur, envelope, "resident", row["person_key"], payload)

    # -- opinions ---------------------------------------------------------------

    @handles("OpinionSubmitted")
    def opinion_received(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            "INSERT INTO fb_notify_opinions (ref, person_key, grp, government) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (ref) DO NOTHING",
            (d["ref"], d.get("person_key"), d.get("group"), d.get("government")),
        )
        self._tell_resident(cur, envelope, d["ref"])
        # The district's group has a new opinion to acknowledge within the service level.
        self._enqueue(cur, envelope, "group", d.get("group"), {
            "ref": d["ref"], "district": d["district"], "acknowledge_due_date": d["acknowledge_due_date"],
            "message": f"新的群众意见 {d['ref']} 待受理（{d['acknowledge_due_date']} 前）",
        })

    @handles("OpinionDistrictAssigned")
    def opinion_district_assigned(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        # R-OPN-1: once the bureau assigns the district, its group has the opinion to acknowledge
        d = envelope["data"]
        cur.execute("UPDATE fb_notify_opinions SET grp = %s, government = %s WHERE ref = %s",
                    (d.get("group"), d.get("government"), d["ref"]))
        due = d["acknowledge_due_date"]  # from receipt (R-OPN-1)
        self._enqueue(cur, envelope, "group", d.get("group"), {
            "ref": d["ref"], "district": d["district"], "acknowledge_due_date": due,
            "message": f"新的群众意见 {d['ref']} 待受理（{due} 前）",
        })

    @handles("OpinionAcknowledged", "OpinionClosed")
    def opinion_status(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        self._tell_resident(cur, envelope, envelope["data"]["ref"])

    @handles("OpinionAnswered")
    def opinion_answered(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        self._tell_resident(cur, envelope, d["ref"], reply=d["reply"])

    @handles("OpinionEscalated")
    def opinion_escalated(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        self._tell_resident(cur, envelope, d["ref"], recommendation=d["recommendation"])

    @handles("OpinionRelayed")
    def opinion_relayed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        payload = {"ref": d["ref"], "district": d["district"], "comment": d["comment"],
                   "message": f"责任规划师上报群众意见 {d['ref']}：{d['comment']}"}
        self._enqueue(cur, envelope, "government", d.get("government"), payload)
        self._enqueue(cur, envelope, "bureau", "bureau", payload)

    @handles("PersonalDataErased")
    def opinion_erased(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        ref = envelope["data"]["ref"]
        cur.execute("UPDATE fb_notify_opinions SET person_key = NULL WHERE ref = %s", (ref,))
        # Messages not yet delivered to the person are dropped with the data.
        person_key = envelope["data"].get("person_key")
        if person_key:
            cur.execute(
                "UPDATE fb_outbox SET status = 'dropped', last_error = 'personal data erased'"
                " WHERE recipient_kind = 'resident' AND recipient = %s AND status = 'pending'",
                (person_key,),
            )

    # -- recommendations: tell the residents whose opinions they came from ----------

    @handles("RecommendationRaised")
    def recommendation_raised(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        refs = envelope["data"].get("opinions") or []
        if refs:
            cur.execute(
                "INSERT INTO fb_notify_recommendations (id, refs) VALUES (%s, %s) ON CONFLICT (id) DO NOTHING",
                (envelope["subject"], json.dumps(refs)),
            )

    @handles(
        "RecommendationForwarded",
        "RecommendationAccepted",
        "RecommendationDeclined",
        "ImplementationProgressReported",
        "RecommendationCompleted",
        "RecommendationVerified",
        "RecommendationReopened",
    )
    def recommendation_changed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        row = cur.execute("SELECT refs FROM fb_notify_recommendations WHERE id = %s", (envelope["subject"],)).fetchone()
        if not row:
            return
        d = envelope["data"]
        status = d.get("status") or ("accepted" if "percent" in d else None)
        extra: dict[str, Any] = {"recommendation": envelope["subject"], "recommendation_status": status}
        if "percent" in d:
            extra["percent"] = d["percent"]
        for ref in json.loads(row["refs"]):
            self._tell_resident(cur, envelope, ref, **extra)

    @handles("LetterIssued")
    def letter_sent(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        # R-RPT-8: a new letter to a government goes to its named contact (R-ORG-7).
        d = envelope["data"]
        self._enqueue(cur, envelope, "government", d["government"], {
            "letter": envelope["subject"], "letter_no": d["letter_no"], "date": d["date"],
            "due_date": d["due_date"], "items": len(d["recommendations"]),
            "message": f"收到函告 {d['letter_no']}，含建议 {len(d['recommendations'])} 条，请于 {d['due_date']} 前办理",
        })

    # -- the day's reminders (R-RPT-8) ------------------------------------------------

    @handles("RemindersIssued")
    def reminders_issued(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        """One message per reminder and addressee, in the reminder's own words with its kind in front."""
        d = envelope["data"]
        for i, reminder in enumerate(d["reminders"]):
            to = reminder.get("to") or {}
            if reminder["kind"] == "new_letter" and self._letter_told(cur, to.get("code"), reminder.get("ref")):
                continue
            payload = {key: reminder[key] for key in _REMINDER_FIELDS if reminder.get(key) is not None}
            payload.update(
                date=d["date"], reminder=reminder["kind"], rule=reminder["rule"],
                message=f"【{_REMINDER_TITLES.get(reminder['kind'], '提醒')}】{reminder['message']}",
            )
            self._enqueue(cur, envelope, to.get("role"), to.get("code"), payload,
                          key=f"{i}:{reminder['kind']}:{reminder.get('ref') or ''}")

    @staticmethod
    def _letter_told(cur: Cursor, government: str | None, letter_no: str | None) -> bool:
        """A new letter's government was told when the letter was issued (``LetterIssued`` above):
        the day's reminder of it would say the same thing twice."""
        if not government or not letter_no:
            return False
        row = cur.execute(
            "SELECT 1 AS told FROM fb_outbox WHERE event = 'LetterIssued' AND recipient_kind = 'government'"
            " AND recipient = %s AND subject = %s",
            (government, str(Letter.id_for(letter_no))),
        ).fetchone()
        return row is not None

    # -- consultations ------------------------------------------------------------

    @handles("ConsultationRequested")
    def consultation_requested(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        self._enqueue(cur, envelope, "group", d["group"], {
            "consultation": envelope["subject"], "kind": d["kind"], "due_date": d["due_date"],
            "message": f"收到技术咨询，请于 {d['due_date']} 前出具意见",
        })

    @handles("ConsultationOpinionIssued")
    def consultation_answered(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        asker_kind = "government" if d.get("asked_by") == "government" else "district"
        addressee = d.get("government") if asker_kind == "government" else d.get("district")
        self._enqueue(cur, envelope, asker_kind, addressee, {
            "consultation": envelope["subject"], "verdict": d.get("verdict"), "date": d["date"],
            "message": "责任规划师已就技术咨询出具意见",
        })


class PersonalDataTables(Projection):
    """The personal-data table and its append-only access log (R-SEC-4), created by
    ``rps migrate`` with the read models. It reads no events and is never dropped
    by a rebuild."""

    name = "feedback.personal_data"
    consumer = "feedback"
    sources = ()
    table_names = ()
    tables = personal.TABLES

    def create_tables(self) -> None:
        super().create_tables()
        personal.protect_access_log(self.db)  # the access table is append-only (R-SEC-4)


PROJECTIONS = [DirectoryProjection, VisitsDirectoryProjection, FeedbackListsProjection, NotificationOutboxProjection,
               PersonalDataTables]
