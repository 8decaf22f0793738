#!/usr/bin/env python3
"""Time `hashwall.hash_images` against the reference (Pillow + `pdqhash`)
on the same JPEG files, in one process.

Run by benches/python_hash.sh. For each image size it prints the median
time per image (over rounds of the whole set; the three take turns within
each round) of:

* reference: PIL.Image.open(BytesIO) -> numpy.asarray -> pdqhash.compute,
  as python-threatexchange's PDQ hasher does (decode included), one core;
* hashwall.hash_images(files, workers=1): decode + PDQ in Rust, one core;
* hashwall.hash_images(files): every core;

and the ratios (medians of the per-round ratios). It checks that both
sides give the same hashes first.
"""

import argparse
import io
import os
import pathlib
import statistics
import time

import numpy as np
import pdqhash
from PIL import Image

import hashwall


def reference(data: bytes):
    bits, quality = pdqhash.compute(np.asarray(Image.open(io.BytesIO(data))))
    value = int("".join(str(int(b)) for b in bits), 2)
    return f"{value:064x}", int(quality)


def make_images(source: pathlib.Path, out: pathlib.Path, size, count):
    """`count` JPEGs of `size`, crops and shifts of the source photo."""
    out.mkdir(parents=True, exist_ok=True)
    files = []
    with Image.open(source) as src:
        src = src.convert("RGB")
        for i in range(count):
            p = out / f"{size[0]}x{size[1]}-{i}.jpg"
            if not p.exists():
                w, h = src.size
                box = (i * 7 % 40, i * 5 % 40, w - (i * 3 % 40), h - (i * 11 % 40))
                src.crop(box).resize(size, Image.BICUBIC).save(p, quality=90)
            files.append(p.read_bytes())
    return files


def interleaved(fns, files, rounds):
    """Per function, the median time per image over `rounds` rounds of the
    whole set, and per function the median over rounds of (time of the
    first function / its time). The functions take turns within each round,
    so that a change in the machine's load falls on all of them alike."""
    for fn in fns:
        fn(files[:2])  # warm up
    samples = [[] for _ in fns]
    for _ in range(rounds):
        for fn, s in zip(fns, samples):
            t0 = time.perf_counter()
            fn(files)
            s.append((time.perf_counter() - t0) / len(files))
    times = [statistics.median(s) for s in samples]
    ratios = [statistics.median(a / b for a, b in zip(samples[0], s)) for s in samples]
    return times, ratios


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source", type=pathlib.Path, help="a photo to derive the images from")
    ap.add_argument("--out", type=pathlib.Path, default=pathlib.Path("target/python-bench-images"))
    ap.add_argument("--count", type=int, default=24)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    print(f"hashwall.hash_images vs Pillow + pdqhash; {args.count} JPEGs per size, "
          f"median of {args.rounds} rounds, {cores} cores; load average {os.getloadavg()[0]:.1f}")
    print(f"{'size':>10} {'reference ms':>13} {'hashwall 1 core ms':>19} {'all cores ms':>13} "
          f"{'per core ×':>11} {'all cores ×':>12}")
    for size in [(640, 480), (1600, 1000), (4000, 3000)]:
        files = make_images(args.source, args.out, size, args.count)
        ours = hashwall.hash_images(files, workers=1)
        for data, hashes in zip(files, ours):
            assert (hashes[0].hex, hashes[0].quality) == reference(data), "hashes differ"
        (ref, one, allc), (_, per_core, all_cores) = interleaved(
            [
                lambda fs: [reference(f) for f in fs],
                lambda fs: hashwall.hash_images(fs, workers=1),
                lambda fs: hashwall.hash_images(fs),
            ],
            files,
            args.rounds,
        )
        print(f"{size[0]}x{size[1]:<5} {ref * 1e3:13.2f} {one * 1e3:19.2f} {allc * 1e3:13.2f} "
              f"{per_core:11.2f} {all_cores:12.2f}")


if __name__ == "__main__":
    main()
