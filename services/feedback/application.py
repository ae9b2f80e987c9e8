"""The feedback Application: commands and queries, no transport code.

Commands load aggregates, call one domain method each (two where a step
touches two records at once: an escalation raises a recommendation, a letter
forwards its items) and save everything in one ``save()``. Reference data
(districts, groups, governments) comes from the contracts events as kept by
``DirectoryProjection``; personal data goes to the vault, never into events.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any, Callable, TypeVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Mapper, StoredEvent

from services.backbone import clock, context
from services.backbone.application import SNAPSHOT_EVERY, ServiceApplication, command
from services.backbone.domain import Conflict, NotFound, RuleViolated
from services.backbone.persistence import Database
from services.backbone.topics import stored_topics
from services.feedback import personal, presenters
from services.feedback.directory import Directory
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
    redact_received,
)
from services.feedback.personal import OpinionDetails, Person, PersonalDataVault
from services.feedback.settings import FeedbackSettings

A = TypeVar("A")

# R-OPN-4: references residents can read out on the phone: no 0/O, 1/I/L, U.
REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REF_LENGTH = 12  # 29^12 ≈ 3.5e17 possibilities: not guessable, and a collision is retried


def new_ref() -> str:
    return "".join(secrets.choice(REF_ALPHABET) for _ in range(REF_LENGTH))


# Every topic each was stored under (the previous release's too).
_RECEIVED, _ERASED, _OPINION = (stored_topics(Opinion.OpinionSubmitted), stored_topics(Opinion.PersonalDataErased),  # type: ignore[attr-defined]
                                stored_topics(Opinion))


class RedactingMapper(Mapper[uuid.UUID]):
    """R-SEC-4: opinions' events stored before the rule was amended carried the address, the
    photo and a non-public opinion's text and exact point; they are read without them (the
    aggregate, the published envelopes, the event feed and the audit trail alike) until
    ``rps migrate`` redacts them in the store (``FeedbackApplication.redact_stored``)."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        if isinstance(event, Opinion.OpinionSubmitted):  # type: ignore[attr-defined]
            redact_received(event.__dict__)
        elif isinstance(event, Snapshot) and event.topic in _OPINION:
            redact_received(event.state)
        return event


