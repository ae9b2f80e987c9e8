"""Consultations (R-CSL-1), publicity and summaries (R-PUB-1), ratings (R-EVA-2)
and annual summaries (R-EVA-3) over HTTP."""

import pytest


def stored(runtime):
    return runtime.app("feedback").last_position()


def events_of(runtime, subject):
    return [e for e in runtime.app("feedback").envelopes(0, 1000) if e["subject"] == subject]


def test_project_review_requested_answered_and_closed(api, runtime, world):
    # R-CSL-1
    created = api.post("/api/v1/consultations", {
        "group": world["group"], "kind": "project_review", "subject": "古城文化广场改造", "stage": "design",
        "documents": ["doc-2022-017"], "date": "2022-03-01", "due_date": "2022-03-15", "asked_by": "government"})
    assert created.status_code == 201, created.json_body
    cid = created.json_body["id"]
    assert (created.json_body["status"], created.json_body["district"]) == ("requested", world["district"])
    missing_verdict = api.post(f"/api/v1/consultations/{cid}/opinion", {"text": "同意", "date": "2022-03-10"})
    assert missing_verdict.status_code == 422 and missing_verdict.json_body["error"]["field"] == "verdict"
    assert api.post(f"/api/v1/consultations/{cid}/close", {}).status_code == 409
    answered = api.post(f"/api/v1/consultations/{cid}/opinion",
                        {"verdict": "agree_with_changes", "text": "建议降低建筑高度", "date": "2022-03-10"})
    assert answered.status_code == 200 and answered.json_body["verdict"] == "agree_with_changes"
    closed = api.post(f"/api/v1/consultations/{cid}/close", {"date": "2022-03-12"})
    assert closed.json_body["status"] == "closed"
    data = [e["data"] for e in events_of(runtime, cid)]
    assert [d["status"] for d in data] == ["requested", "answered", "closed"]
    assert data[1]["on_time"] is True and data[1]["due_date"] == "2022-03-15"


def test_advice_with_default_due_date_becomes_overdue(api, world):
    # R-CSL-1: overdue when not answered by the due date
    created = api.post("/api/v1/consultations", {"group": world["group"], "kind": "advice",
                                                 "question": "老旧小区停车难如何规划？", "date": "2022-03-01"})
    assert created.status_code == 201, created.json_body
    assert created.json_body["due_date"] == "2022-03-31"
    assert created.json_body["overdue"] is True
    api.settle()
    listed = api.get(f"/api/v1/consultations?group={world['group']}&overdue=true").json_body["items"]
    assert [i["id"] for i in listed] == [created.json_body["id"]]


@pytest.mark.parametrize("body,field", [
    ({"kind": "review"}, "kind"),
    ({"kind": "project_review", "subject": "x", "stage": "build"}, "stage"),
    ({"kind": "project_review", "stage": "plan"}, "subject"),
    ({"kind": "advice"}, "question"),
    ({"kind": "advice", "question": "?", "due_date": "2022-02-01"}, "due_date"),
])
def test_bad_consultations_are_refused(api, runtime, world, body, field):
    # R-CSL-1
    before = stored(runtime)
    response = api.post("/api/v1/consultations", {"group": world["group"], "date": "2022-03-01", **body})
    assert response.status_code == 422, response.json_body
    assert (response.json_body["error"]["field"], response.json_body["error"]["rule"]) == (field, "R-CSL-1")
    assert stored(runtime) == before


