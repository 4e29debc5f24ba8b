// duckdb_cleanse.cjs: the baseline of bench/cleanse: DuckDB (node API,
// 2 threads) does the silver step on bronze Parquet files: filter, cast,
// dedup by event_id keeping the latest timestamp, partitioned Parquet
// write (snappy, like the jobctl side). argv: out_dir file... ; prints
// rows and seconds.
const { createRequire } = require('module');
const req = createRequire(process.env.JOBCTL_NODE_DIR + '/package.json');
const duck = req('@duckdb/node-api');
(async () => {
  const [out, ...files] = process.argv.slice(2);
  const inst = await duck.DuckDBInstance.create(':memory:', { threads: '2' });
  const con = await inst.connect();
  const list = files.map((f) => `'${f}'`).join(',');
  const t0 = process.hrtime.bigint();
  await con.run(`COPY (
    SELECT event_id, event_type, "timestamp", value, timestamp_unix FROM (
      SELECT event_id, event_type, "timestamp",
             CAST(value AS DOUBLE) AS value,
             CAST(floor(epoch_us("timestamp") / 1000000) AS BIGINT) AS timestamp_unix,
             row_number() OVER (PARTITION BY event_id ORDER BY "timestamp" DESC) AS rn
      FROM read_parquet([${list}])
      WHERE event_id IS NOT NULL AND "timestamp" IS NOT NULL AND value IS NOT NULL
        AND event_type IN ('click', 'purchase', 'view')
        AND TRY_CAST(value AS DOUBLE) IS NOT NULL)
    WHERE rn = 1
  ) TO '${out}' (FORMAT PARQUET, PARTITION_BY (event_type), COMPRESSION SNAPPY)`);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const r = await con.runAndReadAll(
    `SELECT count(*) AS n FROM read_parquet('${out}/*/*.parquet')`);
  console.log(`${r.getRowObjectsJson()[0].n} ${secs.toFixed(3)}`);
})().catch((e) => { console.error(String(e)); process.exit(1); });
