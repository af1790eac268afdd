"""Tests for model.world: the county table and the raster over Guizhou."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import shapely

from model import world as world_mod
from model.world import (
    GUIYANG_LAT,
    GUIYANG_LON,
    NEIGHBOUR_OFFSETS,
    World,
    build_world,
    load_counties,
)

PROVINCE_AREA_KM2 = 176_134.0  # sum of the geojson's area_km2 (official figure: 176,167 km²)

PREFECTURE_COUNTS = {
    "贵阳市": 10,
    "遵义市": 14,
    "黔东南州": 16,
    "黔南州": 12,
    "铜仁市": 10,
    "毕节市": 8,
    "黔西南州": 8,
    "安顺市": 6,
    "六盘水市": 4,
}
PREFECTURE_PINYIN = {
    "贵阳市": "Guiyang",
    "六盘水市": "Liupanshui",
    "遵义市": "Zunyi",
    "安顺市": "Anshun",
    "毕节市": "Bijie",
    "铜仁市": "Tongren",
    "黔西南州": "Qianxinan",
    "黔东南州": "Qiandongnan",
    "黔南州": "Qiannan",
}


@pytest.fixture(scope="module")
def counties():
    return load_counties()


@pytest.fixture(scope="module")
def w5() -> World:
    return build_world(5.0)


@pytest.fixture(scope="module")
def w30() -> World:
    return build_world(30.0)


@pytest.fixture(scope="module")
def polygons_km(w5: World) -> list[shapely.Geometry]:
    """County polygons projected to km, in the counties' row order (read independently)."""
    with open(world_mod.DATA_DIR / "guizhou_counties.geojson", encoding="utf-8") as fh:
        feats = {f["properties"]["code"]: f for f in json.load(fh)["features"]}

    def proj(coords: np.ndarray) -> np.ndarray:
        x, y = w5.project(coords[:, 1], coords[:, 0])
        return np.column_stack([x, y])

    return [
        shapely.transform(shapely.geometry.shape(feats[code]["geometry"]), proj)
        for code in w5.counties["code"]
    ]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


# ---------------------------------------------------------------------------------------------
# County table
# ---------------------------------------------------------------------------------------------
def test_counties_shape_and_columns(counties):
    assert list(counties.columns) == [
        "code",
        "name_zh",
        "name_pinyin",
        "prefecture_zh",
        "prefecture_pinyin",
        "lat",
        "lon",
        "pop_total_2020",
        "pop_urban_2020",
        "pop_rural_2020",
        "family_households_2020",
        "rural_households",
        "n_township_level",
        "area_km2",
    ]
    assert len(counties) == 88
    assert list(counties.index) == list(range(88))
    codes = list(counties["code"])
    assert codes == sorted(codes)
    assert len(set(codes)) == 88
    assert all(isinstance(c, str) and len(c) == 6 and c.isdigit() and c[:2] == "52" for c in codes)
    assert counties.notna().all().all()
    assert counties["lat"].between(24.6, 29.3).all()
    assert counties["lon"].between(103.6, 109.6).all()


def test_prefectures(counties):
    assert counties["prefecture_zh"].value_counts().to_dict() == PREFECTURE_COUNTS
    mapped = counties["prefecture_zh"].map(PREFECTURE_PINYIN)
    assert (mapped == counties["prefecture_pinyin"]).all()
    # The prefecture is the one whose code is the first 4 digits of the county code.
    assert (counties.groupby(counties["code"].str[:4])["prefecture_zh"].nunique() == 1).all()
    assert counties["code"].str[:4].nunique() == 9


def test_census_totals(counties):
    assert counties["pop_total_2020"].sum() == 38_562_148
    assert counties["pop_urban_2020"].sum() == 20_495_946
    assert counties["pop_rural_2020"].sum() == 18_066_202
    assert counties["family_households_2020"].sum() == 12_696_585
    assert (
        counties["pop_urban_2020"] + counties["pop_rural_2020"] == counties["pop_total_2020"]
    ).all()
    assert counties["n_township_level"].sum() == 1_499


