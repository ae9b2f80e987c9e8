"""The feedback aggregates without any transport (pure domain tests)."""

import datetime as dt

import pytest

from services.backbone.domain import Conflict, RuleViolated
from services.backbone.envelope import envelope_from_event
from services.feedback import personal
from services.feedback.domain import Consultation, Letter, Opinion, Rating, Recommendation
from services.feedback.settings import FeedbackSettings

TODAY = dt.date(2022, 6, 30)
D = dt.date.fromisoformat


def opinion(**overrides):
    fields = dict(
        today=TODAY, date=D("2022-03-01"), acknowledge_days=5, answer_days=30, ref="ABCDEFGHJK23",
        district="gulou", government="dongchangfu", group="g-gulou", category="public_space", text="路灯坏了",
        channel="app", public=False, point=None, address=None, media_url=None, attributes={},
        contact_phone_masked="138****5678", person_key="pk_x",
    )
    fields.update(overrides)
    return Opinion.receive(**fields)


def recommendation(**overrides):
    fields = dict(today=TODAY, date=D("2022-03-01"), group="g-gulou", district="gulou", government="dongchangfu",
                  title="口袋公园", text="建议在街角建设口袋公园", category="greening", source="survey",
                  opinions=[], visits=[])
    fields.update(overrides)
    return Recommendation.raise_(**fields)


def test_opinion_service_levels_are_dates_from_the_business_date():
    # R-OPN-2: acknowledged within 5 days, answered within 30 (inclusive due dates)
    o = opinion()
    assert (o.acknowledge_due_date, o.due_date) == ("2022-03-06", "2022-03-31")
    assert not o.overdue(D("2022-03-06"))
    assert o.overdue(D("2022-03-07"))
    o.acknowledge(date=D("2022-03-02"), today=TODAY, group="g-gulou")
    assert not o.overdue(D("2022-03-31"))
    assert o.overdue(D("2022-04-01"))
    o.answer(date=D("2022-03-20"), today=TODAY, reply="已报修")
    assert not o.overdue(D("2023-01-01"))


def test_opinion_lifecycle_out_of_order_is_a_conflict():
    # R-OPN-2
    o = opinion()
    with pytest.raises(Conflict):
        o.answer(date=D("2022-03-02"), today=TODAY, reply="x")
    with pytest.raises(Conflict):
        o.relay(date=D("2022-03-02"), today=TODAY, comment="x")
    with pytest.raises(Conflict):
        o.close(date=D("2022-03-02"), today=TODAY)
    o.acknowledge(date=D("2022-03-02"), today=TODAY, group="g-gulou")
    with pytest.raises(Conflict):
        o.acknowledge(date=D("2022-03-02"), today=TODAY, group="g-gulou")
    o.relay(date=D("2022-03-03"), today=TODAY, comment="涉及区级道路")
    o.escalate(date=D("2022-03-04"), today=TODAY, recommendation="r1")
    with pytest.raises(Conflict):
        o.answer(date=D("2022-03-05"), today=TODAY, reply="x")
    o.close(date=D("2022-03-05"), today=TODAY)
    assert o.status == "closed"


def test_opinion_text_and_dates_are_checked():
    # R-OPN-1: text 1..2000; R-SEC-3: no future business date
    with pytest.raises(RuleViolated) as exc:
        opinion(text="   ")
    assert (exc.value.field, exc.value.rule) == ("text", "R-OPN-1")
    with pytest.raises(RuleViolated):
        opinion(text="字" * 2001)
    assert opinion(text="字" * 2000, public=True).text == "字" * 2000
    # R-SEC-4: a non-public opinion's text is personal: its event does not carry it
    assert opinion(text="字" * 2000).text is None
    with pytest.raises(RuleViolated) as exc:
        opinion(date=TODAY + dt.timedelta(days=1))
    assert exc.value.rule == "R-SEC-3"
    with pytest.raises(RuleViolated) as exc:
        opinion(category="potholes")
    assert exc.value.field == "category"
    o = opinion()
    with pytest.raises(RuleViolated) as exc:
        o.acknowledge(date=D("2022-02-28"), today=TODAY, group="g")
    assert exc.value.rule == "R-OPN-2"


def test_opinion_events_carry_no_personal_data():
    # R-OPN-3: the masked phone and an opaque key only
    o = opinion()
    o.erase_personal_data(date=TODAY)
    for position, event in enumerate(o.collect_events(), 1):
        data = envelope_from_event("feedback", event, position)["data"]
        assert "13812345678" not in str(data)
        assert {"ref", "district", "government", "group", "date"} <= set(data)


def test_phone_numbers_are_mainland_mobiles_and_are_masked():
    # R-OPN-1, R-OPN-3
    assert personal.normalise_phone("+86 138-1234-5678") == "13812345678"
    assert personal.mask_phone("13812345678") == "138****5678"
    for bad in ("12812345678", "1381234567", "0635-8888888", "abc"):
        with pytest.raises(RuleViolated) as exc:
            personal.normalise_phone(bad)
        assert (exc.value.field, exc.value.rule) == ("contact_phone", "R-OPN-1")
    assert "13812345678" not in repr(personal.Person(key="k", phone="13812345678"))


def test_recommendation_full_lifecycle():
    # R-REC-2
    r = recommendation()
    r.forward(letter="l1", letter_no="聊自然资函〔2022〕12号", government="dongchangfu", date=D("2022-03-02"),
              due_date=D("2022-05-01"), today=TODAY)
    r.accept(date=D("2022-03-05"), today=TODAY)
    r.report_progress(date=D("2022-03-20"), today=TODAY, percent=50, text="已完成设计")
    r.complete(date=D("2022-04-20"), today=TODAY, text="已建成")
    r.reopen(date=D("2022-04-25"), today=TODAY, reason="缺少座椅")
    assert r.status == "accepted"
    r.complete(date=D("2022-04-28"), today=TODAY, text="已补充座椅")
    r.verify(date=D("2022-04-30"), today=TODAY)
    assert (r.status, r.percent) == ("verified", 100)
    with pytest.raises(Conflict) as exc:
        r.verify(date=D("2022-05-01"), today=TODAY)
    assert exc.value.rule == "R-REC-2"


