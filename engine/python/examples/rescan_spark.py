"""Rescan images against hashwall lists with PySpark (``mapInPandas``).

    spark-submit rescan_spark.py IMAGES_DIR LIST [LIST ...] --trust TRUST_STORE --out OUT_DIR

Spark reads every file as a binary row (``format("binaryFile")``: path,
content, ...). ``mapInPandas`` hands each executor task an iterator of pandas
DataFrames; each batch is hashed with ``hashwall.hash_images`` (PDQ and MD5,
decoded in Rust with the GIL released, on ``--threads`` cores) and its hashes
are matched against a ``hashwall.Snapshot`` shipped to the executors as a
broadcast variable (it pickles as its signed lists and trust store; each
executor verifies the signatures again when it unpickles it). A file that
cannot be decoded gets ``action = "error"`` and the reason, not a failed job.

Needs ``pip install pyspark pandas pyarrow hashwall`` on the driver and the
executors, and Java 17 or later. Documented, not run in CI (the Ray example,
``rescan_ray.py``, is).
"""

import argparse

import hashwall
import pandas as pd

SCHEMA = (
    "path string, pdq string, quality int, md5 string, action string, "
    "list string, reference string, distance int, error string"
)


def rescan_partition(batches, snapshot_bc, threads):
    """The mapInPandas function: pandas batches of (path, content) in, one
    row per file out."""
    snapshot = snapshot_bc.value  # unpickled (and verified) once per executor
    for df in batches:
        results = hashwall.hash_images(
            list(df["content"]), algorithms=("pdq", "md5"), dihedral=True, workers=threads
        )
        rows = []
        for path, res in zip(df["path"], results):
            row = {"path": path, "pdq": None, "quality": None, "md5": None, "action": "no-match",
                   "list": None, "reference": None, "distance": None, "error": None}
            if isinstance(res, Exception):
                row.update(action="error", error=f"{type(res).__name__}: {res}")
            else:
                pdq, md5 = res[0], res[-1]  # the original PDQ, its 7 variants, the MD5
                row.update(pdq=pdq.hex, quality=pdq.quality, md5=md5.hex)
                # Every variant of the PDQ as one query, and the MD5.
                v = snapshot.check_hashes(res)
                if v.matches:
                    m = v.matches[0]
                    row.update(action=v.action, list=m.list, reference=m.reference, distance=m.distance)
            rows.append(row)
        yield pd.DataFrame(rows, columns=[c.split()[0] for c in SCHEMA.split(", ")])


def main(argv=None):
    from pyspark.sql import SparkSession

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("images")
    ap.add_argument("lists", nargs="+")
    ap.add_argument("--trust")
    ap.add_argument("--allow-unsigned", action="store_true")
    ap.add_argument("--threads", type=int, default=1, help="hash_images threads per Spark task")
    ap.add_argument("--out", required=True, help="output directory (Parquet)")
    args = ap.parse_args(argv)

    spark = SparkSession.builder.appName("hashwall-rescan").getOrCreate()
    # Small batches: each row holds a whole image file.
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "64")
    snapshot = hashwall.Snapshot.load(args.lists, trust=args.trust, allow_unsigned=args.allow_unsigned)
    snapshot_bc = spark.sparkContext.broadcast(snapshot)
    files = (
        spark.read.format("binaryFile")
        .option("recursiveFileLookup", "true")
        .load(args.images)
        .select("path", "content")
    )
    result = files.mapInPandas(lambda it: rescan_partition(it, snapshot_bc, args.threads), schema=SCHEMA)
    result.write.mode("overwrite").parquet(args.out)
    counts = result.groupBy("action").count().collect()
    print({r["action"]: r["count"] for r in counts})
    spark.stop()


if __name__ == "__main__":
    main()
