"""Batches on every core with the GIL released: results in input order, an
error object in place of a bad item, and proof that the GIL is released
(another Python thread runs during a call; threads overlap on CPU)."""

import io
import os
import threading
import time

import numpy as np
from PIL import Image

import hashwall


def image(seed: int, size=(256, 192)) -> bytes:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(size[1] // 16, size[0] // 16, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(small).resize(size, Image.BICUBIC).save(out, format="JPEG", quality=90)
    return out.getvalue()


def test_hash_images_in_order_with_errors_in_place():
    items = [image(i) for i in range(40)]
    items[5] = b"garbage"
    items[17] = items[17][:100]
    items.insert(30, 42)  # not an image at all
    results = hashwall.hash_images(items, algorithms=("pdq", "md5"), workers=3)
    assert len(results) == len(items)
    for i, (item, res) in enumerate(zip(items, results)):
        if i == 5:
            assert isinstance(res, hashwall.ImageError) and res.reason == "unsupported"
        elif i == 17:
            assert isinstance(res, hashwall.ImageError)
        elif i == 30:
            assert isinstance(res, TypeError)
        else:
            # Each result is that item's own hashes, in input order.
            assert res == hashwall.hash_image(item, algorithms=("pdq", "md5")), i
    assert hashwall.hash_images([]) == []
    # Dihedral: 8 rows per image.
    [rows] = hashwall.hash_images([items[0]], dihedral=True)
    assert len(rows) == 8


def test_check_batches_in_order():
    [h] = hashwall.hash_image(image(3))
    snap = hashwall.Snapshot.from_text(
        f"# id: l\n# issuer: I\ndomain bad.example R\npdq {h.hex} P\n", allow_unsigned=True
    )
    urls = [f"http://{'bad' if i % 3 == 0 else 'ok'}.example/{i}" for i in range(500)]
    urls[7] = "ftp://x/"
    urls[8] = None
    verdicts = snap.check_urls(urls)
    for i, v in enumerate(verdicts):
        if i == 7:
            assert isinstance(v, hashwall.UrlError) and v.reason == "unsupported-scheme"
        elif i == 8:
            assert isinstance(v, TypeError)
        else:
            assert v.action == ("block" if i % 3 == 0 else "no-match"), i
    imgs = [image(i) for i in range(10)]
    imgs[4] = b""
    vs = snap.check_images(imgs, workers=2)
    assert [getattr(v, "action", None) for v in vs] == [
        None if i == 4 else ("block" if i == 3 else "no-match") for i in range(10)
    ]
    assert isinstance(vs[4], hashwall.ImageError) and vs[4].reason == "empty"


def big_image() -> bytes:
    return image(11, size=(2400, 1800))


def test_gil_released_during_a_call():
    """A Python thread keeps counting while hash_image runs. If the call held
    the GIL, the counter could advance for at most one switch interval
    (5 ms) of the call's duration; released, it advances for most of it."""
    data = big_image()
    hashwall.hash_image(data)  # warm up
    count = [0]
    done = threading.Event()

    def spin():
        while not done.is_set():
            count[0] += 1

    t = threading.Thread(target=spin)
    t.start()
    try:
        time.sleep(0.05)
        t0 = time.perf_counter()
        c0 = count[0]
        time.sleep(0.2)  # the spinner's rate with the GIL free
        rate = (count[0] - c0) / (time.perf_counter() - t0)
        spins, seconds = 0, 0.0
        for _ in range(5):
            c0, t0 = count[0], time.perf_counter()
            hashwall.hash_image(data, algorithms=("pdq", "phash", "dhash"))
            seconds += time.perf_counter() - t0
            spins += count[0] - c0
    finally:
        done.set()
        t.join()
    switch = 5 * 0.005 * rate  # what 5 switch intervals would allow
    print(f"spinner: {rate:.0f}/s, {spins} spins during {seconds:.3f} s of calls (held GIL: <= {switch:.0f})")
    assert seconds > 0.1, "the image should take a while to hash"
    assert spins > 5 * switch, "the spinner did not run during hash_image: GIL held?"


def overlap(a, b):
    """Total time during which an interval of `a` and one of `b` overlap."""
    return sum(max(0.0, min(e1, e2) - max(s1, s2)) for s1, e1 in a for s2, e2 in b)


def test_threads_run_hash_image_concurrently():
    """Two Python threads calling hash_image: their calls overlap in time.
    Holding the GIL for a call would serialise them (overlap near 0, only
    the bytecode around each call); released, each thread's calls run
    while the other's do, for most of their duration. This holds however
    many cores the (shared, noisy) machine gives us; the speed-up, which
    depends on that, is printed."""
    items = [image(i, size=(800, 600)) for i in range(6)]
    hashwall.hash_image(items[0])
    intervals = [[], []]

    def work(k):
        for x in items * 2:
            t0 = time.perf_counter()
            hashwall.hash_image(x)
            intervals[k].append((t0, time.perf_counter()))

    t0 = time.perf_counter()
    work(0)
    work(1)
    serial = time.perf_counter() - t0
    intervals = [[], []]
    t0 = time.perf_counter()
    threads = [threading.Thread(target=work, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    parallel = time.perf_counter() - t0
    busy = min(sum(e - s for s, e in iv) for iv in intervals)
    frac = overlap(*intervals) / busy
    print(f"calls overlap for {frac:.0%} of their time; 2 threads {serial / parallel:.2f}× one "
          f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})")
    assert frac > 0.5, "hash_image calls in two threads did not overlap: GIL held?"
