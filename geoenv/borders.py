"""Where rivers cross administrative borders, and which sections watch each crossing
(跨界断面): the nearest section on each side, inflow (入境) and outflow (出境) sections per unit,
and the sections whose upstream water comes partly from other units (上下游联防联控)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoenv.basin import Basin, distances_down, distances_up
from geoenv.network import Network
from geoenv.network.navigate import downstream, upstream

OUTSIDE = "区域外"
"""The unit beyond the counties layer (a river entering or leaving the study area)."""
CROSSING_COLUMNS = [
    "id", "river", "reach_id", "upstream_unit", "downstream_unit", "lon", "lat", "upstream_section",
    "upstream_km", "downstream_section", "downstream_km", "missing",
]  # fmt: skip
UNIT_COLUMNS = ["unit", "inflow_sections", "outflow_sections", "fed_from_elsewhere"]


@dataclass
class Crossings:
    """Border crossings and the per-unit summary.

    Attributes
    ----------
    crossings
        :data:`CROSSING_COLUMNS` plus ``reach`` and ``measure_m`` (where on the network).
    units
        :data:`UNIT_COLUMNS`, one row per unit with a river.
    """

    crossings: pd.DataFrame
    units: pd.DataFrame


def units_of(counties: gpd.GeoDataFrame, units: str) -> gpd.GeoDataFrame:
    """County polygons, or city polygons dissolved from them, with a ``unit`` name."""
    if units == "city":
        return counties.dissolve(by="city", as_index=False)[["city", "geometry"]].rename(columns={"city": "unit"})
    return counties[["name", "geometry"]].rename(columns={"name": "unit"})


def reach_units(basin: Basin, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """The pieces of each reach inside each unit: ``reach, unit, lo, hi`` in metres from the
    reach's upstream end, in flow order."""
    net = basin.net
    reaches = gpd.GeoDataFrame(
        {"reach": np.arange(net.n)}, geometry=net.reaches.geometry.to_numpy(), crs=net.reaches.crs
    )
    pieces = gpd.overlay(reaches, units.to_crs(net.reaches.crs), how="intersection", keep_geom_type=True)
    pieces = pieces.explode(index_parts=False).reset_index(drop=True)
    geoms = net.reaches.geometry.to_numpy()[pieces["reach"].to_numpy()]
    ends = np.c_[
        shapely.line_locate_point(geoms, shapely.get_point(pieces.geometry.to_numpy(), 0)),
        shapely.line_locate_point(geoms, shapely.get_point(pieces.geometry.to_numpy(), -1)),
    ]
    table = pd.DataFrame({"reach": pieces["reach"], "unit": pieces["unit"], "lo": ends.min(1), "hi": ends.max(1)})
    table = table[table["hi"] - table["lo"] > 1.0]  # slivers along a border are not a visit
    return table.sort_values(["reach", "lo"]).reset_index(drop=True)


def crossings(basin: Basin, counties: gpd.GeoDataFrame, *, units: str = "county", near_km: float = 5.0) -> Crossings:
    """Every place a river crosses from one unit into another (or into or out of the area)."""
    net = basin.net
    pieces = reach_units(basin, units_of(counties, units))
    found = _crossing_points(net, pieces)
    names = net.reaches["name"].to_numpy()
    found["river"] = names[found["reach"].to_numpy()]
    found["reach_id"] = net.reaches["id"].to_numpy()[found["reach"].to_numpy()]
    points = shapely.line_interpolate_point(
        net.reaches.geometry.to_numpy()[found["reach"].to_numpy()],
        net.length[found["reach"].to_numpy()] - found["measure_m"].to_numpy(),
    )
    lonlat = gpd.GeoSeries(points, crs=net.reaches.crs).to_crs(4326)
    found["lon"], found["lat"] = lonlat.x.round(6).to_numpy(), lonlat.y.round(6).to_numpy()
    found = found.sort_values(["river", "reach_id", "measure_m"], ascending=[True, True, False]).reset_index(drop=True)
    found["id"] = [f"X{i + 1:03d}" for i in range(len(found))]
    _watch(basin, found, near_km * 1000)
    per_unit = _units(basin, found, pieces)
    return Crossings(found.reindex(columns=[*CROSSING_COLUMNS, "reach", "measure_m"]), per_unit)


