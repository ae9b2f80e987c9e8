"""Overdue days are counted from the deadline the finding names (R-OPN-2, R-RPT-1, R-RPT-8; issue 14)."""

from __future__ import annotations

from tests.unit.reporting.conftest import row

API = "/api/v1"


def test_an_unacknowledged_opinion_past_its_answer_deadline_counts_from_that_deadline(world, api):
    # R-OPN-2, R-RPT-1: received 2022-11-01 and never acknowledged: acknowledgement due
    # 2022-11-06, answer due 2022-12-01. On 2023-01-31 it is 61 days past the answer
    # deadline the finding names (not 86 days past the acknowledgement's).
    w = world
    gov = w.government("gov")
    d1 = w.district("d1", gov)
    w.sign()
    g1 = w.group("g1", d1)
    ref = w.opinion(d1, "2022-11-01")
    report = w.report("monthly", "2023-01")
    notes = [n for n in row(report, g1)["findings"] if n.get("ref") == ref]
    assert [n["message"] for n in notes] == [f"公众意见 {ref} 超过答复期限（2022-12-01）61 天仍未答复"]
    assert notes[0]["overdue_days"] == 61
    # R-RPT-8: the day's reminder names the same deadline and the same days.
    api.settle()
    reminders = api.get(f"{API}/reminders?date=2023-01-31").json_body["reminders"]
    mine = [r for r in reminders if r.get("ref") == ref]
    assert [(r["kind"], r["due_date"], r["days"]) for r in mine] == [("overdue", "2022-12-01", 61)]
    assert "（2022-12-01）61 天" in mine[0]["message"]
    # Before the answer deadline the acknowledgement's is named and counted: 2022-11-20 is 14 days past 11-06.
    reminders = api.get(f"{API}/reminders?date=2022-11-20").json_body["reminders"]
    mine = [r for r in reminders if r.get("ref") == ref]
    assert [(r["due_date"], r["days"]) for r in mine] == [("2022-11-06", 14)]
    assert "超过受理期限（2022-11-06）14 天仍未受理" in mine[0]["message"]