def test_publicity_and_work_summaries(api, runtime, world):
    # R-PUB-1, R-RPT-3
    publicity = api.post("/api/v1/publicity", {"group": world["group"], "title": "社区规划开放日", "mode": "offline",
                                               "audience": 120, "date": "2022-03-05"})
    assert publicity.status_code == 201, publicity.json_body
    data = events_of(runtime, publicity.json_body["id"])[0]["data"]
    assert (data["audience"], data["district"], data["date"]) == (120, world["district"], "2022-03-05")
    bad = api.post("/api/v1/publicity", {"group": world["group"], "title": "x", "mode": "radio", "date": "2022-03-05"})
    assert bad.status_code == 422 and bad.json_body["error"]["rule"] == "R-PUB-1"
    negative = api.post("/api/v1/publicity", {"group": world["group"], "title": "x", "mode": "online", "audience": -1})
    assert negative.status_code == 422 and negative.json_body["error"]["field"] == "audience"

    summary = api.post("/api/v1/work-summaries", {"group": world["group"], "period": "2022-H1", "text": "上半年述职",
                                                  "highlights": ["完成口袋公园设计"], "date": "2022-06-30"})
    assert summary.status_code == 201, summary.json_body
    assert summary.json_body["revision"] == 1
    again = api.post("/api/v1/work-summaries", {"group": world["group"], "period": "2022-H1", "text": "上半年述职（修订）",
                                                "date": "2022-06-30"})
    assert (again.json_body["id"], again.json_body["revision"]) == (summary.json_body["id"], 2)
    types = [e["type"].split(".")[-2] for e in events_of(runtime, summary.json_body["id"])]
    assert types == ["WorkSummarySubmitted", "WorkSummarySubmitted"]
    assert api.post("/api/v1/work-summaries", {"group": world["group"], "period": "2022-H3", "text": "x"}).status_code == 422


def test_rating_once_a_year_second_supersedes(api, runtime, world):
    # R-EVA-2: 1–5 on cooperation, workplace, implementation; the latest counts
    body = {"group": world["group"], "year": 2021, "target": "government", "date": "2022-05-30",
            "scores": {"cooperation": 4, "workplace": 5, "implementation": 3}, "text": "配合较好"}
    first = api.post("/api/v1/ratings", body)
    assert first.status_code == 201, first.json_body
    assert first.json_body["target_code"] == world["government"]
    second = api.post("/api/v1/ratings", {**body, "scores": {"cooperation": 5, "workplace": 5, "implementation": 4}})
    assert (second.json_body["id"], second.json_body["revision"]) == (first.json_body["id"], 2)
    district_rating = api.post("/api/v1/ratings", {**body, "target": "district"})
    assert district_rating.json_body["target_code"] == world["district"]
    envelopes = events_of(runtime, first.json_body["id"])
    assert [e["type"].split(".")[-2] for e in envelopes] == ["RatingSubmitted", "RatingSubmitted"]
    assert envelopes[-1]["data"]["scores"] == {"cooperation": 5, "implementation": 4, "workplace": 5}
    assert envelopes[-1]["data"]["revision"] == 2


@pytest.mark.parametrize("change,field", [
    ({"scores": {"cooperation": 6, "workplace": 5, "implementation": 3}}, "scores.cooperation"),
    ({"scores": {"cooperation": 4, "workplace": 5}}, "scores.implementation"),
    ({"year": 2999}, "year"),
    ({"target": "planner"}, "target"),
])
def test_bad_ratings_are_refused(api, runtime, world, change, field):
    # R-EVA-2
    body = {"group": world["group"], "year": 2021, "target": "government",
            "scores": {"cooperation": 4, "workplace": 5, "implementation": 3}, **change}
    before = stored(runtime)
    response = api.post("/api/v1/ratings", body)
    assert response.status_code == 422, response.json_body
    assert (response.json_body["error"]["field"], response.json_body["error"]["rule"]) == (field, "R-EVA-2")
    assert stored(runtime) == before