def _crossing_points(net: Network, pieces: pd.DataFrame) -> pd.DataFrame:
    """Changes of unit along each reach, at its ends (into/out of the area) and across links."""
    rows = []
    nxt = pieces.groupby("reach").shift(-1)
    follows = nxt["unit"].notna()
    gap = follows & (nxt["lo"] - pieces["hi"] > 1.0)  # the river leaves the area and comes back
    change = follows & ~gap & (nxt["unit"] != pieces["unit"])
    at = (pieces["hi"] + nxt["lo"]) / 2
    rows += [
        pd.DataFrame(
            {"reach": pieces["reach"], "pos": at, "upstream_unit": pieces["unit"], "downstream_unit": nxt["unit"]}
        )[change],
        pd.DataFrame(
            {"reach": pieces["reach"], "pos": pieces["hi"], "upstream_unit": pieces["unit"], "downstream_unit": OUTSIDE}
        )[gap],
        pd.DataFrame(
            {"reach": pieces["reach"], "pos": nxt["lo"], "upstream_unit": OUTSIDE, "downstream_unit": nxt["unit"]}
        )[gap],
    ]
    first = pieces.drop_duplicates("reach", keep="first")
    last = pieces.drop_duplicates("reach", keep="last")
    length = net.length
    # A reach that begins outside every unit brings water in; one that ends outside takes it out.
    enter = first[first["lo"] > 1.0]
    rows.append(
        pd.DataFrame(
            {"reach": enter["reach"], "pos": enter["lo"], "upstream_unit": OUTSIDE, "downstream_unit": enter["unit"]}
        )
    )
    leave = last[last["hi"] < length[last["reach"].to_numpy()] - 1.0]
    rows.append(
        pd.DataFrame(
            {"reach": leave["reach"], "pos": leave["hi"], "upstream_unit": leave["unit"], "downstream_unit": OUTSIDE}
        )
    )
    # Across a link: the unit where one reach ends differs from where the next begins.
    end_unit = last.set_index("reach")["unit"]
    start_unit = first.set_index("reach")["unit"]
    links = pd.DataFrame({"u": net.up, "d": net.down})
    links["a"], links["b"] = links["u"].map(end_unit), links["d"].map(start_unit)
    node = links[links["a"].notna() & links["b"].notna() & (links["a"] != links["b"])]
    node = node[(last.set_index("reach")["hi"].reindex(node["u"]).to_numpy() >= length[node["u"]] - 1.0)]
    rows.append(
        pd.DataFrame({"reach": node["d"], "pos": 0.0, "upstream_unit": node["a"], "downstream_unit": node["b"]})
    )
    found = pd.concat(rows, ignore_index=True).drop_duplicates(["reach", "pos", "upstream_unit", "downstream_unit"])
    found["reach"] = found["reach"].astype(np.int64)
    found["measure_m"] = (length[found["reach"].to_numpy()] - found["pos"].astype(float)).clip(lower=0).round(3)
    return found.drop(columns="pos")


def _watch(basin: Basin, found: pd.DataFrame, near_m: float) -> None:
    """The nearest section on each side of each crossing within ``near_m``."""
    net, sections = basin.net, basin.sections
    codes = sections["code"].astype(str).to_numpy()
    up_code: list[str] = []
    down_code: list[str] = []
    up_km: list[float] = []
    down_km: list[float] = []
    for reach, measure in zip(found["reach"], found["measure_m"], strict=True):
        members, dist = upstream(net, int(reach))
        d_up = distances_up(net, int(reach), float(measure), members, dist, sections)
        members, dist = downstream(net, int(reach))
        d_down = distances_down(net, int(reach), float(measure), members, dist, sections)
        for d, code_list, km_list in ((d_up, up_code, up_km), (d_down, down_code, down_km)):
            d = np.where(np.isfinite(d) & (d <= near_m), d, np.inf)
            best = int(np.argmin(d)) if len(d) else -1
            ok = best >= 0 and np.isfinite(d[best])
            code_list.append(codes[best] if ok else "")
            km_list.append(round(d[best] / 1000, 3) if ok else np.nan)
    found["upstream_section"], found["upstream_km"] = up_code, up_km
    found["downstream_section"], found["downstream_km"] = down_code, down_km
    missing = np.where(found["upstream_section"] == "", "upstream", "")
    missing = np.char.add(
        missing, np.where((found["upstream_section"] == "") & (found["downstream_section"] == ""), ";", "")
    )
    found["missing"] = np.char.add(missing, np.where(found["downstream_section"] == "", "downstream", ""))


def _units(basin: Basin, found: pd.DataFrame, pieces: pd.DataFrame) -> pd.DataFrame:
    """Per unit: inflow and outflow sections, and sections fed partly from other units."""
    net, sections = basin.net, basin.sections
    inflow = (
        found[found["downstream_section"] != ""]
        .groupby("downstream_unit")["downstream_section"]
        .agg(lambda s: ";".join(sorted(set(s))))
    )
    outflow = (
        found[found["upstream_section"] != ""]
        .groupby("upstream_unit")["upstream_section"]
        .agg(lambda s: ";".join(sorted(set(s))))
    )
    fed: dict[str, list[str]] = {}
    for _, section in sections[sections["reach"] >= 0].iterrows():
        reach = int(section["reach"])
        pos = net.length[reach] - float(section["measure_m"])  # from the reach's upstream end
        members, _ = upstream(net, reach)
        own = pieces[pieces["reach"] == reach]
        home = own[(own["lo"] <= pos + 1.0) & (own["hi"] >= pos - 1.0)]
        unit = home["unit"].iloc[0] if len(home) else str(section.get("county", ""))
        above = (
            pieces[pieces["reach"].isin(members[members != reach])]["unit"].tolist()
            + own[own["lo"] < pos]["unit"].tolist()
        )
        others = sorted(set(above) - {unit})
        if others:
            fed.setdefault(unit, []).append(f"{section['code']}({'、'.join(others)})")
    units = sorted(set(pieces["unit"]))
    table = pd.DataFrame({"unit": units})
    table["inflow_sections"] = table["unit"].map(inflow).astype(object).fillna("")
    table["outflow_sections"] = table["unit"].map(outflow).astype(object).fillna("")
    table["fed_from_elsewhere"] = table["unit"].map({u: ";".join(v) for u, v in fed.items()}).astype(object).fillna("")
    return table
