"""Tables written by jobctl (every Delta type, null patterns, special and
null partition values, several codecs, appends/overwrite, txn actions) and
their checkpoints read identically by two independent Parquet readers,
DuckDB (@duckdb/node-api read_parquet per file) and hyparquet, combined
with partition values from our log."""
import datetime
import decimal
import json
import math
import os
import struct
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deltatest import (NODE_DIR, TmpHome, check, failures,  # noqa: E402
                       finish, jobctl, jsonl_rows)

SCHEMA = ("id:long,i:integer,s:short,b:byte,f:float,d:double,ok:boolean,"
          "name:string,bin:binary,day:date,ts:timestamp,dec:decimal(9,3),"
          "dec18:decimal(18,4),big:decimal(38,10),allnull:string,"
          "arr:array<long>,st:struct<x:integer,y:string,z:struct<w:double>>,"
          "m:map<string,integer>,cat:string,pday:date")
PARTS = ["a b/c", "x=y", "ünï", None, "100%", "plain"]


def gen_rows(n, seed):
    rows = []
    for k in range(n):
        j = k + seed * 1000
        some_null = (k % 4 == 3)
        r = {
            "id": j * 1000003 - 5 * 10 ** 15,
            "i": None if some_null else (j * 7919) % 2 ** 31 - 2 ** 30,
            "s": (j * 31) % 65536 - 32768,
            "b": (j % 256) - 128,
            "f": None if some_null else (j / 7.0) - 3,
            "d": [1e308, -0.0, 3.141592653589793, 2.5e-300][j % 4],
            "ok": None if k % 5 == 0 else bool(j % 2),
            "name": None if some_null else "n%d-%s" % (j, "é" * (j % 3)),
            "bin": None if some_null else "%02x%02x00ff" % (j % 256, (j * 3) % 256),
            "day": "19%02d-%02d-%02d" % (60 + j % 40, 1 + j % 12, 1 + j % 28),
            "ts": "20%02d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (
                j % 30, 1 + j % 12, 1 + j % 28, j % 24, j % 60, (j * 7) % 60,
                (j * 123457) % 1000000),
            "dec": "%d.%03d" % ((j * 37) % 999999 - 500000, j % 1000),
            "dec18": "%s%d.%04d" % ("-" if j % 2 else "", j * 99991, j % 10000),
            "big": "%s%d.%010d" % ("-" if j % 3 == 0 else "", j * 10 ** 15 + 7,
                                   (j * 1234567) % 10 ** 10),
            "allnull": None,
            "arr": None if some_null else [j, -j, None, 2 ** 62][: j % 5],
            "st": None if k % 7 == 6 else {"x": j % 100, "y": None if j % 2 else "y%d" % j,
                                           "z": {"w": j / 3.0}},
            "m": None if some_null else {("k%d" % (j % 3)): j % 100, "z": None},
            "cat": PARTS[j % len(PARTS)],
            "pday": None if k % 9 == 8 else "2024-0%d-15" % (1 + j % 3),
        }
        rows.append(r)
    return rows


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def ts_micros(s):
    s = s.replace("T", " ").rstrip("Z")
    if s.endswith("+00"):
        s = s[:-3]
    if "." not in s:
        s += ".000000"
    dt = datetime.datetime.strptime(s, "%Y-%m-%d %H:%M:%S.%f")
    delta = dt - datetime.datetime(1970, 1, 1)
    return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds


def duck_blob(s):
    out = bytearray()
    i = 0
    while i < len(s):
        if s[i] == "\\" and i + 3 < len(s) and s[i + 1] == "x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        else:
            out += s[i].encode()
            i += 1
    return out.hex()