def test_rural_households(counties):
    expected = np.round(
        counties["family_households_2020"] * counties["pop_rural_2020"] / counties["pop_total_2020"]
    )
    assert (counties["rural_households"] == expected).all()
    total = counties["rural_households"].sum()
    assert abs(total - 5_950_000) / 5_950_000 < 0.01
    assert (counties["rural_households"] <= counties["family_households_2020"]).all()
    # 云岩区 is entirely urban in the census.
    assert counties.loc[counties["code"] == "520103", "rural_households"].item() == 0


def test_area_and_hub(counties):
    assert counties["area_km2"].sum() == pytest.approx(PROVINCE_AREA_KM2, abs=1.0)
    assert (counties["area_km2"] > 90).all()
    nanming = counties.loc[counties["code"] == "520102"].iloc[0]
    assert nanming["name_zh"] == "南明区"
    assert (GUIYANG_LAT, GUIYANG_LON) == (nanming["lat"], nanming["lon"])


def test_load_counties_returns_copy():
    a = load_counties()
    a.loc[0, "pop_total_2020"] = -1
    assert load_counties().loc[0, "pop_total_2020"] > 0


# ---------------------------------------------------------------------------------------------
# Projection
# ---------------------------------------------------------------------------------------------
def test_projection_is_equal_area(polygons_km, counties):
    # area_km2 was computed from the full-resolution polygons in the same Albers projection;
    # the simplified polygons differ by at most 0.52 % (南明区).
    rel = np.array([p.area for p in polygons_km]) / counties["area_km2"].to_numpy() - 1
    assert np.abs(rel).max() < 0.006


def test_projection_distances(w5: World, counties):
    x, y = w5.project(26.8, 106.7)
    assert float(x) == pytest.approx(0.0, abs=1e-9) and float(y) == pytest.approx(0.0, abs=1e-9)
    lat, lon = counties["lat"].to_numpy(), counties["lon"].to_numpy()
    px, py = w5.project(lat, lon)
    assert px.shape == (88,) and py.shape == (88,)
    for i, j in [(0, 87), (10, 60), (30, 70), (20, 50)]:
        d = math.hypot(px[i] - px[j], py[i] - py[j])
        assert d == pytest.approx(haversine_km(lat[i], lon[i], lat[j], lon[j]), rel=0.005)
    # x grows east, y grows north.
    assert w5.project(26.8, 107.0)[0] > 0 and w5.project(27.0, 106.7)[1] > 0


# ---------------------------------------------------------------------------------------------
# Grid
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cell_km", [5.0, 2.0])
def test_area_matches(cell_km):
    w = build_world(cell_km)
    assert abs(w.n_cells * cell_km**2 / PROVINCE_AREA_KM2 - 1) < 0.03


def test_dtypes_and_shapes(w5: World):
    n = w5.n_cells
    assert n == 7041  # observed; area 176,025 km² = -0.06 %
    for name, dtype, shape in [
        ("cell_row", np.int32, (n,)),
        ("cell_col", np.int32, (n,)),
        ("cell_x_km", np.float64, (n,)),
        ("cell_y_km", np.float64, (n,)),
        ("cell_county", np.int16, (n,)),
        ("grid_index", np.int32, (w5.n_rows, w5.n_cols)),
        ("county_cell_start", np.int32, (88,)),
        ("county_cell_stop", np.int32, (88,)),
        ("dist_to_seat_km", np.float64, (n,)),
        ("neighbours", np.int32, (n, 8)),
    ]:
        arr = getattr(w5, name)
        assert arr.dtype == dtype, name
        assert arr.shape == shape, name
        assert not arr.flags.writeable, name
    assert w5.cell_km == 5.0
    assert {"seat_x_km", "seat_y_km", "n_cells"} <= set(w5.counties.columns)
    assert len(w5.counties) == 88


def test_grid_index_consistent(w5: World):
    ids = np.arange(w5.n_cells)
    assert (w5.grid_index[w5.cell_row, w5.cell_col] == ids).all()
    assert (w5.grid_index >= 0).sum() == w5.n_cells
    assert (w5.grid_index >= -1).all()
    assert np.allclose(w5.cell_x_km, w5.origin_x_km + (w5.cell_col + 0.5) * w5.cell_km)
    assert np.allclose(w5.cell_y_km, w5.origin_y_km + (w5.cell_row + 0.5) * w5.cell_km)
    # Row 0 is the south: the grid's northern rows hold Zunyi's north (Chishui, Xishui...).
    assert w5.cell_row.min() >= 0 and w5.cell_row.max() < w5.n_rows
    assert w5.cell_col.min() >= 0 and w5.cell_col.max() < w5.n_cols


