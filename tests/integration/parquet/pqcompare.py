"""pqcompare: normalise rows of a Parquet file as printed by lake-pqtool
(golden value_encoding), DuckDB and hyparquet (tests/node/read_parquet.mjs)
into comparable Python values, given the schema from `lake-pqtool schema`.

Exact for every type, except hyparquet DECIMAL values, which hyparquet itself
converts through a double: those compare within a relative 1e-12.
"""
import math
import re
from decimal import Decimal, getcontext

getcontext().prec = 80

import numpy as np


class Approx:
    """A decimal that went through a double (hyparquet)."""

    def __init__(self, f):
        self.f = float(f)

    def __eq__(self, other):
        if isinstance(other, Approx):
            return self.f == other.f
        if isinstance(other, Decimal):
            d = float(other)
            return abs(d - self.f) <= 1e-12 * max(1.0, abs(d))
        return False

    def __repr__(self):
        return f"~{self.f!r}"


def _num(x):
    if isinstance(x, dict):
        if "$int" in x:
            return int(x["$int"])
        if "$f" in x:
            return x["$f"]
    return x


def _float(x, single):
    x = _num(x)
    if isinstance(x, str):
        s = x.strip()
        if s in ("NaN", "nan", "-nan"):
            return "NaN"
        if s in ("Infinity", "inf"):
            return "Infinity"
        if s in ("-Infinity", "-inf"):
            return "-Infinity"
        x = float(s)
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if single:
        return float(np.float32(x))
    return x


def _hex(x, source):
    if isinstance(x, dict) and "$hex" in x:
        return x["$hex"]
    if source == "duckdb":
        out = bytearray()
        i = 0
        while i < len(x):
            if x[i] == "\\" and i + 3 < len(x) + 0 and x[i + 1] in "xX":
                out.append(int(x[i + 2:i + 4], 16))
                i += 4
            else:
                out.extend(x[i].encode("utf-8"))
                i += 1
        return out.hex()
    return x


_TS = re.compile(r"^(-?\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d+))?"
                 r"(Z|[+-]\d\d(?::?\d\d)?)?$")


def _ts(x):
    m = _TS.match(x)
    if not m:
        return ("bad-ts", x)
    y, mo, d, h, mi, s, frac, tz = m.groups()
    if tz not in (None, "Z", "+00", "+00:00", "-00", "+0000"):
        return ("tz", x)
    frac = (frac or "").ljust(6, "0")[:6]
    return f"{int(y):04d}-{mo}-{d}T{h}:{mi}:{s}.{frac}Z"


def canon(v, f, source):
    """Normalise value v of field f (schema dict) read by source."""
    if v is None:
        return None
    t = f["type"]
    if t == "boolean":
        return bool(v)
    if t in ("byte", "short", "integer", "long"):
        v = _num(v)
        return int(v)
    if t == "float":
        return _float(v, True)
    if t == "double":
        return _float(v, False)
    if t == "string":
        return v
    if t == "binary":
        return _hex(v, source)
    if t == "date":
        return v
    if t in ("timestamp", "timestamp_ntz"):
        return _ts(v)
    if t == "decimal":
        v = _num(v)
        if source == "hyparquet" and isinstance(v, (int, float)):
            return Approx(v)
        return Decimal(str(v)).quantize(Decimal(1).scaleb(-f["scale"]))
    if t == "struct":
        return tuple((c["name"], canon(v.get(c["name"]), c, source))
                     for c in f["children"])
    if t == "array":
        return [canon(x, f["children"][0], source) for x in v]
    if t == "map":
        kf, vf = f["children"]
        if isinstance(v, dict):  # hyparquet: object keyed by text
            items = []
            for k, x in v.items():
                if kf["type"] in ("byte", "short", "integer", "long"):
                    k = int(k)
                items.append((k, x))
        elif v and isinstance(v[0], dict):  # duckdb: [{key, value}]
            items = [(e["key"], e["value"]) for e in v]
        else:  # golden: [[k, v]]
            items = [(e[0], e[1]) for e in v]
        out = [(canon(k, kf, source), canon(x, vf, source)) for k, x in items]
        out.sort(key=lambda kv: repr(kv[0]))
        return out
    raise ValueError(f"unknown type {t}")


def canon_row(row, schema, source):
    return tuple(canon(row.get(f["name"]), f, source) for f in schema)


def first_difference(a_rows, b_rows):
    """None if equal, else a short description of the first difference."""
    if len(a_rows) != len(b_rows):
        return f"{len(a_rows)} rows vs {len(b_rows)} rows"
    for i, (a, b) in enumerate(zip(a_rows, b_rows)):
        if a != b:
            for j, (x, y) in enumerate(zip(a, b)):
                if x != y:
                    return f"row {i} field {j}: {x!r} != {y!r}"
            return f"row {i}: {a!r} != {b!r}"
    return None
