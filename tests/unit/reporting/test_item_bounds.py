"""The items a report reads (ReadModels.items with ``since``): what the bound
leaves out counts nothing in a period, and the last step's date is kept with
``steps`` as the projections write them."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from services.backbone.persistence import SQLiteDatabase
from services.reporting.projections.consultations import ConsultationsProjection
from services.reporting.projections.opinions import OpinionsProjection
from services.reporting.projections.recommendations import RecommendationsProjection
from services.reporting.projections.steps import LAST_STEP_DATE, append_step
from services.reporting.readmodels import ReadModels, Scope

D = dt.date.fromisoformat


@pytest.fixture
def reads(tmp_path) -> ReadModels:
    db = SQLiteDatabase(tmp_path / "reporting.sqlite")
    for projection in (OpinionsProjection(db), RecommendationsProjection(db), ConsultationsProjection(db)):
        projection.create_tables()
    return ReadModels(db)


def add(reads: ReadModels, table: str, ref: str, date: str, *steps: tuple[str, str], due: str | None = None,
        group: str | None = None, district: str | None = None) -> None:
    first = "received" if table == "rpt_opinions" else "raised" if table == "rpt_recommendations" else "requested"
    with reads.db.transaction() as cur:
        cur.execute(
            f"INSERT INTO {table} (id, grp, district, date, due_date, status, steps, {LAST_STEP_DATE})"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (ref, group, district, date, due or "2099-12-31", first, json.dumps([[date, first]]), date),
        )
        for day, status in steps:
            append_step(cur, table, ref, day, status)


def test_the_last_step_date_is_kept_with_the_steps(reads):
    add(reads, "rpt_opinions", "o1", "2022-01-05", ("2022-01-06", "acknowledged"), ("2022-02-01", "answered"))
    add(reads, "rpt_recommendations", "r1", "2022-01-05", ("2022-01-20", "forwarded"), ("2022-03-09", "withdrawn"))
    add(reads, "rpt_consultations", "c1", "2022-01-05")
    got = {
        table: reads.db.query(f"SELECT {LAST_STEP_DATE} AS d FROM {table}")[0]["d"]
        for table in ("rpt_opinions", "rpt_recommendations", "rpt_consultations")
    }
    assert got == {"rpt_opinions": "2022-02-01", "rpt_recommendations": "2022-03-09", "rpt_consultations": "2022-01-05"}


def test_a_period_reads_what_can_count_in_it_and_nothing_else(reads):
    # a report of March 2022 (R-RPT-1): as of a day from 03-01 on
    add(reads, "rpt_opinions", "closed-before", "2022-01-05", ("2022-01-06", "acknowledged"),
        ("2022-02-01", "answered"), ("2022-02-10", "closed"))
    add(reads, "rpt_opinions", "answered-in", "2022-01-05", ("2022-01-06", "acknowledged"), ("2022-03-02", "answered"))
    add(reads, "rpt_opinions", "closed-after", "2022-01-05", ("2022-01-06", "acknowledged"),
        ("2022-05-02", "answered"), ("2022-05-03", "closed"))  # open all through March: overdue then
    add(reads, "rpt_opinions", "still-open", "2021-07-05")
    add(reads, "rpt_opinions", "received-in", "2022-03-31", ("2022-04-02", "acknowledged"))
    add(reads, "rpt_opinions", "received-after", "2022-04-01")
    # R-RPT-2: a recommendation due in the period counts there even when completed before it
    add(reads, "rpt_recommendations", "due-in", "2021-12-01", ("2021-12-02", "forwarded"),
        ("2021-12-03", "accepted"), ("2022-01-10", "completed"), due="2022-03-15")
    add(reads, "rpt_recommendations", "done-before", "2021-12-01", ("2021-12-02", "forwarded"),
        ("2021-12-03", "declined"), due="2022-01-15")
    add(reads, "rpt_recommendations", "verified-in", "2021-12-01", ("2021-12-02", "forwarded"),
        ("2021-12-03", "accepted"), ("2022-02-10", "completed"), ("2022-03-01", "verified"), due="2022-01-15")
    add(reads, "rpt_consultations", "answered-before", "2022-02-01", ("2022-02-03", "answered"))
    add(reads, "rpt_consultations", "requested-before", "2022-02-01")

    bounded = reads.items(D("2022-03-31"), since=D("2022-03-01"))
    assert [(i.kind, i.ref) for i in bounded] == [
        ("opinion", "still-open"), ("opinion", "answered-in"), ("opinion", "closed-after"),
        ("opinion", "received-in"),
        ("recommendation", "due-in"), ("recommendation", "verified-in"),
        ("consultation", "requested-before"),
    ]
    # in the order of the unbounded read (by date, then id), with the same content
    everything = {(i.kind, i.ref): i for i in reads.items(D("2022-03-31"))}
    assert bounded == [everything[(i.kind, i.ref)] for i in bounded]
    left_out = set(everything) - {(i.kind, i.ref) for i in bounded}
    assert left_out == {("opinion", "closed-before"), ("recommendation", "done-before"),
                        ("consultation", "answered-before")}
    # as of a day before the period (a report asked for ahead of time), earlier steps count
    ahead = {i.ref for i in reads.items(D("2022-03-31"), since=D("2022-02-02"))}
    assert {"closed-before", "answered-before"} <= ahead and "done-before" not in ahead


def test_a_scope_reads_what_the_whole_read_has_of_its_groups_and_districts(reads):
    # R-RPT-1's cache reads the groups that changed: the same items, in the same order, as
    # the whole read keeps of them; those with no group by district, or all of them.
    rows = [("o1", "g1", "d1"), ("o2", None, "d1"), ("o3", "g2", "d2"), ("o4", None, "d2"),
            ("o5", None, None), ("o6", "g3", "d1")]
    for n, (ref, group, district) in enumerate(rows):
        day = f"2022-0{1 + n % 3}-1{n}"
        add(reads, "rpt_opinions", ref, day, group=group, district=district)
        add(reads, "rpt_recommendations", f"r-{ref}", day, ("2022-03-0{}".format(1 + n), "forwarded"),
            group=group, district=district, due="2022-03-20")
        add(reads, "rpt_consultations", f"c-{ref}", day, ("2022-02-2{}".format(n), "answered"),
            group=group, district=district)

    def refs(scope: Scope | None, since: str | None = "2022-03-01") -> list[str]:
        return [i.ref for i in reads.items(D("2022-03-31"), since=D(since) if since else None, scope=scope)]

    whole = refs(None)
    assert len(whole) == 14  # the open opinions and recommendations, the consultations requested in March
    for scope, kept in [
        (Scope(groups=frozenset({"g1"}), districts=frozenset({"d1"})), {"o1", "o2"}),
        (Scope(groups=frozenset({"g2", "g3"})), {"o3", "o6"}),
        (Scope(districts=frozenset({"d2"})), {"o4"}),
        (Scope(groups=frozenset({"g1"}), ungrouped=True), {"o1", "o2", "o4", "o5"}),
        (Scope(), set()),
    ]:
        expected = [r for r in whole if r.removeprefix("r-").removeprefix("c-") in kept]
        assert refs(scope) == expected
        everything = [r for r in refs(None, since=None) if r.removeprefix("r-").removeprefix("c-") in kept]
        assert refs(scope, since=None) == everything
