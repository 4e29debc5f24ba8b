"""Parquet round trips: every lake type x codec x null pattern x nesting,
written by lib/lake (lake-pqtool gen) and read back by our reader, DuckDB
and hyparquet (tests/node/read_parquet.mjs). All three must return exactly
the rows that were written (hyparquet decimals within 1e-12, see
pqcompare.py). Also reads every Parquet file of the golden Delta tables
with our reader.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pqcompare  # noqa: E402

BIN = os.environ.get("JOBCTL_BIN_DIR", "bin")
NODE_DIR = os.environ["JOBCTL_NODE_DIR"]
SHARED = os.environ.get("JOBCTL_SHARED_DIR", "/work/shared")
TOOL = os.path.join(BIN, "lake-pqtool")

CODECS = ["uncompressed", "snappy", "gzip", "zstd"]
NULLS = ["none", "some", "all"]


def run(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True,
                          timeout=120, **kw)


def golden_rows(text):
    return [json.loads(line) for line in text.splitlines() if line]


def main():
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = []
        for codec in CODECS:
            for nulls in NULLS:
                cases.append((codec, nulls, []))
                cases.append((codec, nulls, ["--no-dict"]))
            # many pages and row groups, small batches
            cases.append((codec, "some", ["--page", "1024", "--rg", "6000",
                                          "--batch", "13", "--rows", "700"]))
        files = []
        expected = {}
        for n, (codec, nulls, extra) in enumerate(cases):
            path = os.path.join(tmp, f"t{n}_{codec}_{nulls}.parquet")
            out = run([TOOL, "gen", path, codec, nulls] + extra)
            expected[path] = (golden_rows(out.stdout), (codec, nulls, extra))
            files.append(path)
        schema = json.loads(run([TOOL, "schema", files[0]]).stdout)

        env = dict(os.environ, TZ="UTC")
        node = subprocess.run(
            ["node", os.path.join(NODE_DIR, "read_parquet.mjs")] + files,
            check=True, capture_output=True, text=True, timeout=300,
            cwd=NODE_DIR, env=env)
        readers = {}
        for line in node.stdout.splitlines():
            d = json.loads(line)
            readers[d["file"]] = d

        for path in files:
            want_raw, desc = expected[path]
            want = [pqcompare.canon_row(r, schema, "golden") for r in want_raw]
            ours = golden_rows(run([TOOL, "cat", path]).stdout)
            got = {"ours": [pqcompare.canon_row(r, schema, "golden")
                            for r in ours]}
            for name in ("duckdb", "hyparquet"):
                res = readers.get(path, {}).get(name, {"error": "missing"})
                if "error" in res:
                    failures.append(f"{desc} {name}: {res['error'][:300]}")
                    continue
                got[name] = [pqcompare.canon_row(r, schema, name)
                             for r in res["rows"]]
            for name, rows in got.items():
                diff = pqcompare.first_difference(want, rows)
                if diff:
                    failures.append(f"{desc} {name}: {diff}")
        print(f"{len(files)} files x 3 readers compared")

    # fixtures written by other engines (DuckDB v1 pages, and v2 pages with
    # DELTA_BINARY_PACKED / DELTA_LENGTH_BYTE_ARRAY / BYTE_STREAM_SPLIT):
    # our reader and hyparquet must agree with DuckDB
    fixdir = os.path.join(os.environ["JOBCTL_SOURCE_DIR"], "tests",
                          "fixtures", "parquet")
    fixtures = sorted(os.path.join(fixdir, f) for f in os.listdir(fixdir)
                      if f.endswith(".parquet"))
    node = subprocess.run(
        ["node", os.path.join(NODE_DIR, "read_parquet.mjs")] + fixtures,
        check=True, capture_output=True, text=True, timeout=300,
        cwd=NODE_DIR, env=dict(os.environ, TZ="UTC"))
    for line in node.stdout.splitlines():
        d = json.loads(line)
        path = d["file"]
        schema = json.loads(run([TOOL, "schema", path]).stdout)
        if "error" in d["duckdb"]:
            failures.append(f"fixture {path} duckdb: {d['duckdb']['error']}")
            continue
        want = [pqcompare.canon_row(r, schema, "duckdb")
                for r in d["duckdb"]["rows"]]
        ours = [pqcompare.canon_row(json.loads(x), schema, "golden")
                for x in run([TOOL, "cat", path]).stdout.splitlines()]
        diff = pqcompare.first_difference(want, ours)
        if diff:
            failures.append(f"fixture {path} ours vs duckdb: {diff}")
        if os.path.basename(path).startswith("legacy_"):
            # hyparquet reads empty legacy lists as null; DuckDB is the
            # reference for these (see tests/fixtures/parquet/README.md)
            continue
        if "error" in d["hyparquet"]:
            failures.append(f"fixture {path} hyparquet: "
                            f"{d['hyparquet']['error'][:300]}")
        else:
            hyp = [pqcompare.canon_row(r, schema, "hyparquet")
                   for r in d["hyparquet"]["rows"]]
            diff = pqcompare.first_difference(ours, hyp)
            if diff:
                failures.append(f"fixture {path} ours vs hyparquet: {diff}")
    print(f"{len(fixtures)} fixtures compared")
    if not fixtures:
        failures.append("no fixtures found")

    # every Parquet file of the golden Delta tables decodes
    n = 0
    for root, _dirs, names in os.walk(os.path.join(SHARED, "testdata",
                                                   "delta")):
        for name in names:
            if name.endswith(".parquet"):
                path = os.path.join(root, name)
                r = subprocess.run([TOOL, "cat", path], capture_output=True,
                                   text=True, timeout=60)
                n += 1
                if r.returncode != 0:
                    failures.append(f"golden {path}: {r.stderr.strip()}")
    print(f"{n} golden Parquet files read")
    if n < 100:
        failures.append(f"only {n} golden Parquet files found")

    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
