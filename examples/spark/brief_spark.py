#!/usr/bin/env python3
"""brief on Apache Spark: JSONL article lines piped through `brief run - -o -` per
partition (RDD.pipe), records saved as text part files.

    spark-submit examples/spark/brief_spark.py ARTICLES.jsonl OUT_DIR \
        [--partitions 8] [--brief brief] [-- BRIEF_RUN_OPTIONS...]

Each partition's lines go to one `brief run - -o -` on its executor (brief must be on
the executors' PATH, or give --brief, with the models where BRIEF_MODELS or --models
says). Records come back one JSON line per article and are written to OUT_DIR as
Spark part files (part-00000, …). A record's `source` is `-:LINE` counted within its
partition's stream; match records by `id` (give every article an `id` field).

brief exits 1 when some articles have error records (they are in the output): that is
not a failed task. Any other non-zero exit fails the task, and Spark retries it.
"""

import argparse
import os
import shlex
import sys

from pyspark.sql import SparkSession


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("articles", help="JSONL file (or folder of them) readable by Spark")
    p.add_argument("out", help="output folder for the record part files (must not exist)")
    p.add_argument("--partitions", type=int, default=4, help="at least this many partitions")
    p.add_argument("--brief", default="brief", help="the brief executable on the executors")
    p.add_argument("--master", help="e.g. local[2]; default: spark-submit's, else local[*]")
    argv = sys.argv[1:]
    # Everything after `--` goes to `brief run` untouched.
    cut = argv.index("--") if "--" in argv else len(argv)
    args = p.parse_args(argv[:cut])
    args.brief_options = argv[cut + 1 :]

    builder = SparkSession.builder.appName("brief")
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    sc = spark.sparkContext
    lines = sc.textFile(args.articles, minPartitions=args.partitions)
    run = shlex.join([args.brief, "run", "-", "-o", "-", "-q", *args.brief_options])
    # Exit 1 (some error records) is success here; checkCode fails the task otherwise.
    command = shlex.join(["sh", "-c", f"{run}; code=$?; [ $code -le 1 ]"])
    records = lines.pipe(command, env=dict(os.environ), checkCode=True)
    records.saveAsTextFile(args.out)
    spark.stop()


if __name__ == "__main__":
    main()
