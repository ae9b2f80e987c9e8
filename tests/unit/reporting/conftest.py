"""Fixtures of the reporting tests: worlds built over HTTP with hand-known figures."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.reporting.world import World


@pytest.fixture
def world(api, unique) -> World:
    return World(api=api, unique=unique)


def row(report: dict[str, Any], group: str) -> dict[str, Any]:
    return next(r for r in report["groups"] if r["group"] == group)


def rules(notes: list[dict[str, Any]]) -> list[str]:
    return sorted(n["rule"] for n in notes)


@pytest.fixture
def february(world: World) -> dict[str, Any]:
    """Three groups around February 2022 (contract from 2021-06-01, service year from June 1st).

    g1 serves d1 all year; g2 starts 2022-02-18 (11 of February's 28 days: not a duty
    month); g3 starts 2022-02-15 (14 × 2 = 28: a duty month). Every visit is logged
    years after its date, so every visit is late (R-VIS-7).
    """
    w = world
    gov = w.government("gov", "东昌府区人民政府")
    d1, d2, d3 = w.district("d1", gov), w.district("d2", gov), w.district("d3", gov)
    w.sign()
    g1, g2, g3 = w.group("g1", d1), w.group("g2", d2, "2022-02-18"), w.group("g3", d3, "2022-02-15")
    v = {
        "a": w.visit(g1, "2021-06-10", 2.0),
        "b": w.visit(g1, "2021-09-05", 3.0),
        "c": w.visit(g1, "2022-01-31", 1.5),  # 01-31: 1.0, 02-01: 0.5
        "d": w.visit(g1, "2022-02-10", 0.5),  # disputed
        "e": w.visit(g1, "2022-02-10", 1.0),  # 02-10 caps at 1.0
        "f": w.visit(g1, "2022-02-28", 1.0, leader_met=True),  # the last day of February; confirmed
        "g": w.visit(g1, "2022-02-15", 2.0),  # voided
        "h": w.visit(g1, "2022-03-01", 1.0),
    }
    w.dispute(v["d"])
    w.confirm(v["f"])
    w.void(v["g"])
    o1 = w.opinion(d1, "2022-02-03")  # acknowledge by 02-08, answer by 03-05
    w.acknowledge(o1, "2022-02-05")
    w.answer(o1, "2022-02-20")
    o2 = w.opinion(d1, "2022-01-10")  # answer due 2022-02-09, never answered
    w.acknowledge(o2, "2022-01-12")
    o3 = w.opinion(d1, "2022-02-25")  # acknowledge by 03-02, answer by 03-27; never acknowledged
    r1 = w.recommendation(g1, "2022-01-20", "修缮古楼周边步道")
    w.letter(gov, "L1", "2022-02-01", "2022-02-20", [r1])
    w.step(r1, "accept", "2022-02-05")
    r2 = w.recommendation(g1, "2022-02-07", "增设口袋公园")
    c1 = w.consultation(g1, "2022-02-08", "2022-02-18")
    w.consultation_answer(c1, "2022-02-25")  # answered late
    c2 = w.consultation(g1, "2022-02-20", "2022-02-25")  # never answered
    w.api.settle()
    return {"gov": gov, "d1": d1, "g1": g1, "g2": g2, "g3": g3, "visits": v,
            "o1": o1, "o2": o2, "o3": o3, "r1": r1, "r2": r2, "c1": c1, "c2": c2}