def test_grid_covers_bounding_box(w5: World, polygons_km):
    x0, y0, x1, y1 = shapely.total_bounds(polygons_km)
    assert w5.origin_x_km == pytest.approx(x0) and w5.origin_y_km == pytest.approx(y0)
    assert w5.origin_x_km + w5.n_cols * w5.cell_km >= x1
    assert w5.origin_y_km + w5.n_rows * w5.cell_km >= y1
    assert w5.origin_x_km + (w5.n_cols - 1) * w5.cell_km < x1


@pytest.mark.parametrize("cell_km", [5.0, 30.0])
def test_cells_contiguous_per_county(cell_km):
    w = build_world(cell_km)
    start, stop = w.county_cell_start, w.county_cell_stop
    assert start[0] == 0 and stop[-1] == w.n_cells
    assert (start[1:] == stop[:-1]).all()
    assert (stop > start).all()  # every county has at least one cell
    assert (w.counties["n_cells"].to_numpy() == stop - start).all()
    for c in range(88):
        assert (w.cell_county[start[c] : stop[c]] == c).all()
        key = (
            w.cell_row[start[c] : stop[c]].astype(np.int64) * w.n_cols
            + w.cell_col[start[c] : stop[c]]
        )
        assert (np.diff(key) > 0).all()  # row, then col


def test_cell_centres_in_own_county(w5: World, polygons_km):
    # At 5 km every county holds a cell centre (云岩区, the smallest at 91.9 km², holds 5), so
    # no cell comes from the seat rule and every cell centre lies in its county's polygon.
    assert w5.counties["n_cells"].min() == 5
    for c in range(88):
        s, e = w5.county_cell_start[c], w5.county_cell_stop[c]
        assert shapely.contains_xy(polygons_km[c], w5.cell_x_km[s:e], w5.cell_y_km[s:e]).all()
    # ... and masked cells have their centre in no polygon.
    rows, cols = np.nonzero(w5.grid_index < 0)
    xs = w5.origin_x_km + (cols + 0.5) * w5.cell_km
    ys = w5.origin_y_km + (rows + 0.5) * w5.cell_km
    union = shapely.union_all(polygons_km)
    assert not shapely.contains_xy(union, xs, ys).any()


def test_seat_rule_at_coarse_resolution(w30: World, polygons_km):
    # At 30 km, 30 counties end up with a single cell. Five of those cells come from the seat rule
    # (their centre is not in the county's polygon; observed); all lie near the seat.
    n = w30.counties["n_cells"].to_numpy()
    assert n.min() == 1
    assert (n == 1).sum() == 30
    own = np.array(
        [
            shapely.contains_xy(polygons_km[w30.cell_county[i]], w30.cell_x_km[i], w30.cell_y_km[i])
            for i in range(w30.n_cells)
        ]
    )
    assert (~own).sum() == 5
    assert (n[w30.cell_county[~own]] == 1).all()
    assert w30.dist_to_seat_km[~own].max() < 1.2 * w30.cell_km
    # At 50 km the grid is too coarse for every seat to get a nearby cell, but every
    # county still gets a cell of its own and no cell is shared.
    w50 = build_world(50)
    assert (w50.counties["n_cells"] >= 1).all()
    assert len(np.unique(w50.cell_row.astype(np.int64) * w50.n_cols + w50.cell_col)) == w50.n_cells


def test_seat_cells(w5: World):
    lat, lon = w5.counties["lat"].to_numpy(), w5.counties["lon"].to_numpy()
    owner = np.array([w5.cell_county[w5.cell_of(a, b)] for a, b in zip(lat, lon, strict=True)])
    wrong = set(w5.counties.loc[owner != np.arange(88), "name_zh"])
    # 86 of 88 seats lie in a square of their own county at 5 km. The two exceptions are seats
    # close to a county border, whose 5 km square has its centre across the border:
    # 观山湖区 (seat 0.14 km from its border; square centre in 云岩区) and 岑巩县 (seat 0.42 km
    # from its border; square centre in 镇远县). At 2 km 87/88, at 1 km 88/88.
    assert wrong == {"观山湖区", "岑巩县"}