def canon(v, t, src, exact_dec):
    if v is None:
        return None
    if isinstance(v, dict) and "$int" in v:
        v = int(v["$int"])
    if isinstance(v, dict) and "$f" in v:
        return v["$f"]
    if isinstance(t, dict):
        tt = t["type"]
        if tt == "array":
            return [canon(x, t["elementType"], src, exact_dec) for x in v]
        if tt == "struct":
            return {f["name"]: canon(v.get(f["name"]), f["type"], src, exact_dec)
                    for f in t["fields"]}
        if tt == "map":
            if src == "duckdb":
                pairs = [(e["key"], e["value"]) for e in v]
            elif isinstance(v, dict):
                pairs = list(v.items())
            else:
                pairs = [(e[0], e[1]) for e in v]
            out = [[canon(k, t["keyType"], src, exact_dec),
                    canon(x, t["valueType"], src, exact_dec)] for k, x in pairs]
            return sorted(out, key=lambda p: json.dumps(p[0]))
        raise AssertionError("type %r" % t)
    if t in ("long", "integer", "short", "byte"):
        return int(v)
    if t == "float":
        return v if isinstance(v, str) else f32(float(v))
    if t == "double":
        return v if isinstance(v, str) else float(v)
    if t == "boolean":
        return bool(v)
    if t == "string":
        return str(v)
    if t == "binary":
        if isinstance(v, dict):
            return v["$hex"]
        return duck_blob(v) if src == "duckdb" else v
    if t == "date":
        return str(v)
    if t == "timestamp":
        return ts_micros(v)
    if t.startswith("decimal"):
        if exact_dec:
            return str(decimal.Decimal(str(v)))
        # hyparquet converts decimals to JS numbers: compared approximately
        return {"~dec": float(v)}
    raise AssertionError("type %r" % t)


def rowkey(row):
    return json.dumps(row, default=str).replace("~dec", "")


def same(x, y):
    """Equal, with approximate decimals ({"~dec": float}) within 1e-12."""
    if isinstance(x, dict) and "~dec" in x and isinstance(y, dict) and "~dec" in y:
        return math.isclose(x["~dec"], y["~dec"], rel_tol=1e-12)
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(same(p, q) for p, q in zip(x, y))
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(same(x[k], y[k]) for k in x)
    return x == y


def part_value(text, t):
    if text is None:
        return None
    if t == "date" or t == "string":
        return text
    if t in ("long", "integer"):
        return int(text)
    raise AssertionError(t)


def compare_table(home, name):
    nfail = len(failures)
    desc = json.loads(jobctl("table", "describe", name, "--json",
                             env=home.env).stdout)
    fields = desc["schema"]["fields"]
    cols = [f["name"] for f in fields]
    ours = jsonl_rows(jobctl("table", "show", name, "--format", "jsonl",
                             env=home.env).stdout, cols)
    files = {os.path.join(desc["path"], urllib.parse.unquote(f["path"])): f
             for f in desc["files"]}
    p = subprocess.run(["node", os.path.join(NODE_DIR, "delta_read_files.mjs")]
                       + sorted(files), capture_output=True, text=True,
                       timeout=300)
    check(p.returncode == 0, "node reader failed: %s" % p.stderr[-2000:])
    if p.returncode:
        return
    got = json.loads(p.stdout)
    for reader in ("duckdb", "hyparquet"):
        exact = reader == "duckdb"
        theirs = []
        for path, f in files.items():
            rows = got[reader][path]
            if isinstance(rows, dict):
                check(False, "%s %s: %s: %s" % (name, reader, path, rows["error"]))
                continue
            check(len(rows) == f.get("numRecords", len(rows)),
                  "%s %s: %s has %d rows, log says %s" % (
                      name, reader, path, len(rows), f.get("numRecords")))
            for r in rows:
                for c in desc["partition_columns"]:
                    check(c not in r, "%s: partition column %s stored in %s" % (
                        name, c, path))
                full = []
                for fl in fields:
                    if fl["name"] in desc["partition_columns"]:
                        full.append(part_value(f["partitionValues"].get(fl["name"]),
                                               fl["type"]))
                    else:
                        full.append(r.get(fl["name"]))
                theirs.append(full)
        a = sorted(([canon(v, fl["type"], reader, exact)
                     for v, fl in zip(r, fields)] for r in theirs), key=rowkey)
        b = sorted(([canon(v, fl["type"], "ours", exact)
                     for v, fl in zip(r, fields)] for r in ours), key=rowkey)
        check(len(a) == len(b), "%s %s: %d rows vs ours %d" % (name, reader,
                                                                len(a), len(b)))
        diff = [(x, y) for x, y in zip(a, b) if not same(x, y)]
        check(not diff, "%s %s: rows differ, first: %s" % (
            name, reader, diff[:1]))
    if len(failures) == nfail:
        print("%s: %d rows in %d files read identically by DuckDB and "
              "hyparquet" % (name, len(ours), len(files)))


