"""Speed and memory of the network engine on a generated network of 1,000,000 reaches.

Prints figures; not a test. The network is a comb of combs in UTM 49N: a main stem of 1,000
reaches of 1 km, a tributary of 100 reaches of 1 km at each main-stem node, and a sub-tributary
of 9 reaches of 100 m at each tributary node (1,001,000 reaches, longest path 1,109 reaches).
The same graph is loaded into networkx and igraph for the upstream (UT) queries, side by side.

Then the commands as a user runs them, each a whole process (start-up, reading and writing
included), with its time and peak memory (RSS): ``geoenv network build LINES.gpkg -o
SAVED.gpkg`` from a GeoPackage of the lines, and ``geoenv network navigate SAVED.gpkg --start
R --mode UT -o out.csv``, beside a plain networkx script on the same saved file (it reads the
``links`` table's ``id, toid`` with sqlite3, builds a DiGraph, takes ``nx.ancestors`` and
writes the ids to a CSV).

    make bench          # or: python bench/network.py [--main 100] [--folder DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geoenv.network import build_network
from geoenv.network.locate import locate
from geoenv.network.navigate import upstream

X0, Y0 = 300000.0, 3900000.0


def comb_of_combs(main: int = 1000, trib: int = 100, sub: int = 9) -> gpd.GeoDataFrame:
    """Two-vertex reaches digitized downstream, as a GeoDataFrame in EPSG:32649."""
    j = np.arange(main)
    main_lines = np.stack([np.c_[(j + 1) * 1000.0, np.zeros(main)], np.c_[j * 1000.0, np.zeros(main)]], axis=1)
    jj, kk = np.meshgrid(np.arange(1, main + 1), np.arange(trib), indexing="ij")
    jj, kk = jj.ravel() * 1000.0, kk.ravel() * 1000.0
    trib_lines = np.stack([np.c_[jj, kk + 1000], np.c_[jj, kk]], axis=1)
    j3, k3, s3 = np.meshgrid(np.arange(1, main + 1), np.arange(1, trib + 1), np.arange(sub), indexing="ij")
    x, y = j3.ravel() * 1000.0 + s3.ravel() * 100.0, k3.ravel() * 1000.0
    sub_lines = np.stack([np.c_[x + 100, y], np.c_[x, y]], axis=1)
    coords = np.concatenate([main_lines, trib_lines, sub_lines]) + np.array([X0, Y0])
    geoms = shapely.linestrings(coords)
    return gpd.GeoDataFrame({"id": np.arange(len(geoms)).astype(str)}, geometry=geoms, crs=32649)


def pulled_short(lines: np.ndarray, metres: float) -> np.ndarray:
    """Two-vertex lines with their last vertex moved ``metres`` back along the line: every
    junction becomes a gap, as in layers digitized without snapping."""
    coords = shapely.get_coordinates(lines).reshape(-1, 2, 2)
    step = coords[:, 1] - coords[:, 0]
    coords[:, 1] -= metres * step / np.hypot(*step.T)[:, None]
    return shapely.linestrings(coords)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(func, repeat: int = 1):
    best, result = np.inf, None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - started)
    return best, result


NETWORKX_SCRIPT = """\
import csv, sqlite3, sys
import networkx as nx

saved, start, out = sys.argv[1:]
with sqlite3.connect(saved) as db:
    links = db.execute("SELECT id, toid FROM links").fetchall()
graph = nx.DiGraph()
graph.add_nodes_from(i for i, _ in links)
graph.add_edges_from((i, t) for i, t in links if t)
found = [start, *sorted(nx.ancestors(graph, start))]
with open(out, "w", newline="", encoding="utf-8") as f:
    csv.writer(f).writerows([["id"], *([i] for i in found)])
