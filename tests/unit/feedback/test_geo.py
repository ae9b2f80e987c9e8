"""Point in district boundary (R-OPN-1): pure geometry."""

import pytest

from services.feedback import geo

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]]}
WITH_HOLE = {
    "type": "Polygon",
    "coordinates": [
        [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
        [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]],
    ],
}
# A "U": the notch between the arms is outside.
CONCAVE = {"type": "Polygon", "coordinates": [[[0, 0], [9, 0], [9, 9], [6, 9], [6, 3], [3, 3], [3, 9], [0, 9], [0, 0]]]}
TWO_ISLANDS = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
        [[[5, 5], [6, 5], [6, 6], [5, 6], [5, 5]]],
    ],
}


@pytest.mark.parametrize("lon,lat,inside", [
    (5, 5, True), (0.001, 9.999, True), (10.5, 5, False), (-0.1, 5, False), (5, 10.0001, False),
])
def test_square(lon, lat, inside):
    # R-OPN-1
    assert geo.contains(SQUARE, lon, lat) is inside


def test_points_on_edges_and_vertices_are_inside():
    # R-OPN-1: a resident on a boundary street is not refused
    for lon, lat in [(0, 5), (10, 5), (5, 0), (5, 10), (0, 0), (10, 10)]:
        assert geo.contains(SQUARE, lon, lat)


def test_holes_exclude_what_they_cover():
    # R-OPN-1
    assert geo.contains(WITH_HOLE, 2, 2)
    assert not geo.contains(WITH_HOLE, 5, 5)
    assert geo.contains(WITH_HOLE, 4, 5)  # on the hole's edge


def test_concave_notch_is_outside_and_ray_through_vertex_counts_once():
    # R-OPN-1: the ray from (1.5, 3) runs along the notch's bottom edge and through vertices
    assert not geo.contains(CONCAVE, 4.5, 6)
    assert geo.contains(CONCAVE, 1.5, 6)
    assert geo.contains(CONCAVE, 7.5, 6)
    assert geo.contains(CONCAVE, 1.5, 3)
    assert geo.contains(CONCAVE, 4.5, 1.5)


def test_multipolygon_and_unclosed_ring():
    # R-OPN-1
    assert geo.contains(TWO_ISLANDS, 0.5, 0.5)
    assert geo.contains(TWO_ISLANDS, 5.5, 5.5)
    assert not geo.contains(TWO_ISLANDS, 3, 3)
    unclosed = {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 10]]]}
    assert geo.contains(unclosed, 5, 5)


def test_malformed_geometry_is_refused():
    # R-OPN-1
    with pytest.raises(geo.InvalidGeometry):
        geo.contains({"type": "Point", "coordinates": [0, 0]}, 0, 0)
    with pytest.raises(geo.InvalidGeometry):
        geo.contains({"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}, 0, 0)
