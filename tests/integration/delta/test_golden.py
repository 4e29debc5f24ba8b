"""Every golden Delta table reads exactly as its expected.json: version,
protocol, schema, partition columns, active files, txns, tombstones,
checkpoint used, rows (as a multiset) and the listed time-travel versions;
the deletion-vector and column-mapping tables are refused naming the
feature."""
import json
import os

import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deltatest import (GOLDEN, check, finish, jobctl, jsonl_rows,
                       rows_multiset)


def compare_snapshot(name, exp, got, rows_text, label):
    for key in ("version", "protocol", "metadata_id", "configuration",
                "partition_columns", "schema_simple", "num_files", "txns"):
        check(got.get(key) == exp.get(key), "%s %s: %s: got %r want %r" % (
            name, label, key, got.get(key), exp.get(key)))
    check(sorted(got["tombstones"]) == sorted(exp["tombstones"]),
          "%s %s: tombstones differ" % (name, label))
    gf = {f["path"]: f for f in got["files"]}
    for f in exp["files"]:
        g = gf.get(f["path"])
        check(g is not None, "%s %s: missing file %s" % (name, label, f["path"]))
        if g is None:
            continue
        for k in ("partitionValues", "size", "numRecords"):
            if k in f:
                check(g.get(k) == f[k], "%s %s: file %s %s: got %r want %r" % (
                    name, label, f["path"], k, g.get(k), f[k]))
    cu = exp.get("checkpoint_used")
    if cu is None:
        check(got["checkpoint_used"] is None, "%s %s: used a checkpoint" % (
            name, label))
    else:
        gc = got["checkpoint_used"] or {}
        check(gc.get("version") == cu["version"] and gc.get("kind") == cu["kind"]
              and gc.get("files") == cu["files"],
              "%s %s: checkpoint_used %r want %r" % (name, label, gc, cu))
    check(got["commits_replayed"] == exp["commits_replayed"],
          "%s %s: commits_replayed %r want %r" % (
              name, label, got["commits_replayed"], exp["commits_replayed"]))
    rows = jsonl_rows(rows_text, exp["columns"])
    check(len(rows) == exp["row_count"], "%s %s: %d rows, want %d" % (
        name, label, len(rows), exp["row_count"]))
    check(rows_multiset(rows) == rows_multiset(exp["rows"]),
          "%s %s: rows differ:\n got  %s\n want %s" % (
              name, label, rows_multiset(rows)[:5],
              rows_multiset(exp["rows"])[:5]))


def main():
    tables = sorted(d for d in os.listdir(GOLDEN)
                    if os.path.isfile(os.path.join(GOLDEN, d, "expected.json")))
    check(len(tables) >= 18, "expected 18 golden tables, found %d" % len(tables))
    for name in tables:
        path = os.path.join(GOLDEN, name)
        with open(os.path.join(path, "expected.json")) as f:
            exp = json.load(f)
        if "reader_must_refuse" in exp:
            for args in (["describe", path], ["show", path]):
                p = jobctl("table", *args, check=False)
                check(p.returncode != 0, "%s: %s was not refused" % (name, args[0]))
                for feat in exp["reader_must_refuse"]["unsupported_features"]:
                    feat = feat.split(" ")[0]
                    check(feat in p.stderr, "%s: error does not name %s: %r" % (
                        name, feat, p.stderr))
            continue
        got = json.loads(jobctl("table", "describe", path, "--json").stdout)
        rows = jobctl("table", "show", path, "--format", "jsonl").stdout
        compare_snapshot(name, exp, got, rows, "latest")
        for tt in exp.get("time_travel") or []:
            v = tt["version"]
            got = json.loads(jobctl("table", "describe", path, "--version", v,
                                    "--json").stdout)
            rows = jobctl("table", "show", path, "--version", v, "--format",
                          "jsonl").stdout
            compare_snapshot(name, tt, got, rows, "v%d" % v)
        print("%-40s ok" % name)
    finish()


if __name__ == "__main__":
    main()