class FeedbackApplication(ServiceApplication):
    name = "Feedback"
    service = "feedback"
    # Long-lived aggregates load from a snapshot taken every SNAPSHOT_EVERY events.
    snapshotting_intervals = {Recommendation: SNAPSHOT_EVERY, Opinion: SNAPSHOT_EVERY, Consultation: SNAPSHOT_EVERY}

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self.db: Database | None = None
        self.settings: FeedbackSettings
        self.directory: Directory
        self.vault: PersonalDataVault

    def wire(self, db: Database, settings: FeedbackSettings | None = None) -> None:
        """The service's own database (directory, vault, lists) and its settings (service levels,
        retention, notifications; the defaults when none are given)."""
        super().wire(db, settings or FeedbackSettings())
        self.directory = Directory(db)
        self.vault = PersonalDataVault(db)

    def construct_mapper(self) -> Mapper[uuid.UUID]:
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=RedactingMapper)

    def redact_snapshots(self) -> int:
        """``rps migrate`` (R-SEC-4): opinions' snapshots taken before the amendment lose the
        fields too (only redacted: the vault is filled from the events, an erasure stays erased).
        Returns how many were rewritten."""
        if self.snapshots is None:
            return 0
        recorder, mapper = self.snapshots.recorder, self.mapper
        schema = getattr(recorder.datastore, "schema", None)
        table = f"{schema}.{recorder.events_table_name}" if schema else recorder.events_table_name  # type: ignore[attr-defined]
        mark = "%s" if schema else "?"
        rewritten = []
        with recorder.datastore.transaction(commit=True) as cur:  # type: ignore[attr-defined]
            cur.execute(f"SELECT originator_id, originator_version, state FROM {table}")
            for row in cur.fetchall():
                oid, version, state = (row["originator_id"], row["originator_version"], row["state"]) \
                    if isinstance(row, dict) else tuple(row)
                if mapper.cipher or mapper.compressor:
                    continue  # not used by this system; such a store keeps its snapshots
                data = mapper.transcoder.decode(bytes(state))
                if data.get("topic") in _OPINION and redact_received(data.get("state") or {}):
                    rewritten.append((mapper.transcoder.encode(data), oid, version))
            for params in rewritten:
                cur.execute(f"UPDATE {table} SET state = {mark} WHERE originator_id = {mark}"
                            f" AND originator_version = {mark}", params)
        return len(rewritten)

    def redact_stored(self, topic: str, state: bytes) -> bytes | None:
        """``rps migrate`` (R-SEC-4): an ``OpinionSubmitted`` stored with personal fields -> its
        state without them, the fields moved to the vault; an erasure met on the way erases
        what was moved. None where the stored event stays as it is."""
        if topic not in (*_RECEIVED, *_ERASED):
            return None
        mapper = self.mapper
        plain = mapper.cipher.decrypt(state) if mapper.cipher else state
        plain = mapper.compressor.decompress(plain) if mapper.compressor else plain
        data = mapper.transcoder.decode(plain)
        if topic in _ERASED:
            self.vault.erase(None, ref=data["ref"])
            return None
        held = redact_received(data)
        if not held:
            return None
        self.vault.store(None, ref=data["ref"], details=OpinionDetails(data["ref"], **held))
        redacted = mapper.transcoder.encode(data)
        redacted = mapper.compressor.compress(redacted) if mapper.compressor else redacted
        return mapper.cipher.encrypt(redacted) if mapper.cipher else redacted

    # -- loading ------------------------------------------------------------

    def _load(self, key: Any, kind: type[A], what: str, field: str = "id") -> A:
        if not isinstance(key, uuid.UUID):
            try:
                key = uuid.UUID(str(key))
            except ValueError:
                raise NotFound(f"{field}：没有这{what}", field=field) from None
        try:
            aggregate = self.repository.get(key)
        except AggregateNotFoundError:
            raise NotFound(f"{field}：没有这{what}", field=field) from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"{field}：没有这{what}", field=field)
        return aggregate

    def get_opinion(self, ref: str) -> Opinion:
        return self._load(Opinion.id_for((ref or "").strip().upper()), Opinion, "条意见", "ref")

    def get_recommendation(self, rec_id: str, field: str = "id") -> Recommendation:
        return self._load(rec_id, Recommendation, "条建议", field)

    def get_letter(self, letter_id: str) -> Letter:
        return self._load(letter_id, Letter, "份函告")

    def get_consultation(self, consultation_id: str) -> Consultation:
        return self._load(consultation_id, Consultation, "项技术咨询")

    def _exists(self, key: uuid.UUID) -> bool:
        try:
            self.repository.get(key)
        except AggregateNotFoundError:
            return False
        return True

    # -- opinions (R-OPN-1..4) ------------------------------------------------

    @command
    def submit_opinion(
        self,
        *,
        category: str,
        text: str,
        channel: str = "app",
        district: str | None = None,
        point: dict[str, float] | None = None,
        public: bool = False,
        date: dt.date | None = None,
        contact_phone: str | None = None,
        contact_name: str | None = None,
        contact_email: str | None = None,
        app_user_id: str | None = None,
        address: str | None = None,
        media_url: str | None = None,
        attributes: dict[str, str] | None = None,
        point_field: str = "point",
    ) -> Opinion:
        today = clock.today()
        date = date or today
        phone = personal.normalise_phone(contact_phone) if contact_phone else None
        if contact_name is not None and len(contact_name) > 50:
            raise RuleViolated("contact_name：姓名不能超过 50 个字符", field="contact_name", rule="R-OPN-1")
        if district:
            found = self.directory.require_district(district, rule="R-OPN-1")
        elif point is not None:
            found = self.directory.district_at(point["lon"], point["lat"])
            if found is None:
                raise RuleViolated(
                    f"{point_field}：该位置不在任何责任规划师服务的镇街（园区）范围内",
                    field=point_field, rule="R-OPN-1",
                )
        elif address:
            found = None  # R-OPN-1: only a street address: the bureau's triage list assigns the district
        else:
            raise RuleViolated("district：请给出镇街（district）、位置（point）或地址（address）", field="district",
                               rule="R-OPN-1")
        group = self.directory.group_serving(found.code, date) if found else None
        person = Person(key=personal.new_person_key(), name=contact_name or None, phone=phone,
                        email=contact_email or None, app_user=app_user_id or None)
        keep_person = not person.empty
        opinion = Opinion.receive(
            today=today,
            date=date,
            acknowledge_days=self.settings.opinion_acknowledge_days,
            answer_days=self.settings.opinion_answer_days,
            ref=new_ref(),
            district=found.code if found else None,
            government=found.government if found else None,
            group=group.code if group else None,
            category=category,
            text=text,
            channel=channel,
            public=public,
            point=dict(point) if point is not None else None,
            address=address or None,
            media_url=media_url or None,
            attributes=dict(attributes or {}),
            contact_phone_masked=personal.mask_phone(phone) if phone else None,
            person_key=person.key if keep_person else None,
        )
        # R-SEC-4: the address, the photo, a non-public text and the exact point go to the vault.
        details = personal.OpinionDetails(
            opinion.ref, text=None if public else text, point=dict(point) if point is not None else None,
            address=address or None, media_url=media_url or None)
        # The vault rows first: an event must never name a key whose data is missing.
        # If the save fails, the rows go again, so a refusal stores nothing.
        self.vault.store(person if keep_person else None, ref=opinion.ref, details=details)
        try:
            self.save(opinion)
        except BaseException:
            if keep_person or details.fields:
                self.vault.erase(person.key if keep_person else None, ref=opinion.ref)
            raise
        if keep_person or details.fields:  # a keyed request's save held back, then not stored (R-SEC-3)
            self.on_discard(lambda: self.vault.erase(person.key if keep_person else None, ref=opinion.ref))
        return opinion

    @command
    def assign_district(self, ref: str, *, district: str, date: dt.date | None = None) -> Opinion:
        """R-OPN-1: the bureau gives an address-only opinion its district (and so its group)."""
        today = clock.today()
        opinion = self.get_opinion(ref)
        found = self.directory.require_district(district, rule="R-OPN-1")
        serving = self.directory.group_serving(found.code, dt.date.fromisoformat(opinion.date))
        opinion.assign_district(district=found.code, government=found.government,
                                group=serving.code if serving else None, date=date or today, today=today)
        self.save(opinion)
        return opinion

    @command
    def acknowledge_opinion(self, ref: str, *, date: dt.date | None = None, group: str | None = None) -> Opinion:
        today = clock.today()
        date = date or today
        opinion = self.get_opinion(ref)
        if group:
            found = self.directory.require_group(group, rule="R-OPN-2")
            if found.district != opinion.district:
                raise RuleViolated(f"group：小组 {group} 不服务该意见所在的镇街 {opinion.district}",
                                   field="group", rule="R-OPN-2")
        else:
            serving = self.directory.group_serving(opinion.district, date)
            group = opinion.group or (serving.code if serving else None)
            if not group:
                raise RuleViolated("group：该镇街当前没有责任规划师小组，无法受理", field="group", rule="R-OPN-2")
        opinion.acknowledge(date=date, today=today, group=group)
        self.save(opinion)
        return opinion

    @command
    def relay_opinion(self, ref: str, *, comment: str, date: dt.date | None = None) -> Opinion:
        today = clock.today()
        opinion = self.get_opinion(ref)
        opinion.relay(date=date or today, today=today, comment=comment)
        self.save(opinion)
        return opinion

    @command
    def answer_opinion(self, ref: str, *, reply: str, date: dt.date | None = None) -> Opinion:
        today = clock.today()
        opinion = self.get_opinion(ref)
        opinion.answer(date=date or today, today=today, reply=reply)
        self.save(opinion)
        return opinion

    @command
    def escalate_opinion(
        self,
        ref: str,
        *,
        title: str | None = None,
        text: str | None = None,
        category: str | None = None,
        date: dt.date | None = None,
    ) -> tuple[Opinion, Recommendation]:
        """R-OPN-2: the opinion becomes a recommendation of its group, linked both ways."""
        today = clock.today()
        date = date or today
        opinion = self.get_opinion(ref)
        opinion.check_can_escalate(date=date, today=today)
        recommendation = Recommendation.raise_(
            today=today,
            date=date,
            group=opinion.group or "",
            district=opinion.district,
            government=opinion.government,
            title=title or f"群众意见 {opinion.ref}",
            # a non-public opinion's text is personal (R-SEC-4): the recommendation does not copy it
            text=text or opinion.text or f"由群众意见 {opinion.ref} 转为建议（意见原文不公开）",
            category=category or opinion.category,
            source="opinion",
            opinions=[opinion.ref],
            visits=[],
            linked_districts={"opinions": {opinion.ref: opinion.district}},
        )
        opinion.escalate(date=date, today=today, recommendation=str(recommendation.id))
        self.save(opinion, recommendation)
        return opinion, recommendation

    @command
    def close_opinion(self, ref: str, *, date: dt.date | None = None) -> Opinion:
        today = clock.today()
        opinion = self.get_opinion(ref)
        opinion.close(date=date or today, today=today)
        self.save(opinion)
        return opinion

    @command
    def erase_personal_data(self, ref: str) -> bool:
        """R-OPN-3, R-SEC-4: delete the person's data; the opinion and its history stay.

        The row goes first, then the event records it: a crash in between
        leaves nothing personal behind, and asking again records the event.
        Asking when nothing is left stores nothing (and is still a success).
        """
        opinion = self.get_opinion(ref)
        held = self.vault.erase(opinion.person_key, ref=opinion.ref)  # with the address, photo, private text
        if not (opinion.person_key or held) or opinion.personal_data_erased:
            return False
        opinion.erase_personal_data(date=clock.today())
        self.save(opinion)
        return True

    def public_view(self, ref: str, today: dt.date | None = None) -> dict[str, Any]:
        """R-OPN-4: what anyone holding the reference may see; never personal data."""
        opinion = self.get_opinion(ref)
        district = self.directory.district(opinion.district) if self.db is not None else None
        view: dict[str, Any] = {
            "ref": opinion.ref,
            "status": opinion.status,
            "category": opinion.category,
            "district": opinion.district,
            "district_name": district.name if district else None,
            "date": opinion.date,
            "acknowledged_on": opinion.acknowledged_on,
            "answered_on": opinion.answered_on,
            "closed_on": opinion.closed_on,
            "due_date": opinion.due_date,
            "reply": opinion.reply,
            "public": opinion.public,
            "text": opinion.text if opinion.public else None,
            "updated_at": presenters.updated_at(opinion),
            "recommendation": None,
        }
        if opinion.recommendation:
            rec = self.get_recommendation(opinion.recommendation)
            view["recommendation"] = {
                "id": str(rec.id),
                "title": rec.title,
                "status": rec.status,
                "percent": rec.percent,
                "forwarded_on": rec.forwarded_on,
                "due_date": rec.due_date,
                "completed_on": rec.completed_on,
                "verified_on": rec.verified_on,
                "progress": list(rec.progress),
            }
        return view

    # -- recommendations and letters (R-REC-1..3) ----------------------------------

    @command
    def raise_recommendation(
        self,
        *,
        group: str,
        title: str,
        text: str,
        category: str,
        source: str,
        opinions: list[str] | None = None,
        visits: list[str] | None = None,
        date: dt.date | None = None,
    ) -> Recommendation:
        today = clock.today()
        date = date or today
        found = self.directory.require_group(group, rule="R-REC-1", on=min(date, today))
        opinions, visits = [(ref or "").strip().upper() for ref in opinions or []], list(visits or [])
        linked = {"opinions": {ref: self._opinion_district(ref) for ref in opinions},
                  "visits": {v: self.directory.visit_district(v) for v in visits}}
        recommendation = Recommendation.raise_(
            today=today, date=date, group=found.code, district=found.district, government=found.government,
            title=title, text=text, category=category, source=source, opinions=opinions, visits=visits,
            linked_districts=linked,
        )
        self.save(recommendation)
        return recommendation

    def _opinion_district(self, ref: str) -> str | None:
        """R-REC-1: the district of a linked opinion (None: no such opinion; "": none assigned yet)."""
        try:
            return self.get_opinion(ref).district or ""
        except NotFound:
            return None

    def _letter_checks(self, letter_no: str) -> None:
        if self._exists(Letter.id_for(letter_no)):
            raise Conflict(f"letter_no：函号 {letter_no} 已使用", field="letter_no", rule="R-REC-2")

    @command
    def send_letter(
        self,
        *,
        government: str,
        letter_no: str,
        recommendations: list[str],
        date: dt.date | None = None,
        due_date: dt.date | None = None,
    ) -> tuple[Letter, list[Recommendation]]:
        """R-REC-2: one letter to one government forwarding several recommendations."""
        today = clock.today()
        date = date or today
        due_date = due_date or date + dt.timedelta(days=self.settings.recommendation_due_days)
        self.directory.require_government(government, rule="R-REC-2")
        items = []
        for i, rec_id in enumerate(recommendations):
            try:
                items.append(self.get_recommendation(rec_id, field=f"recommendations.{i}"))
            except NotFound:
                raise NotFound(f"recommendations.{i}：没有这条建议", field=f"recommendations.{i}") from None
        for item in items:
            item.check_forwardable(government=government, date=date, today=today)
        self._letter_checks(letter_no)
        letter = Letter.send(today=today, letter_no=letter_no, government=government, date=date, due_date=due_date,
                             recommendations=items)
        for item in items:
            item.forward(letter=str(letter.id), letter_no=letter_no, government=government, date=date,
                         due_date=due_date, today=today)
        self.save(letter, *items)
        return letter, items

    @command
    def forward_recommendation(
        self, rec_id: str, *, letter_no: str, date: dt.date | None = None, due_date: dt.date | None = None
    ) -> Recommendation:
        """Forwarding one recommendation is a letter with one item."""
        recommendation = self.get_recommendation(rec_id)
        government = recommendation.government
        if not government:
            raise RuleViolated("government：该建议所在镇街没有登记区政府（管委会）", field="government", rule="R-REC-2")
        today = clock.today()
        recommendation.check_forwardable(government=government, date=date or today, today=today)
        _, items = self.send_letter(government=government, letter_no=letter_no, recommendations=[rec_id],
                                    date=date, due_date=due_date)
        return items[0]

    def _recommendation_step(self, rec_id: str, step: Callable[[Recommendation, dt.date], None]) -> Recommendation:
        today = clock.today()
        recommendation = self.get_recommendation(rec_id)
        step(recommendation, today)
        self.save(recommendation)
        return recommendation

    @command
    def accept_recommendation(self, rec_id: str, *, date: dt.date | None = None, text: str | None = None) -> Recommendation:
        return self._recommendation_step(rec_id, lambda r, today: r.accept(date=date or today, today=today, text=text))

    @command
    def decline_recommendation(self, rec_id: str, *, reason: str, date: dt.date | None = None) -> Recommendation:
        return self._recommendation_step(
            rec_id, lambda r, today: r.decline(date=date or today, today=today, reason=reason))

    @command
    def report_progress(self, rec_id: str, *, percent: int, text: str, date: dt.date | None = None) -> Recommendation:
        return self._recommendation_step(
            rec_id, lambda r, today: r.report_progress(date=date or today, today=today, percent=percent, text=text))

    @command
    def complete_recommendation(self, rec_id: str, *, text: str, date: dt.date | None = None) -> Recommendation:
        return self._recommendation_step(
            rec_id, lambda r, today: r.complete(date=date or today, today=today, text=text))

    @command
    def verify_recommendation(self, rec_id: str, *, date: dt.date | None = None, text: str | None = None) -> Recommendation:
        return self._recommendation_step(
            rec_id, lambda r, today: r.verify(date=date or today, today=today, text=text))

    @command
    def reopen_recommendation(self, rec_id: str, *, reason: str, date: dt.date | None = None) -> Recommendation:
        return self._recommendation_step(
            rec_id, lambda r, today: r.reopen(date=date or today, today=today, reason=reason))

    @command
    def withdraw_recommendation(self, rec_id: str, *, reason: str, date: dt.date | None = None) -> Recommendation:
        return self._recommendation_step(
            rec_id, lambda r, today: r.withdraw(date=date or today, today=today, reason=reason))

    # -- consultations (R-CSL-1) ----------------------------------------------------

    @command
    def request_consultation(
        self,
        *,
        group: str,
        kind: str,
        subject: str | None = None,
        stage: str | None = None,
        documents: list[str] | None = None,
        question: str | None = None,
        asked_by: str | None = None,
        date: dt.date | None = None,
        due_date: dt.date | None = None,
    ) -> Consultation:
        today = clock.today()
        role = context.current().actor.role
        asked_by = asked_by or ("government" if role == "government" else "district")
        date = date or today
        found = self.directory.require_group(group, rule="R-CSL-1", on=min(date, today))
        consultation = Consultation.request(
            today=today, date=date, due_date=due_date or date + dt.timedelta(days=self.settings.consultation_due_days),
            group=found.code, district=found.district, government=found.government, kind=kind, subject=subject,
            stage=stage, documents=list(documents or []), question=question, asked_by=asked_by, role=role,
        )
        self.save(consultation)
        return consultation

    @command
    def answer_consultation(self, consultation_id: str, *, text: str, verdict: str | None = None,
                            date: dt.date | None = None) -> Consultation:
        today = clock.today()
        consultation = self.get_consultation(consultation_id)
        consultation.answer(date=date or today, today=today, verdict=verdict, text=text)
        self.save(consultation)
        return consultation

    @command
    def close_consultation(self, consultation_id: str, *, date: dt.date | None = None,
                           text: str | None = None) -> Consultation:
        today = clock.today()
        consultation = self.get_consultation(consultation_id)
        consultation.close(date=date or today, today=today, text=text, role=context.current().actor.role)
        self.save(consultation)
        return consultation

    # -- publicity, summaries, ratings (R-PUB-1, R-EVA-2, R-EVA-3) ---------------------

    @command
    def record_publicity(self, *, group: str, title: str, mode: str, audience: int = 0, platform: str | None = None,
                         text: str | None = None, date: dt.date | None = None) -> Publicity:
        today = clock.today()
        date = date or today
        found = self.directory.require_group(group, rule="R-PUB-1")
        publicity = Publicity.record(today=today, date=date, group=found.code, district=found.district,
                                     government=found.government, mode=mode, title=title, audience=audience,
                                     platform=platform, text=text)
        self.save(publicity)
        return publicity

    def _submit_or_supersede(self, cls: type, key: uuid.UUID, fields: dict[str, Any]) -> Any:
        """A second submission for the same author and period supersedes the first."""
        try:
            existing = self.repository.get(key)
        except AggregateNotFoundError:
            document = cls(**fields, revision=1)
        else:
            existing.resubmit(**fields, revision=existing.revision + 1)
            document = existing
        self.save(document)
        return document

    @command
    def submit_work_summary(self, *, group: str, period: str, text: str, kind: str = "half_yearly",
                            highlights: list[str] | None = None, date: dt.date | None = None) -> WorkSummary:
        today = clock.today()
        date = date or today
        highlights = list(highlights or [])
        WorkSummary.check(today=today, date=date, kind=kind, period=period, text=text, highlights=highlights)
        found = self.directory.require_group(group, rule="R-PUB-1")
        fields = dict(group=found.code, district=found.district, government=found.government, kind=kind,
                      period=period, date=date.isoformat(), text=text, highlights=highlights)
        return self._submit_or_supersede(WorkSummary, WorkSummary.id_for(found.code, kind, period), fields)

    @command
    def submit_rating(self, *, group: str, year: int, target: str, scores: dict[str, Any], text: str | None = None,
                      date: dt.date | None = None) -> Rating:
        today = clock.today()
        date = date or today
        Rating.check(today=today, date=date, year=year, target=target, scores=scores, text=text)
        found = self.directory.require_group(group, rule="R-EVA-2")
        target_code = found.government if target == "government" else found.district
        fields = dict(group=found.code, district=found.district, government=found.government, year=year,
                      target=target, target_code=target_code, scores={k: scores[k] for k in sorted(scores)},
                      text=text, date=date.isoformat())
        return self._submit_or_supersede(Rating, Rating.id_for(found.code, year, target), fields)

    @command
    def submit_annual_summary(self, *, kind: str, year: int, text: str, government: str | None = None,
                              group: str | None = None, date: dt.date | None = None) -> AnnualSummary:
        today = clock.today()
        date = date or today
        AnnualSummary.check(today=today, date=date, kind=kind, year=year, text=text)
        if kind == "implementation":
            if not government:
                raise RuleViolated("government：政府年度落实总结需注明区政府（管委会）", field="government", rule="R-EVA-3")
            self.directory.require_government(government, rule="R-EVA-3")
            author, district, group_code = government, None, None
        else:
            if not group:
                raise RuleViolated("group：规划评估小结需注明责任规划师小组", field="group", rule="R-EVA-3")
            found = self.directory.require_group(group, rule="R-EVA-3")
            author, district, group_code, government = found.code, found.district, found.code, found.government
        fields = dict(kind=kind, author=author, government=government, district=district, group=group_code,
                      year=year, text=text, date=date.isoformat())
        return self._submit_or_supersede(AnnualSummary, AnnualSummary.id_for(kind, author, year), fields)

    # -- reminders (R-RPT-8) -----------------------------------------------------------

    @command
    def issue_reminders(self, *, reminders: list[dict[str, Any]], date: dt.date | None = None) -> tuple[Reminders, bool]:
        """Record a date's reminders for the notifier, once: a date issued before is
        returned as it was (``False``), whatever the second call carried."""
        date = date or clock.today()
        try:
            return self.repository.get(Reminders.id_for(date)), False
        except AggregateNotFoundError:
            pass
        issued = Reminders.issue(today=clock.today(), date=date, reminders=reminders)
        self.save(issued)  # a racing first issue of the date loses here and is retried: it finds this one
        return issued, True
