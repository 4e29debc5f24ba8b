// read_parquet.cjs: runs one DuckDB query (argv[2]) and prints the rows as
// JSON; used by the pipeline tests to read Delta data files independently
// of jobctl's own Parquet reader.
const { createRequire } = require('module');
const req = createRequire(process.env.JOBCTL_NODE_DIR + '/package.json');
const duck = req('@duckdb/node-api');
(async () => {
  const inst = await duck.DuckDBInstance.create(':memory:', { threads: '2' });
  const con = await inst.connect();
  const r = await con.runAndReadAll(process.argv[2]);
  process.stdout.write(JSON.stringify(r.getRowObjectsJson()));
})().catch((e) => { console.error(String(e)); process.exit(1); });