def write_jsonl(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def check_checkpoint(home, name):
    desc = json.loads(jobctl("table", "describe", name, "--json",
                             env=home.env).stdout)
    cp = desc["checkpoint_used"]
    check(cp is not None, "%s: no checkpoint used" % name)
    if not cp:
        return
    path = os.path.join(desc["path"], "_delta_log", cp["files"][0])
    lc = json.load(open(os.path.join(desc["path"], "_delta_log",
                                     "_last_checkpoint")))
    check(lc["version"] == cp["version"], "_last_checkpoint %r" % lc)
    at = json.loads(jobctl("table", "describe", name, "--version",
                           cp["version"], "--json", env=home.env).stdout)
    p = subprocess.run(["node", os.path.join(NODE_DIR, "delta_read_files.mjs"),
                        path], capture_output=True, text=True, timeout=300)
    got = json.loads(p.stdout)
    for reader in ("duckdb", "hyparquet"):
        rows = got[reader][path]
        if isinstance(rows, dict):
            check(False, "%s checkpoint %s: %s" % (name, reader, rows["error"]))
            continue
        check(lc["size"] == len(rows), "%s: _last_checkpoint size %d, %d rows"
              % (name, lc["size"], len(rows)))
        adds, txns, proto, meta = {}, {}, [], []
        for r in rows:
            nonnull = [k for k, v in r.items() if v is not None]
            check(len(nonnull) == 1, "%s %s: checkpoint row with %r" % (
                name, reader, nonnull))
            if r.get("add"):
                a = r["add"]
                pv = a["partitionValues"]
                if isinstance(pv, list):
                    pv = {e["key"]: e["value"] for e in pv}
                size = a["size"]
                size = int(size["$int"]) if isinstance(size, dict) else int(size)
                adds[a["path"]] = (pv, size, json.loads(a["stats"])["numRecords"])
            if r.get("txn"):
                v = r["txn"]["version"]
                txns[r["txn"]["appId"]] = int(v["$int"]) if isinstance(v, dict) else int(v)
            if r.get("protocol"):
                proto.append(r["protocol"])
            if r.get("metaData"):
                meta.append(r["metaData"])
        want = {f["path"]: (f["partitionValues"], f["size"], f["numRecords"])
                for f in at["files"]}
        check(adds == want, "%s %s: checkpoint adds differ" % (name, reader))
        check(txns == {k: v["version"] for k, v in at["txns"].items()},
              "%s %s: checkpoint txns %r" % (name, reader, txns))
        check(len(proto) == 1 and int(proto[0]["minReaderVersion"]) == 1
              and int(proto[0]["minWriterVersion"]) == 2,
              "%s %s: protocol %r" % (name, reader, proto))
        check(len(meta) == 1 and meta[0]["id"] == at["metadata_id"]
              and json.loads(meta[0]["schemaString"]) == at["schema"],
              "%s %s: metaData differs" % (name, reader))
    print("%s: checkpoint %d read identically by DuckDB and hyparquet" % (
        name, cp["version"]))


def main():
    with TmpHome() as home:
        src = os.path.join(home.dir, "rows.jsonl")
        # every type, partitioned by a string with special values and a date
        write_jsonl(src, gen_rows(60, 1))
        jobctl("table", "import", "alltypes", "--from", src, "--schema", SCHEMA,
               "--partition-by", "cat", "--partition-by", "pday", env=home.env)
        for codec in ("zstd", "gzip", "uncompressed"):
            write_jsonl(src, gen_rows(20, {"zstd": 2, "gzip": 3}.get(codec, 4)))
            jobctl("table", "import", "alltypes", "--from", src, "--codec",
                   codec, env=home.env)
        compare_table(home, "alltypes")
        # unpartitioned, append + overwrite
        write_jsonl(src, gen_rows(30, 5))
        jobctl("table", "import", "plain", "--from", src, "--schema", SCHEMA,
               env=home.env)
        write_jsonl(src, gen_rows(10, 6))
        jobctl("table", "import", "plain", "--from", src, "--mode", "overwrite",
               env=home.env)
        write_jsonl(src, gen_rows(5, 7))
        jobctl("table", "import", "plain", "--from", src, env=home.env)
        compare_table(home, "plain")
        # 12 commits with txn markers: checkpoint at version 10
        for k in range(12):
            write_jsonl(src, gen_rows(3, 10 + k))
            jobctl("table", "import", "ckpt", "--from", src, "--schema", SCHEMA,
                   "--partition-by", "cat", "--app-txn", "loader:%d" % k,
                   env=home.env)
        check(os.path.exists(os.path.join(home.dir, "lake", "ckpt", "_delta_log",
                                          "%020d.checkpoint.parquet" % 10)),
              "no checkpoint at version 10")
        check_checkpoint(home, "ckpt")
        compare_table(home, "ckpt")
    finish()


if __name__ == "__main__":
    main()
