// bench_duckdb.mjs SRC.parquet OUT.parquet
// DuckDB side of bench/lake/run.sh, single-threaded (SET threads=1):
// loads SRC into an in-memory table (untimed), times
// COPY ... TO OUT (FORMAT PARQUET, COMPRESSION ZSTD), then times a full scan
// of SRC and of OUT that decodes every column. Prints one JSON line.
import { DuckDBInstance } from '@duckdb/node-api';

const [src, out] = process.argv.slice(2);
const q = (s) => s.replace(/'/g, "''");
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
await con.run('SET threads=1');
await con.run(`CREATE TABLE bronze AS SELECT * FROM read_parquet('${q(src)}')`);

let t0 = performance.now();
await con.run(`COPY bronze TO '${q(out)}' (FORMAT PARQUET, COMPRESSION ZSTD)`);
const write = (performance.now() - t0) / 1000;

const scanSql = (f) => `SELECT count(*), sum(length(event_id)), sum(length(event_type)),
  max(timestamp), sum(length(value)), sum(length(kafka_topic)),
  sum(kafka_partition), sum(kafka_offset), max(kafka_timestamp),
  max(ingest_time) FROM read_parquet('${q(f)}')`;

async function scan(f) {
  const t = performance.now();
  const r = await con.runAndReadAll(scanSql(f));
  r.getRows();
  return (performance.now() - t) / 1000;
}
await scan(src); // warm the page cache
const scanSrc = await scan(src);
const scanOut = await scan(out);
process.stdout.write(JSON.stringify({ write, scan_src: scanSrc, scan_out: scanOut }) + '\n');
