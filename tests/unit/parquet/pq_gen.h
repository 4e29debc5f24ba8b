/*
 * pq_gen.h: deterministic test batches for the Parquet tests: every lake
 * type, nested struct/array/map, with a chosen null pattern. Shared by the
 * unit tests and lake-pqtool (which the integration test drives).
 */
#ifndef JOBCTL_TESTS_PQ_GEN_H
#define JOBCTL_TESTS_PQ_GEN_H

#include <stddef.h>

#include "lake/column.h"

enum pq_gen_nulls { PQ_GEN_NONE = 0, PQ_GEN_SOME = 1, PQ_GEN_ALL = 2 };

/* Schema of the all-types table (nullable fields plus two required). */
void pq_gen_schema(struct lake_schema *s);
/* Rows [first, first + n) of the all-types table. */
struct lake_batch *pq_gen_batch(size_t first, size_t n,
                                enum pq_gen_nulls nulls);
/* Parse "none" / "some" / "all"; -1 if unknown. */
int pq_gen_parse_nulls(const char *s);

#endif
