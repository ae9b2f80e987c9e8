"""A bus that skips events (issue 16: RabbitMQ 3.10.8 lost confirmed persistent messages of a
durable classic queue on kill -9): a read model's consumer that is delivered a position more than
one past what it applied takes the events between from the source's history first, so it ends
as a rebuild from the history would (R-RPT-1: every event counted exactly once, none missed)."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from services.backbone.bus import InProcessBus
from services.backbone.envelope import MalformedEnvelope
from services.backbone.persistence import SQLiteDatabase, create_tables
from services.backbone.relay import OutboxRelay
from services.backbone.settings import Settings
from services.backbone.tracking import Projection, catch_up_skipped, handles
from services.bootstrap import Runtime
from tests.conftest import Api
from tests.organisation import form_group
from tests.unit.visits.feed import envelope


def _gaps(consumer: str, projection: str, source: str) -> float:
    return REGISTRY.get_sample_value(
        "rps_projection_gaps_total", {"consumer": consumer, "projection": projection, "source": source}) or 0.0


def _duplicates(consumer: str, projection: str, source: str) -> float:
    return REGISTRY.get_sample_value(
        "rps_events_duplicate_total", {"consumer": consumer, "projection": projection, "source": source}) or 0.0


# -- one read model, its history given ------------------------------------------------------------


class Seen(Projection):
    name = "test.gaps_seen"
    consumer = "test"
    sources = ("visits",)
    tables = ("CREATE TABLE IF NOT EXISTS gaps_seen (n INTEGER PRIMARY KEY, position BIGINT NOT NULL)",)
    table_names = ("gaps_seen",)

    @handles("VisitLogged")
    def logged(self, cur, env):
        # The order applied, as the rows' own numbering: an event applied out of order shows.
        cur.execute("INSERT INTO gaps_seen (n, position) VALUES ((SELECT COUNT(*) + 1 FROM gaps_seen), %s)",
                    (env["position"],))


def _event(position: int) -> dict:
    return envelope("VisitLogged", f"v{position}", {"group": "g"}, sequence=1, position=position, source="visits")


@pytest.fixture
def seen(tmp_path):
    db = SQLiteDatabase(tmp_path / "seen.sqlite")
    create_tables(db, ())
    projection = Seen(db)
    projection.create_tables()
    return projection


def _deliver(projection: Projection, envelopes: list[dict], history) -> None:
    """As Runtime.run_handlers does for a run the bus delivered."""
    remaining = catch_up_skipped([projection], "visits", envelopes, lambda: history)
    if remaining[projection.name]:
        projection.deliver_run(remaining[projection.name])


def _applied(projection: Projection) -> list[int]:
    return [r["position"] for r in projection.db.query("SELECT position FROM gaps_seen ORDER BY n")]


def test_a_skipped_stretch_is_applied_from_the_history_first_in_order(seen):
    # R-RPT-1: the bus delivers 1, 2, 5 (3 and 4 lost): 3 and 4 come from the history, before 5
    stored = [_event(p) for p in range(1, 7)]
    reads = []

    def history(after, limit):
        reads.append(after)
        return [e for e in stored if e["position"] > after][:limit]

    before = _gaps("test", seen.name, "visits")
    _deliver(seen, stored[0:2], history)
    assert reads == [], "a run that follows on does not read the history"
    _deliver(seen, [stored[4]], history)
    assert reads == [2], "read from the tracked position"
    # 6 was stored meanwhile: the history gives it too, in order; its own delivery later is a duplicate
    assert _applied(seen) == [1, 2, 3, 4, 5, 6]
    assert _gaps("test", seen.name, "visits") == before + 1
    duplicates = _duplicates("test", seen.name, "visits")
    _deliver(seen, [stored[5]], history)
    _deliver(seen, [stored[1], stored[3]], history)  # redelivered older ones: skipped as ever, no history read
    assert reads == [2]
    assert _applied(seen) == [1, 2, 3, 4, 5, 6]
    assert _duplicates("test", seen.name, "visits") == duplicates + 3
    assert seen.last_position("visits") == 6


def test_a_skip_inside_one_run_is_caught_as_well(seen):
    # R-RPT-1: a run 1, 2, 5 in one delivery (the prefetch held them together)
    stored = [_event(p) for p in range(1, 6)]
    _deliver(seen, [stored[0], stored[1], stored[4]], lambda after, limit: [e for e in stored if e["position"] > after][:limit])
    assert _applied(seen) == [1, 2, 3, 4, 5]


def test_an_unreadable_history_keeps_the_run_for_later_and_applies_nothing_out_of_order(seen):
    # R-RPT-1: the feed unreachable: the run raises (the consumer does not acknowledge it), nothing skipped is lost
    stored = [_event(p) for p in range(1, 6)]
    down = True

    def history(after, limit):
        if down:
            raise ConnectionRefusedError("visits' feed refused the connection")
        return [e for e in stored if e["position"] > after][:limit]

    before = _gaps("test", seen.name, "visits")
    _deliver(seen, stored[0:2], history)
    with pytest.raises(ConnectionRefusedError):
        _deliver(seen, [stored[4]], history)
    assert _applied(seen) == [1, 2]
    assert _gaps("test", seen.name, "visits") == before, "counted once it is closed, not at each try"
    down = False
    _deliver(seen, [stored[4]], history)  # the broker gives the run again
    assert _applied(seen) == [1, 2, 3, 4, 5]
    assert _gaps("test", seen.name, "visits") == before + 1


def test_a_history_of_another_source_is_refused_and_the_run_kept(seen):
    # R-RPT-1: RPS_EVENTS_URL_VISITS naming contracts' feed applies nothing of it under visits' positions
    stored = [_event(p) for p in range(1, 6)]
    elsewhere = [envelope("GroupFormed", f"group:{p}", {}, sequence=1, position=p, source="contracts") for p in range(1, 6)]
    _deliver(seen, stored[0:2], lambda after, limit: [])
    with pytest.raises(MalformedEnvelope):
        _deliver(seen, [stored[4]], lambda after, limit: [e for e in elsewhere if e["position"] > after][:limit])
    assert _applied(seen) == [1, 2] and seen.last_position("contracts") == 0


def test_positions_no_event_holds_are_not_counted_as_skipped(seen):
    # A PostgreSQL sequence skips the ids of rolled-back inserts: nothing stored at 3 and 4, nothing lost
    stored = [_event(p) for p in (1, 2, 5)]
    before = _gaps("test", seen.name, "visits")
    _deliver(seen, stored[0:2], lambda after, limit: [])
    _deliver(seen, [stored[2]], lambda after, limit: [e for e in stored if e["position"] > after][:limit])
    assert _applied(seen) == [1, 2, 5]
    assert _gaps("test", seen.name, "visits") == before


def test_a_parked_event_is_not_waited_for_again(seen, monkeypatch):
    # A parked event counts as handled (dead letters are replayed by the operator), not as skipped
    stored = [_event(p) for p in range(1, 5)]
    reads = []

    def history(after, limit):
        reads.append(after)
        return [e for e in stored if e["position"] > after][:limit]

    _deliver(seen, stored[0:2], history)
    seen.park(stored[2], ValueError("no such group"), 5)
    _deliver(seen, [stored[3]], history)
    assert reads == [] and _applied(seen) == [1, 2, 4]


# -- the embedded system: its relay, the in-process bus, its read models ----------------------------


class LossyBus(InProcessBus):
    """The in-process bus, except that it loses the given positions of one source."""

    def __init__(self, source: str, lost: set[int]):
        super().__init__()
        self.source, self.lost = source, lost
        self.delivered: list[int] = []

    def publish(self, service, envelopes):
        kept = [e for e in envelopes if service != self.source or e["position"] not in self.lost]
        if service == self.source:
            self.delivered += [e["position"] for e in kept]
        super().publish(service, kept)


def _rows(projection: Projection) -> dict[str, list]:
    """Every row of the read model's tables (those of its names that exist: some are an older release's)."""
    made = {r["name"] for r in projection.db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {table: sorted(repr(sorted(r.items())) for r in projection.db.query(f"SELECT * FROM {table}"))
            for table in projection.table_names if table in made}


def test_the_read_models_end_as_a_rebuild_from_the_history_when_the_bus_lost_events(tmp_path):
    # R-RPT-1 (each visit counted exactly once), R-RPT-5 (rebuilt read models equal the live ones):
    # visits' relay publishes 1..5 and the consumers are delivered 1, 2, 5
    runtime = Runtime.embedded(Settings(data_dir=tmp_path / "var", relay_idle_seconds=0.05))
    try:
        api = Api(runtime)
        readers = [p for ps in runtime.projections.values() for p in ps if "visits" in p.sources]
        gaps = {p.name: _gaps(p.consumer, p.name, "visits") for p in readers}
        bus = LossyBus("visits", lost={3, 4})
        for consumer in runtime.projections:
            for source, deliver in runtime.delivery_handlers(consumer).items():
                bus.subscribe(source, deliver)

        def relay(service: str) -> None:
            relay = OutboxRelay(runtime.app(service), runtime.db(service), bus, batch=2)
            while relay.relay_once():
                pass

        codes = form_group(lambda method, path, body: (lambda r: (r.status_code, r.json_body))(api.post(path, body)), "gaps")
        relay("contracts")  # visits learns of the group
        for day in range(1, 6):
            body = {"group": codes["group"], "date": f"2022-04-{day:02d}", "days": 1, "planners": [codes["tier1"]],
                    "activities": ["survey"]}
            assert api.post("/api/v1/visits", body).status_code == 201
        assert runtime.app("visits").last_position() == 5
        relay("visits")
        assert bus.delivered == [1, 2, 5]
        assert {p.name for p in readers} >= {"reporting.service_time", "reporting.audit", "visits.ledger"}
        for projection in readers:
            assert projection.last_position("visits") == 5, projection.name
            assert _gaps(projection.consumer, projection.name, "visits") == gaps[projection.name] + 1, projection.name
        report = api.get("/api/v1/reports/monthly/2022-04").json_body
        row = next(g for g in report["groups"] if g["group"] == codes["group"])
        assert row["visits"] == 5 and row["days_in_month"] == 5.0
        live = {p.name: _rows(p) for p in readers}
        for projection in readers:
            runtime.rebuild(projection.name)
        assert {p.name: _rows(p) for p in readers} == live
    finally:
        runtime.close()


def test_a_run_that_follows_on_costs_no_query_and_a_gap_after_a_rebuild_is_still_caught(seen, monkeypatch):
    # R-RPT-1: the check must not cost each delivery a query of the tracking tables (issue 18's
    # command path): a run that follows on from what this process committed asks nothing; after a
    # reset the floor is gone, so a skip is still found against the store.
    stored = [_event(p) for p in range(1, 9)]

    def history(after, limit):
        return [e for e in stored if e["position"] > after][:limit]

    _deliver(seen, stored[:2], history)
    asked = []
    real = Projection.last_position
    monkeypatch.setattr(Projection, "last_position", lambda self, source: asked.append(source) or real(self, source))
    _deliver(seen, stored[2:3], history)
    _deliver(seen, stored[3:4], history)
    assert asked == [] and _applied(seen) == [1, 2, 3, 4]

    seen.reset()  # a rebuild starts: the store's positions are back to 0
    seen.finish_rebuild()
    _deliver(seen, stored[5:6], history)  # 6 with nothing applied: the history from 1 on comes first
    assert asked and _applied(seen) == [1, 2, 3, 4, 5, 6, 7, 8]