def test_annual_summaries_of_governments_and_groups(api, runtime, world):
    # R-EVA-3
    government = api.post("/api/v1/annual-summaries", {"kind": "implementation", "government": world["government"],
                                                       "year": 2021, "text": "年度落实情况", "date": "2022-01-15"})
    assert government.status_code == 201, government.json_body
    group = api.post("/api/v1/annual-summaries", {"kind": "planning_evaluation", "group": world["group"],
                                                  "year": 2021, "text": "规划评估小结", "date": "2022-01-20"})
    assert group.status_code == 201, group.json_body
    data = events_of(runtime, group.json_body["id"])[0]["data"]
    assert (data["district"], data["government"], data["year"]) == (world["district"], world["government"], 2021)
    missing = api.post("/api/v1/annual-summaries", {"kind": "implementation", "year": 2021, "text": "x"})
    assert missing.status_code == 422 and missing.json_body["error"]["field"] == "government"
    unknown = api.post("/api/v1/annual-summaries", {"kind": "implementation", "government": "nowhere", "year": 2021,
                                                    "text": "x"})
    assert unknown.status_code == 422 and unknown.json_body["error"]["rule"] == "R-EVA-3"


def test_only_the_asker_or_the_bureau_closes_a_consultation(api, runtime, world):
    # R-CSL-1: asked by the government; the sub-district of the consultation's district may not close it
    gov = api.as_role("government", "gov-1", government=world["government"])
    sub = api.as_role("subdistrict", "sub-1", district=world["district"], government=world["government"])
    created = gov.post("/api/v1/consultations", {"group": world["group"], "kind": "advice",
                                                 "question": "老街改造的高度控制？", "date": "2022-03-01"})
    assert created.status_code == 201, created.json_body
    assert created.json_body["asked_by"] == "government"  # the caller's own by default
    cid = created.json_body["id"]
    api.post(f"/api/v1/consultations/{cid}/opinion", {"text": "控制在 18 米以内", "date": "2022-03-05"})
    before = stored(runtime)
    refused = sub.post(f"/api/v1/consultations/{cid}/close", {"date": "2022-03-06"})
    assert refused.status_code == 403, refused.json_body
    assert refused.json_body["error"]["field"] == "asked_by"
    assert stored(runtime) == before
    closed = gov.post(f"/api/v1/consultations/{cid}/close", {"date": "2022-03-06"})
    assert closed.status_code == 200 and closed.json_body["status"] == "closed"
    # One the sub-district asked is its to close, not the government's.
    mine = sub.post("/api/v1/consultations", {"group": world["group"], "kind": "advice", "question": "停车位？",
                                              "date": "2022-03-01"}).json_body
    assert mine["asked_by"] == "district"
    api.post(f"/api/v1/consultations/{mine['id']}/opinion", {"text": "利用边角地", "date": "2022-03-05"})
    assert gov.post(f"/api/v1/consultations/{mine['id']}/close", {"date": "2022-03-06"}).status_code == 403
    assert sub.post(f"/api/v1/consultations/{mine['id']}/close", {"date": "2022-03-06"}).status_code == 200
    # A sub-district cannot ask in the government's name (and so close one "its government asked for").
    spoofed = sub.post("/api/v1/consultations", {"group": world["group"], "kind": "advice", "question": "绿地？",
                                                 "asked_by": "government", "date": "2022-03-01"})
    assert spoofed.status_code == 422 and spoofed.json_body["error"]["rule"] == "R-CSL-1"


def test_the_domain_refuses_a_close_by_another_asker():
    # R-CSL-1: the rule lives in the aggregate too (a caller that skips the policy)
    import datetime as dt

    from services.backbone.domain import RuleViolated
    from services.feedback.domain import Consultation

    day = dt.date(2022, 3, 1)
    c = Consultation.request(today=day, date=day, due_date=day, group="g", district="d", government="gov",
                             kind="advice", subject=None, stage=None, documents=[], question="？",
                             asked_by="government", role="bureau")
    c.answer(date=day, today=day, verdict=None, text="意见")
    with pytest.raises(RuleViolated) as exc:
        c.close(date=day, today=day, role="subdistrict")
    assert exc.value.rule == "R-CSL-1" and exc.value.field == "asked_by"
    c.close(date=day, today=day, role="government")
    assert c.status == "closed"