"""


#: Starts a command and prints its seconds, peak RSS (KB) and exit status. The bench holds
#: a million lines in memory, and Linux keeps a process's peak RSS across fork and exec: a
#: command started from the bench would report the bench's peak as its own.
LAUNCHER = """\
import os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(time.perf_counter() - started, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run(*command: str) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of ``command`` as a whole process; fails loudly on an error."""
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *command], capture_output=True, text=True, check=True)
    seconds, kb, status = done.stdout.split()
    if int(status):
        raise SystemExit(f"{' '.join(command)} failed ({status}):\n{done.stderr}")
    return float(seconds), int(kb) / 1024


def whole_processes(lines: gpd.GeoDataFrame, outlet: np.ndarray, folder: Path) -> None:
    """The commands a user runs, as whole processes, beside a plain networkx script."""
    geoenv = [str(Path(sys.executable).with_name("geoenv"))]
    lines_file, saved = folder / "lines.gpkg", folder / "saved.gpkg"
    seconds, _ = timed(lambda: lines.to_crs(4326).to_file(lines_file, driver="GPKG", engine="pyogrio"))
    arrow = "with" if importlib.util.find_spec("pyarrow") else "without"
    print(f"\nwhole processes ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, pyogrio {arrow} Arrow); "
          f"the lines written to {lines_file} in {seconds:.1f} s")  # fmt: skip
    build = [*geoenv, "network", "build", str(lines_file), "--tolerance-m", "10", "--overwrite",
             "--outlet", f"{outlet[0, 0]:.7f},{outlet[0, 1]:.7f}", "-o", str(saved)]  # fmt: skip
    seconds, mb = run(*build)
    print(f"geoenv network build LINES.gpkg -o SAVED.gpkg: {seconds:6.1f} s   peak RSS {mb:,.0f} MB")
    script = folder / "networkx_ut.py"
    script.write_text(NETWORKX_SCRIPT, encoding="utf-8")
    print(f"{'navigate UT from':<26}{'rows':>10}{'geoenv':>10}{'networkx':>11}{'nx/geoenv':>11}")
    main_stem = len(lines) // 1001
    for reach in ("0", str(main_stem // 2), str(main_stem - 1)):
        out = folder / f"ut_{reach}.csv"
        ours, ours_mb = run(*geoenv, "network", "navigate", str(saved), "--start", reach, "--mode", "UT",
                            "-o", str(out), "--overwrite")  # fmt: skip
        theirs, _ = run(sys.executable, str(script), str(saved), reach, str(folder / f"nx_{reach}.csv"))
        rows = sum(1 for _ in out.open(encoding="utf-8-sig")) - 1
        expected = sum(1 for _ in (folder / f"nx_{reach}.csv").open(encoding="utf-8")) - 1
        assert rows == expected, (rows, expected)
        print(f"{'reach ' + reach:<26}{rows:>10,}{ours:>9.2f}s{theirs:>10.2f}s{theirs / ours:>11.1f}"
              f"   (geoenv peak RSS {ours_mb:,.0f} MB)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--main", type=int, default=1000, help="main-stem reaches (1,000 → 1,001,000 reaches)")
    parser.add_argument("--folder", type=Path, help="where the whole-process files go [a temporary folder]")
    parser.add_argument("--only-processes", action="store_true", help="only the whole-process figures")
    args = parser.parse_args()
    seconds, lines = timed(lambda: comb_of_combs(args.main))
    print(f"generated {len(lines):,} reaches in {seconds:.1f} s; peak memory so far {peak_mb():,.0f} MB")
    outlet = gpd.GeoSeries(gpd.points_from_xy([X0], [Y0]), crs=32649).to_crs(4326)
    outlet = np.c_[outlet.x, outlet.y]
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        whole_processes(lines, outlet, Path(folder))
    if args.only_processes:
        return

    seconds, net = timed(lambda: build_network(lines, flow="outlet", outlets=outlet, tolerance_m=10))
    print(f"build, --flow outlet (direction from geometry): {seconds:6.2f} s   peak memory {peak_mb():,.0f} MB")
    seconds, _ = timed(lambda: build_network(lines, flow="digitized", tolerance_m=10))
    print(f"build, --flow digitized:                        {seconds:6.2f} s   peak memory {peak_mb():,.0f} MB")
    gapped = lines.set_geometry(pulled_short(lines.geometry.to_numpy(), 5.0), crs=32649)
    seconds, gapped_net = timed(lambda: build_network(gapped, flow="outlet", outlets=outlet, tolerance_m=10))
    print(
        f"build, every downstream end 5 m short (tolerance 10 m): {seconds:6.2f} s   "
        f"{gapped_net.report['networks']} network(s), {len(gapped_net.up):,} links   peak memory {peak_mb():,.0f} MB"
    )
    start = int(net.index_of(["0"])[0])  # the outlet reach

    seconds, (members, _) = timed(lambda: upstream(net, start), repeat=5)
    print(f"UT from the outlet (whole basin, {len(members):,} reaches): {seconds * 1000:.1f} ms")
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, net.n, 1_000_000), rng.integers(0, net.n, 1_000_000)
    seconds, answer = timed(lambda: net.is_upstream(a, b), repeat=3)
    print(f"1,000,000 is-upstream tests (nested intervals): {seconds:.3f} s ({answer.sum():,} true)")
    picked = lines.geometry.to_numpy()[rng.integers(0, len(lines), 100_000)]
    xy = shapely.get_coordinates(shapely.line_interpolate_point(picked, 0.5, normalized=True))
    points = gpd.GeoSeries(shapely.points(xy + rng.normal(0, 20, xy.shape)), crs=32649)
    seconds, located = timed(lambda: locate(net, points, radius_m=200))
    print(f"index 100,000 points to reaches: {seconds:.2f} s ({(located['reach'] >= 0).sum():,} placed)")

    import igraph
    import networkx as nx

    edges = np.c_[net.up, net.down]
    seconds, graph = timed(lambda: nx.DiGraph(edges.tolist()))
    print(f"\nnetworkx DiGraph from the links: {seconds:.1f} s")
    seconds_ig, ig = timed(lambda: igraph.Graph(n=net.n, edges=edges, directed=True))
    print(f"igraph Graph from the links:     {seconds_ig:.1f} s")
    mains = net.index_of([str(i) for i in (100, 500, 900)])
    print(f"{'UT from':<28}{'geoenv':>10}{'networkx':>12}{'igraph':>10}{'nx/geoenv':>11}{'ig/geoenv':>11}")
    for label, reach in [("the outlet", start), *[(f"main-stem reach {r}", r) for r in mains]]:
        ours, (found, _) = timed(lambda reach=reach: upstream(net, reach), repeat=3)
        theirs, ancestors = timed(lambda reach=reach: nx.ancestors(graph, reach))
        ig_time, sub = timed(lambda reach=reach: ig.subcomponent(int(reach), mode="in"))
        assert len(ancestors) + 1 == len(found) == len(sub)
        print(f"{label + f' ({len(found):,})':<28}{ours * 1000:>8.1f}ms{theirs * 1000:>10.0f}ms"
              f"{ig_time * 1000:>8.0f}ms{theirs / ours:>11.0f}{ig_time / ours:>11.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
