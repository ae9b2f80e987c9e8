"""Recommendations and letters over HTTP (R-REC-1..3)."""

import pytest


def raise_rec(api, world, **overrides):
    body = {"group": world["group"], "title": "建设口袋公园", "text": "街角空地建议建设口袋公园",
            "category": "greening", "source": "survey", "date": "2022-03-01"}
    body.update(overrides)
    return api.post("/api/v1/recommendations", body)


def stored(runtime):
    return runtime.app("feedback").last_position()


def test_full_lifecycle(api, world, unique):
    # R-REC-1, R-REC-2: raised -> forwarded -> accepted -> progress -> completed -> reopened -> completed -> verified
    created = raise_rec(api, world)
    assert created.status_code == 201, created.json_body
    rec = created.json_body
    assert (rec["status"], rec["district"], rec["government"]) == ("raised", world["district"], world["government"])
    rid = rec["id"]
    steps = [
        ("forward", {"letter_no": f"聊自然资函〔2022〕{unique}号", "date": "2022-03-02", "due_date": "2022-04-30"}, "forwarded"),
        ("accept", {"date": "2022-03-05"}, "accepted"),
        ("progress", {"date": "2022-03-20", "percent": 50, "text": "方案已批复"}, "accepted"),
        ("complete", {"date": "2022-04-10", "text": "已建成开放"}, "completed"),
        ("reopen", {"date": "2022-04-12", "reason": "缺少无障碍坡道"}, "accepted"),
        ("complete", {"date": "2022-04-20", "text": "已补建坡道"}, "completed"),
        ("verify", {"date": "2022-04-25"}, "verified"),
    ]
    for step, body, status in steps:
        response = api.post(f"/api/v1/recommendations/{rid}/{step}", body)
        assert response.status_code == 200, (step, response.json_body)
        assert response.json_body["status"] == status
    final = api.get(f"/api/v1/recommendations/{rid}").json_body
    assert (final["percent"], final["due_date"], final["letter_no"]) == (100, "2022-04-30", f"聊自然资函〔2022〕{unique}号")
    assert [p["percent"] for p in final["progress"]] == [50, 100, 100]
    types = [e["type"].split(".")[-2] for e in api.runtime.app("feedback").envelopes(0, 1000) if e["subject"] in (rid, final["letter"])]
    assert types == ["RecommendationRaised", "LetterIssued", "RecommendationForwarded", "RecommendationAccepted",
                     "ImplementationProgressReported", "RecommendationCompleted", "RecommendationReopened",
                     "RecommendationCompleted", "RecommendationVerified"]


def test_events_carry_codes_and_business_dates_for_reporting(api, runtime, world, unique):
    # R-REC-3, R-RPT-2: district, group, government, date and due_date in the events
    rid = raise_rec(api, world).json_body["id"]
    api.post(f"/api/v1/recommendations/{rid}/forward", {"letter_no": f"L-{unique}", "date": "2022-03-02"})
    api.post(f"/api/v1/recommendations/{rid}/accept", {"date": "2022-03-03"})
    api.post(f"/api/v1/recommendations/{rid}/complete", {"date": "2022-03-30", "text": "完成"})
    by_type = {e["type"].split(".")[-2]: e for e in runtime.app("feedback").envelopes(0, 1000)}
    forwarded = by_type["RecommendationForwarded"]["data"]
    assert forwarded["due_date"] == "2022-05-01"  # R-REC-2: 60 days by default
    assert {"letter", "letter_no", "date", "due_date", "government", "district", "group"} <= set(forwarded)
    completed = by_type["RecommendationCompleted"]["data"]
    assert (completed["date"], completed["due_date"], completed["letter_date"]) == ("2022-03-30", "2022-05-01", "2022-03-02")
    assert (completed["district"], completed["group"], completed["government"]) == (
        world["district"], world["group"], world["government"])
    assert by_type["LetterIssued"]["data"]["recommendations"] == [rid]


