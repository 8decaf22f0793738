"""Time FAISS binary indexes on the data written by the hamming bench.

Usage: faiss_compare.py DIR, where DIR holds list.bin and queries.bin (32
bytes per PDQ hash) and hashwall.txt (hashwall's timings on the same data).
Radius 31 inclusive; FAISS's binary range_search keeps distances < radius,
so it is given 32. One thread, as for hashwall.
"""

import statistics
import sys
import time

import faiss
import numpy as np

RADIUS = 31
# Queries timed for FAISS (and counted for every row's matches/q column).
SUBSET = 300


def per_query(index, queries, limit):
    """Median and p99 (us) of one range_search call per query, and the mean
    number of matches."""
    times, matches = [], 0
    for q in queries[:limit]:
        t = time.perf_counter()
        lims, _, _ = index.range_search(q.reshape(1, -1), RADIUS + 1)
        times.append((time.perf_counter() - t) * 1e6)
        matches += int(lims[-1])
    times.sort()
    return statistics.median(times), times[int(0.99 * (len(times) - 1))], matches / len(times)


def main():
    d = sys.argv[1]
    faiss.omp_set_num_threads(1)
    hashes = np.fromfile(f"{d}/list.bin", dtype=np.uint8).reshape(-1, 32)
    queries = np.fromfile(f"{d}/queries.bin", dtype=np.uint8).reshape(-1, 32)
    ours = {}
    with open(f"{d}/hashwall.txt") as f:
        for line in f:
            parts = line.split()
            ours.update({parts[i]: parts[i + 1] for i in range(0, len(parts) - 1, 2)})
    n = len(hashes)
    print(f"{n} hashes ({ours.get('data')}), {len(queries)} queries, radius {RADIUS}, 1 thread")

    rows = []
    t = time.perf_counter()
    flat = faiss.IndexBinaryFlat(256)
    flat.add(hashes)
    rows.append(("faiss IndexBinaryFlat", time.perf_counter() - t, *per_query(flat, queries, SUBSET)))
    del flat

    t = time.perf_counter()
    # Hasher-Matcher-Actioner's layout: 16 tables of 16 bits; nflip = 31 // 16
    # bit flips per table makes the range search exact at radius 31.
    mh = faiss.IndexBinaryMultiHash(256, 16, 16)
    mh.nflip = RADIUS // 16
    mh.add(hashes)
    rows.append(("faiss IndexBinaryMultiHash(256,16,16)", time.perf_counter() - t, *per_query(mh, queries, SUBSET)))
    # The same tables probed without bit flips (nflip = 0): a match is found
    # only if one 16-bit substring equals the query's, so some are missed.
    # Its matches/q column, against the exact rows', is its recall.
    mh.nflip = 0
    rows.append(("faiss MultiHash(256,16,16) nflip=0 (approx.)", 0.0, *per_query(mh, queries, SUBSET)))
    del mh

    hw_median = float(ours["mih_median_us"])
    rows.append(("hashwall HammingIndex", float(ours["build_s"]), hw_median, float(ours["p99_us"]), float(ours["matches_subset"])))
    rows.append(("hashwall flat scan", 0.0, float(ours["flat_median_us"]), float("nan"), float(ours["matches_subset"])))
    print(f"hashwall per-thread CPU median: {ours['cpu_median_us']} us (the machine is shared)")
    print(f"{'':44} {'build s':>8} {'median us':>10} {'p99 us':>10} {'matches/q':>10} {'vs hashwall':>12}")
    exact = rows[0][4]
    for name, build, med, p99, m in rows:
        print(f"{name:44} {build:8.2f} {med:10.1f} {p99:10.1f} {m:10.2f} {med / hw_median:11.1f}x")
    print(f"recall of nflip=0: {rows[2][4] / exact:.3f} (its matches per query over the exact rows')")


if __name__ == "__main__":
    main()
