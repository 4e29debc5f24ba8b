// read_parquet.mjs FILE...
// Reads each Parquet file with two independent readers (DuckDB via
// @duckdb/node-api, and hyparquet + hyparquet-compressors) and prints one
// JSON line per file {"file": F, "duckdb": {...}, "hyparquet": {...}}, each
// with "rows" (or "error"). Values keep enough type information for an exact comparison:
// 64-bit integers as {"$int": "..."}, bytes as {"$hex": "..."},
// non-finite numbers as {"$f": "NaN"}, timestamps/dates as golden strings
// from hyparquet; DuckDB values are its JSON conversion (strings for
// decimals, timestamps and blobs).
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
let inst = null;

function pad(n, w) { return String(n).padStart(w, '0'); }

function civil(days) {
  // days since 1970-01-01 -> [y, m, d] (Howard Hinnant)
  let z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  let y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) y += 1;
  return [y, m, d];
}

function dateStr(days) {
  const [y, m, d] = civil(days);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

function tsStr(micros) {
  // micros: BigInt
  const day = 86400000000n;
  let days = micros / day;
  let rem = micros % day;
  if (rem < 0n) { rem += day; days -= 1n; }
  const secs = rem / 1000000n;
  const frac = rem % 1000000n;
  const h = secs / 3600n, mi = (secs / 60n) % 60n, s = secs % 60n;
  return `${dateStr(Number(days))}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(frac, 6)}Z`;
}

function tag(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return { $int: v.toString() };
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return { $f: String(v) };
    return v;
  }
  if (v instanceof Uint8Array) return { $hex: Buffer.from(v).toString('hex') };
  if (v instanceof Date) return { $date: v.toISOString() };
  if (Array.isArray(v)) return v.map(tag);
  if (typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = tag(x);
    return o;
  }
  return v;
}

async function viaDuckdb(file) {
  if (!inst)
    inst = await DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await inst.connect();
  try { await con.run("SET TimeZone='UTC'"); } catch (e) { /* no ICU */ }
  const esc = file.replace(/'/g, "''");
  const r = await con.runAndReadAll(`SELECT * FROM read_parquet('${esc}')`);
  return { types: r.columnTypesJson(), rows: r.getRowObjectsJson() };
}

async function viaHyparquet(file) {
  const buf = readFileSync(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const rows = await parquetReadObjects({
    file: ab,
    compressors,
    utf8: false,
    parsers: {
      timestampFromMilliseconds: (ms) => tsStr(BigInt(ms) * 1000n),
      timestampFromMicroseconds: (us) => tsStr(BigInt(us)),
      timestampFromNanoseconds: (ns) => tsStr(BigInt(ns) / 1000n),
      dateFromDays: (d) => dateStr(Number(d)),
      stringFromBytes: (b) => b && new TextDecoder().decode(b),
      jsonFromBytes: (b) => b && new TextDecoder().decode(b),
    },
  });
  return { rows: rows.map(tag) };
}

for (const file of files) {
  const out = { file };
  for (const [name, fn] of [['duckdb', viaDuckdb], ['hyparquet', viaHyparquet]]) {
    try {
      out[name] = await fn(file);
    } catch (e) {
      out[name] = { error: String(e && e.stack || e) };
    }
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}
