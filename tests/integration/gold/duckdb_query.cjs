// duckdb_query.cjs: run one DuckDB SQL query (argv[2]) and print the rows
// as JSON, so the gold tests read Delta data files with an independent
// Parquet reader (not jobctl's).
const { createRequire } = require('module');
const req = createRequire(process.env.JOBCTL_NODE_DIR + '/package.json');
const duck = req('@duckdb/node-api');
(async () => {
  const inst = await duck.DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await inst.connect();
  const r = await con.runAndReadAll(process.argv[2]);
  const cols = r.columnNames();
  const types = r.columnTypes().map((t) => String(t));
  process.stdout.write(JSON.stringify({ columns: cols, types: types,
                                        rows: r.getRowObjectsJson() }));
})().catch((e) => { console.error(String(e)); process.exit(1); });