def test_steps_out_of_order_are_409_and_store_nothing(api, runtime, world, unique):
    # R-REC-2
    rid = raise_rec(api, world).json_body["id"]
    before = stored(runtime)
    for step, body in (("accept", {}), ("decline", {"reason": "x"}), ("progress", {"percent": 10, "text": "x"}),
                       ("complete", {"text": "x"}), ("verify", {}), ("reopen", {"reason": "x"})):
        response = api.post(f"/api/v1/recommendations/{rid}/{step}", body)
        assert response.status_code == 409, (step, response.json_body)
        assert response.json_body["error"]["rule"] == "R-REC-2"
    assert stored(runtime) == before
    api.post(f"/api/v1/recommendations/{rid}/forward", {"letter_no": f"L-{unique}", "date": "2022-03-02"})
    assert api.post(f"/api/v1/recommendations/{rid}/forward", {"letter_no": f"L2-{unique}"}).status_code == 409
    assert api.post(f"/api/v1/recommendations/{rid}/withdraw", {"reason": "x"}).status_code == 409


def test_second_verify_is_409(api, runtime, world, unique):
    # R-REC-2
    rid = raise_rec(api, world).json_body["id"]
    for step, body in (("forward", {"letter_no": f"L-{unique}", "date": "2022-03-02"}), ("accept", {"date": "2022-03-02"}),
                       ("complete", {"text": "完成", "date": "2022-03-03"}), ("verify", {"date": "2022-03-04"})):
        assert api.post(f"/api/v1/recommendations/{rid}/{step}", body).status_code == 200
    before = stored(runtime)
    assert api.post(f"/api/v1/recommendations/{rid}/verify", {}).status_code == 409
    assert stored(runtime) == before


def test_forward_of_a_recommendation_never_raised_is_404(api, runtime, world):
    # R-REC-2
    before = stored(runtime)
    response = api.post("/api/v1/recommendations/00000000-0000-0000-0000-000000000000/forward", {"letter_no": "x"})
    assert response.status_code == 404
    assert api.post("/api/v1/recommendations/not-an-id/forward", {"letter_no": "x"}).status_code == 404
    assert stored(runtime) == before


def test_progress_over_100_percent_is_refused(api, runtime, world, unique):
    # R-REC-2
    rid = raise_rec(api, world).json_body["id"]
    api.post(f"/api/v1/recommendations/{rid}/forward", {"letter_no": f"L-{unique}", "date": "2022-03-02"})
    api.post(f"/api/v1/recommendations/{rid}/accept", {"date": "2022-03-02"})
    before = stored(runtime)
    response = api.post(f"/api/v1/recommendations/{rid}/progress", {"percent": 120, "text": "超额完成"})
    assert response.status_code == 422
    assert (response.json_body["error"]["field"], response.json_body["error"]["rule"]) == ("percent", "R-REC-2")
    assert api.post(f"/api/v1/recommendations/{rid}/progress", {"percent": "50", "text": "x"}).status_code == 400
    assert stored(runtime) == before


def test_decline_needs_a_reason(api, world, unique):
    # R-REC-2
    rid = raise_rec(api, world).json_body["id"]
    api.post(f"/api/v1/recommendations/{rid}/forward", {"letter_no": f"L-{unique}", "date": "2022-03-02"})
    assert api.post(f"/api/v1/recommendations/{rid}/decline", {"reason": " "}).status_code == 422
    response = api.post(f"/api/v1/recommendations/{rid}/decline", {"reason": "与规划不符", "date": "2022-03-05"})
    assert response.json_body["status"] == "declined"
    assert response.json_body["decline_reason"] == "与规划不符"


def test_withdraw_before_forwarding(api, world):
    # R-REC-2
    rid = raise_rec(api, world).json_body["id"]
    response = api.post(f"/api/v1/recommendations/{rid}/withdraw", {"reason": "重复", "date": "2022-03-02"})
    assert response.status_code == 200 and response.json_body["status"] == "withdrawn"


@pytest.mark.parametrize("overrides,field,rule", [
    ({"category": "weather"}, "category", "R-REC-1"),
    ({"source": "rumour"}, "source", "R-REC-1"),
    ({"title": ""}, "title", "R-REC-1"),
    ({"group": "g-nobody"}, "group", "R-REC-1"),
    ({"opinions": ["NOSUCHREF234"]}, "opinions.0", "R-REC-1"),
])
def test_bad_recommendations_are_refused(api, runtime, world, overrides, field, rule):
    # R-REC-1
    before = stored(runtime)
    response = raise_rec(api, world, **overrides)
    assert response.status_code == 422, response.json_body
    assert (response.json_body["error"]["field"], response.json_body["error"]["rule"]) == (field, rule)
    assert stored(runtime) == before