def test_neighbours(w5: World):
    nb = w5.neighbours
    assert (nb >= -1).all() and (nb < w5.n_cells).all()
    i, k = np.nonzero(nb >= 0)
    j = nb[i, k]
    assert (nb[j, 7 - k] == i).all()  # symmetric: opposite offsets are k and 7 - k
    offsets = np.array(NEIGHBOUR_OFFSETS)
    assert (w5.cell_row[j] - w5.cell_row[i] == offsets[k, 0]).all()
    assert (w5.cell_col[j] - w5.cell_col[i] == offsets[k, 1]).all()
    # Every in-province grid neighbour is listed.
    padded = np.pad(w5.grid_index, 1, constant_values=-1)
    for kk, (dr, dc) in enumerate(NEIGHBOUR_OFFSETS):
        assert (nb[:, kk] == padded[w5.cell_row + 1 + dr, w5.cell_col + 1 + dc]).all()
    # Observed at 5 km: 89.8 % of cells have all 8 neighbours in the province; one exclave
    # cell (天柱县's 11.7 km² exclave, east of the main body) has none.
    assert 0.85 < (nb >= 0).all(axis=1).mean() < 0.95


def test_dist_to_seat(w5: World):
    seat_x = w5.counties["seat_x_km"].to_numpy()[w5.cell_county]
    seat_y = w5.counties["seat_y_km"].to_numpy()[w5.cell_county]
    assert np.allclose(w5.dist_to_seat_km, np.hypot(w5.cell_x_km - seat_x, w5.cell_y_km - seat_y))
    d = w5.dist_to_seat_km
    # Observed at 5 km: mean 23.7 km, median 21.8 km, max 86 km (northern 桐梓县).
    assert 15 < d.mean() < 35
    assert 15 < np.median(d) < 30
    assert d.max() < 100
    # A disc of the mean county area (2,000 km²) has mean distance 2/3 R = 17 km from its
    # centre; seats are off-centre, so the mean must be larger.
    assert d.mean() > 2 / 3 * math.sqrt(PROVINCE_AREA_KM2 / 88 / math.pi)


def test_distance_and_cell_of(w5: World):
    hub = w5.cell_of(GUIYANG_LAT, GUIYANG_LON)
    assert w5.counties.loc[w5.cell_county[hub], "code"] == "520102"
    d = w5.distance_km(np.arange(w5.n_cells), GUIYANG_LAT, GUIYANG_LON)
    assert d.shape == (w5.n_cells,)
    assert int(np.argmin(d)) == hub
    assert d[hub] <= w5.cell_km / math.sqrt(2) + 1e-9
    # A point outside the province (Chongqing) maps to the nearest in-province cell.
    c = w5.cell_of(29.56, 106.55)
    x, y = w5.project(29.56, 106.55)
    dist = np.hypot(w5.cell_x_km - x, w5.cell_y_km - y)
    assert c == int(np.argmin(dist))
    assert isinstance(c, int)


def test_cache_and_immutability(w5: World):
    w = build_world(5.0)
    assert build_world(5) is w
    assert build_world(np.float64(5.0)) is w
    with pytest.raises(ValueError):
        w5.cell_x_km[0] = 0.0
    with pytest.raises(AttributeError):
        w5.cell_km = 1.0  # type: ignore[misc]


def test_deterministic():
    a = build_world(20.0)
    build_world.cache_clear()
    b = build_world(20.0)
    assert a is not b
    for name in ["cell_row", "cell_col", "cell_county", "grid_index", "neighbours"]:
        assert np.array_equal(getattr(a, name), getattr(b, name))


@pytest.mark.parametrize(
    "bad", [0.5, 0.0, -5.0, 50.5, 100, float("nan"), float("inf"), "5", None, True]
)
def test_bad_cell_km(bad):
    with pytest.raises(ValueError, match=r"cell_km.*\[1, 50\]"):
        build_world(bad)
