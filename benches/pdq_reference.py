#!/usr/bin/env python3
"""Time reference PDQ (Pillow + pdqhash) and `hashwall hash` on the same files.

Run by benches/pdq_reference.sh, which pins this process (and so the
hashwall processes it starts) to one core. For each file it prints the
median time per image of:

* reference, decode included: PIL.Image.open -> numpy.asarray ->
  pdqhash.compute, as python-threatexchange's PDQ hasher does;
* reference, decode excluded: pdqhash.compute on the decoded array (this
  includes the NumPy luma conversion the bindings do);
* hashwall pdq and pdq-512, from `hashwall hash --stats` (decode_ms and
  hash_ms summed over many repetitions of the file, process start excluded);

and the throughput ratio hashwall / reference. It also checks that both
produce the same `pdq` hash.
"""

import argparse
import re
import statistics
import subprocess
import time

import numpy as np
import pdqhash
from PIL import Image


def per_image(fn, seconds):
    """Median seconds per call over batches, running for about `seconds`."""
    fn()  # warm up
    samples = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(samples) < 5:
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def reference_hex(path):
    bits, quality = pdqhash.compute(np.asarray(Image.open(path)))
    value = int("".join(str(int(b)) for b in bits), 2)
    return f"{value:064x}", int(quality)


def hashwall_times(binary, path, algo, reps):
    """(decode ms, hash ms) per image, and the first row of output."""
    out = subprocess.run(
        [binary, "hash", "--algo", algo, "--stats"] + [path] * reps,
        capture_output=True,
        text=True,
        check=True,
    )
    m = re.search(r"decode_ms=([\d.]+) hash_ms=([\d.]+)", out.stderr)
    if not m:
        raise SystemExit(f"no stats from hashwall: {out.stderr}")
    return float(m.group(1)) / reps, float(m.group(2)) / reps, out.stdout.splitlines()[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hashwall", required=True)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()

    print(f"{'image':<16} {'ref incl':>9} {'ref excl':>9} {'hw pdq incl':>12} {'hw pdq excl':>12}"
          f" {'hw 512 incl':>12} {'ratio pdq incl':>15} {'ratio pdq excl':>15} {'ratio 512 incl':>15}  same hash")
    for path in args.files:
        name = path.rsplit("/", 1)[-1]
        arr = np.asarray(Image.open(path))
        ref_incl = per_image(lambda: pdqhash.compute(np.asarray(Image.open(path))), args.seconds)
        ref_excl = per_image(lambda: pdqhash.compute(arr), args.seconds)
        reps = max(3, int(args.seconds / max(ref_incl / 4, 1e-4)))
        d, h, row = hashwall_times(args.hashwall, path, "pdq", reps)
        d512, h512, _ = hashwall_times(args.hashwall, path, "pdq-512", reps)
        hw_incl, hw_excl, hw512 = (d + h) / 1e3, h / 1e3, (d512 + h512) / 1e3
        ref_hex, ref_q = reference_hex(path)
        _, _, hw_hex, hw_q = row.split("\t")
        same = "yes" if (hw_hex, int(hw_q)) == (ref_hex, ref_q) else f"NO ({hw_hex} vs {ref_hex})"
        print(f"{name:<16} {ref_incl*1e3:8.2f}ms {ref_excl*1e3:8.2f}ms {hw_incl*1e3:10.2f}ms {hw_excl*1e3:10.2f}ms"
              f" {hw512*1e3:10.2f}ms {ref_incl/hw_incl:14.1f}x {ref_excl/hw_excl:14.1f}x {ref_incl/hw512:14.1f}x  {same}")


if __name__ == "__main__":
    main()