def test_recommendation_steps_out_of_order_are_conflicts():
    # R-REC-2
    r = recommendation()
    for step in (
        lambda: r.accept(date=D("2022-03-02"), today=TODAY),
        lambda: r.complete(date=D("2022-03-02"), today=TODAY, text="x"),
        lambda: r.verify(date=D("2022-03-02"), today=TODAY),
        lambda: r.report_progress(date=D("2022-03-02"), today=TODAY, percent=10, text="x"),
    ):
        with pytest.raises(Conflict):
            step()
    r.forward(letter="l1", letter_no="n1", government="dongchangfu", date=D("2022-03-02"),
              due_date=D("2022-05-01"), today=TODAY)
    with pytest.raises(Conflict):
        r.withdraw(date=D("2022-03-03"), today=TODAY, reason="x")


def test_progress_must_be_a_percentage():
    # R-REC-2
    r = recommendation()
    r.forward(letter="l1", letter_no="n1", government="dongchangfu", date=D("2022-03-02"),
              due_date=D("2022-05-01"), today=TODAY)
    r.accept(date=D("2022-03-03"), today=TODAY)
    for bad in (120, -1, True):
        with pytest.raises(RuleViolated) as exc:
            r.report_progress(date=D("2022-03-04"), today=TODAY, percent=bad, text="x")
        assert (exc.value.field, exc.value.rule) == ("percent", "R-REC-2")


def test_forwarded_recommendation_is_overdue_after_its_due_date_until_completed_or_declined():
    # R-REC-3
    r = recommendation()
    assert r.overdue_days(D("2023-01-01")) == 0
    r.forward(letter="l1", letter_no="n1", government="dongchangfu", date=D("2022-03-02"),
              due_date=D("2022-05-01"), today=TODAY)
    assert r.overdue_days(D("2022-05-01")) == 0
    assert r.overdue_days(D("2022-05-11")) == 10
    r.decline(date=D("2022-05-12"), today=TODAY, reason="资金不足")
    assert r.overdue_days(D("2022-06-01")) == 0


def test_letter_goes_to_the_recommendations_government():
    # R-REC-2
    r = recommendation()
    with pytest.raises(RuleViolated) as exc:
        r.check_forwardable(government="jingkai", date=D("2022-03-02"), today=TODAY)
    assert exc.value.field == "government"
    with pytest.raises(RuleViolated):
        Letter.send(today=TODAY, letter_no="n", government="dongchangfu", date=D("2022-03-02"),
                    due_date=D("2022-03-01"), recommendations=[r])
    with pytest.raises(RuleViolated):
        Letter.send(today=TODAY, letter_no="n", government="dongchangfu", date=D("2022-03-02"),
                    due_date=D("2022-05-01"), recommendations=[r, r])


def test_consultation_review_needs_a_verdict_and_advice_has_none():
    # R-CSL-1
    base = dict(today=TODAY, date=D("2022-03-01"), due_date=D("2022-03-15"), group="g", district="d",
                government="gov", documents=[], asked_by="district")
    review = Consultation.request(kind="project_review", subject="文化广场", stage="design", question=None, **base)
    with pytest.raises(RuleViolated) as exc:
        review.answer(date=D("2022-03-10"), today=TODAY, verdict=None, text="同意")
    assert exc.value.field == "verdict"
    review.answer(date=D("2022-03-10"), today=TODAY, verdict="agree_with_changes", text="建议调整")
    advice = Consultation.request(kind="advice", subject=None, stage=None, question="老旧小区停车怎么办？", **base)
    assert advice.overdue_days(D("2022-03-20")) == 5
    with pytest.raises(RuleViolated):
        advice.answer(date=D("2022-03-10"), today=TODAY, verdict="agree", text="x")
    with pytest.raises(RuleViolated) as exc:
        Consultation.request(kind="project_review", subject="x", stage="build", question=None, **base)
    assert exc.value.field == "stage"


def test_ratings_are_one_to_five_per_item():
    # R-EVA-2
    ok = {"cooperation": 4, "workplace": 5, "implementation": 3}
    Rating.check(today=TODAY, date=TODAY, year=2021, target="government", scores=ok, text=None)
    for scores, field in (({**ok, "workplace": 6}, "scores.workplace"), ({**ok, "cooperation": 0}, "scores.cooperation"),
                          ({"cooperation": 4, "workplace": 5}, "scores.implementation"),
                          ({**ok, "mood": 3}, "scores.mood")):
        with pytest.raises(RuleViolated) as exc:
            Rating.check(today=TODAY, date=TODAY, year=2021, target="government", scores=scores, text=None)
        assert (exc.value.field, exc.value.rule) == (field, "R-EVA-2")


def test_service_levels_are_settings():
    # R-OPN-2, R-REC-2: the defaults, and values from the environment passed in
    assert FeedbackSettings.from_env({}).opinion_acknowledge_days == 5
    assert FeedbackSettings.from_env({}).opinion_answer_days == 30
    assert FeedbackSettings.from_env({}).recommendation_due_days == 60
    s = FeedbackSettings.from_env({"RPS_OPINION_ACKNOWLEDGE_DAYS": "3", "RPS_OPINION_ANSWER_DAYS": "15"})
    assert (s.opinion_acknowledge_days, s.opinion_answer_days) == (3, 15)
