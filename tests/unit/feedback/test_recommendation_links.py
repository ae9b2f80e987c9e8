"""A recommendation links opinions and visits of its own district only (R-REC-1; issue 14).

Feedback learns the district of every visit from the visits service's ``VisitLogged``
events, as it learns groups from the contracts service's events."""

from __future__ import annotations

from services.bootstrap import consumers_of
from tests.organisation import form_group

API = "/api/v1"


def _call(api):
    def call(method, path, body=None):
        response = api.request(method, path, body)
        return response.status_code, response.json_body
    return call


def _visit(api, codes, date="2022-03-03"):
    answer = api.post(f"{API}/visits", {"group": codes["group"], "date": date, "days": 1,
                                        "planners": [codes["tier1"]], "leader_met": True})
    assert answer.status_code == 201, answer.json_body
    return answer.json_body["id"]


def _opinion(api, codes):
    answer = api.post(f"{API}/opinions", {"district": codes["district"], "category": "public_space", "text": "路灯坏了",
                                          "channel": "app", "date": "2022-03-01"})
    assert answer.status_code == 201, answer.json_body
    return answer.json_body["ref"]


def _raise(api, codes, **links):
    return api.post(f"{API}/recommendations", {"group": codes["group"], "title": "建设口袋公园", "text": "街角空地",
                                               "category": "greening", "source": "survey", "date": "2022-03-05",
                                               **links})


def test_links_to_another_districts_opinions_or_visits_are_refused(api, runtime, unique):
    # R-REC-1: a recommendation links opinions/visits of its own district; unknown or foreign ones are 422
    mine = form_group(_call(api), f"a{unique}")
    other = form_group(_call(api), f"b{unique}")
    api.settle()
    my_visit, other_visit = _visit(api, mine), _visit(api, other)
    my_opinion, other_opinion = _opinion(api, mine), _opinion(api, other)
    api.settle()  # feedback learns of the visits from visits' events
    before = runtime.app("feedback").last_position()
    for links, field in (
        ({"visits": [my_visit, other_visit]}, "visits.1"),
        ({"opinions": [other_opinion]}, "opinions.0"),
        ({"visits": ["00000000-0000-0000-0000-000000000000"]}, "visits.0"),
        ({"opinions": ["NOSUCHREF234"]}, "opinions.0"),
    ):
        refused = _raise(api, mine, **links)
        assert refused.status_code == 422, (links, refused.json_body)
        error = refused.json_body["error"]
        assert (error["rule"], error["field"]) == ("R-REC-1", field)
        assert error["message"].startswith(f"{field}：")
    assert runtime.app("feedback").last_position() == before  # nothing stored
    raised = _raise(api, mine, visits=[my_visit], opinions=[my_opinion.lower()])
    assert raised.status_code == 201, raised.json_body
    assert raised.json_body["visits"] == [my_visit] and raised.json_body["opinions"] == [my_opinion]


def test_the_feedback_consumer_reads_the_visits_events():
    # R-REC-1: in the cluster, feedback's consumer has a queue bound to visits' exchange (evt-visits--feedback)
    assert "feedback" in consumers_of("visits")