def test_letter_forwards_several_recommendations_to_one_government(api, runtime, world, unique):
    # R-REC-2: one letter may carry several
    ids = [raise_rec(api, world, title=f"建议{i}").json_body["id"] for i in range(3)]
    response = api.post("/api/v1/letters", {"government": world["government"], "letter_no": f"函-{unique}",
                                            "date": "2022-03-01", "due_date": "2022-04-30", "recommendations": ids})
    assert response.status_code == 201, response.json_body
    letter = response.json_body
    assert [r["id"] for r in letter["recommendations"]] == ids
    assert {r["status"] for r in letter["recommendations"]} == {"forwarded"}
    fetched = api.get(f"/api/v1/letters/{letter['id']}").json_body
    assert (fetched["letter_no"], fetched["government"], fetched["due_date"]) == (f"函-{unique}", world["government"], "2022-04-30")
    for rid in ids:
        rec = api.get(f"/api/v1/recommendations/{rid}").json_body
        assert (rec["letter"], rec["due_date"]) == (letter["id"], "2022-04-30")
    api.settle()
    listed = api.get(f"/api/v1/letters?government={world['government']}").json_body["items"]
    assert [(i["id"], i["items"]) for i in listed] == [(letter["id"], 3)]
    # The same letter number again is a conflict.
    again = api.post("/api/v1/letters", {"government": world["government"], "letter_no": f"函-{unique}",
                                         "recommendations": [raise_rec(api, world).json_body["id"]]})
    assert again.status_code == 409 and again.json_body["error"]["field"] == "letter_no"


def test_letter_with_a_foreign_or_forwarded_item_stores_nothing(api, runtime, world, contracts, unique):
    # R-REC-2: all or nothing
    contracts.government(f"other-{unique}", "另一政府")
    fresh = raise_rec(api, world).json_body["id"]
    taken = raise_rec(api, world).json_body["id"]
    api.post(f"/api/v1/recommendations/{taken}/forward", {"letter_no": f"L-{unique}", "date": "2022-03-02"})
    before = stored(runtime)
    wrong_government = api.post("/api/v1/letters", {"government": f"other-{unique}", "letter_no": f"X-{unique}",
                                                    "recommendations": [fresh]})
    assert wrong_government.status_code == 422
    assert (wrong_government.json_body["error"]["field"], wrong_government.json_body["error"]["rule"]) == ("government", "R-REC-2")
    already = api.post("/api/v1/letters", {"government": world["government"], "letter_no": f"Y-{unique}",
                                           "recommendations": [fresh, taken]})
    assert already.status_code == 409
    unknown = api.post("/api/v1/letters", {"government": world["government"], "letter_no": f"Z-{unique}",
                                           "recommendations": [fresh, "00000000-0000-0000-0000-000000000000"]})
    assert unknown.status_code == 404 and unknown.json_body["error"]["field"] == "recommendations.1"
    empty = api.post("/api/v1/letters", {"government": world["government"], "letter_no": f"W-{unique}",
                                         "recommendations": []})
    assert empty.status_code == 422
    assert stored(runtime) == before
    assert api.get(f"/api/v1/recommendations/{fresh}").json_body["status"] == "raised"


def test_overdue_recommendations_are_listed_with_their_age(api, world, unique):
    # R-REC-3: forwarded, not completed or declined by the due date
    late = raise_rec(api, world, title="迟").json_body["id"]
    done = raise_rec(api, world, title="按期").json_body["id"]
    waiting = raise_rec(api, world, title="未函告").json_body["id"]
    for rid, no in ((late, "a"), (done, "b")):
        api.post(f"/api/v1/recommendations/{rid}/forward", {"letter_no": f"{no}-{unique}", "date": "2022-03-02",
                                                           "due_date": "2022-04-01"})
    api.post(f"/api/v1/recommendations/{done}/accept", {"date": "2022-03-03"})
    api.post(f"/api/v1/recommendations/{done}/complete", {"date": "2022-03-30", "text": "完成"})
    api.settle()
    base = f"/api/v1/recommendations?government={world['government']}"
    overdue = api.get(base + "&overdue=true").json_body["items"]
    assert [i["id"] for i in overdue] == [late]
    assert overdue[0]["overdue_days"] > 0
    assert api.get(f"/api/v1/recommendations/{late}").json_body["overdue"] is True
    everything = {i["id"]: i["status"] for i in api.get(base).json_body["items"]}
    assert everything == {late: "forwarded", done: "completed", waiting: "raised"}
    assert [i["id"] for i in api.get(base + "&status=raised").json_body["items"]] == [waiting]
