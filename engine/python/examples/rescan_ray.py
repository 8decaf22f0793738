"""Rescan a directory of images against hashwall lists with Ray Data.

    python rescan_ray.py IMAGES_DIR LIST [LIST ...] --trust TRUST_STORE [--out results.csv]

Every file under IMAGES_DIR is read as bytes (``ray.data.read_binary_files``).
A ``map_batches`` stage on a pool of actors hashes each batch with
``hashwall.hash_images`` (PDQ with its rotations and mirror images, and MD5,
decoded in Rust with the GIL released, on the actor's cores; a bad file gives
an error in its row, not a failed job), then matches each file's hashes
against a ``hashwall.Snapshot`` broadcast to the workers with ``ray.put``: a
snapshot pickles as its signed lists and trust store, and each worker
verifies the signatures again when it unpickles it. Output: one row per
file with the action, the matching list, its reference and the distance.

Start a cluster first (``ray start --head``) or let ``ray.init()`` start a local
one on this machine.
"""

import argparse
import csv
import sys

import hashwall
import numpy as np
import ray

COLUMNS = ["path", "pdq", "quality", "md5", "action", "list", "reference", "distance", "error"]


class Rescan:
    """The map_batches stage, one per actor: the broadcast snapshot is
    fetched (and its lists verified) once per actor, not per batch."""

    def __init__(self, snapshot_refs, workers=1):
        # Wrapped in a list so that Ray hands us the reference, not a copy.
        self.snapshot = ray.get(snapshot_refs[0])
        self.workers = workers

    def __call__(self, batch):
        # PDQ with its 8 rotations and mirror images (matched as one query)
        # and MD5, for the whole batch on `workers` threads, GIL released.
        results = hashwall.hash_images(
            list(batch["bytes"]), algorithms=("pdq", "md5"), dihedral=True, workers=self.workers
        )
        out = {c: [] for c in COLUMNS}
        for path, res in zip(batch["path"], results):
            row = dict.fromkeys(COLUMNS, "")
            row.update(path=path, quality=-1, distance=-1, action="no-match")
            if isinstance(res, Exception):
                row.update(action="error", error=f"{type(res).__name__}: {res}")
            else:
                pdq = next(h for h in res if h.algorithm == "pdq" and h.variant == "orig")
                md5 = next(h for h in res if h.algorithm == "md5")
                row.update(pdq=pdq.hex, quality=pdq.quality, md5=md5.hex)
                v = self.snapshot.check_hashes(res)
                if v.matches:
                    m = v.matches[0]
                    row.update(action=v.action, list=m.list, reference=m.reference or "",
                               distance=-1 if m.distance is None else m.distance)
            for c in COLUMNS:
                out[c].append(row[c])
        return {c: np.array(v, dtype=np.int64 if c in ("quality", "distance") else object)
                for c, v in out.items()}


def rescan(directory, snapshot, cpus_per_task=1, batch_size=64, actors=2):
    """Rows (dicts with COLUMNS) for every file under `directory`, by path."""
    ds = ray.data.read_binary_files(str(directory), include_paths=True)
    # ray.put once; every actor fetches the same object.
    snapshot_ref = ray.put(snapshot)
    rows = ds.map_batches(
        Rescan,
        batch_size=batch_size,
        batch_format="numpy",
        num_cpus=cpus_per_task,
        fn_constructor_kwargs={"snapshot_refs": [snapshot_ref], "workers": cpus_per_task},
        compute=ray.data.ActorPoolStrategy(min_size=1, max_size=actors),
    ).take_all()
    return sorted(({c: r[c] for c in COLUMNS} for r in rows), key=lambda r: r["path"])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("images")
    ap.add_argument("lists", nargs="+")
    ap.add_argument("--trust", help="trust store file (the keys each issuer signs with)")
    ap.add_argument("--allow-unsigned", action="store_true")
    ap.add_argument("--cpus-per-task", type=int, default=1)
    ap.add_argument("--out", help="CSV file (default: standard output)")
    args = ap.parse_args(argv)
    snapshot = hashwall.Snapshot.load(args.lists, trust=args.trust, allow_unsigned=args.allow_unsigned)
    ray.init()
    rows = rescan(args.images, snapshot, cpus_per_task=args.cpus_per_task)
    with open(args.out, "w", newline="") if args.out else sys.stdout as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    blocked = sum(r["action"] == "block" for r in rows)
    print(f"{len(rows)} files, {blocked} blocked", file=sys.stderr)


if __name__ == "__main__":
    main()
