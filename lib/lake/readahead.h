/*
 * readahead.h: internal: scanning a list of table files with a reader
 * thread decoding the next files while the caller's callback handles the
 * current one (table_read.c's scans use it).
 */
#ifndef LAKE_READAHEAD_H
#define LAKE_READAHEAD_H

#include "lake/delta.h"

/*
 * Read files[0..n) of t (projection/predicates of opts as in
 * lake_table__read_path) and call cb on each, in order, with the same
 * contract as lake_table_scan. Up to LAKE_READAHEAD_DEPTH decoded files
 * wait ahead of the callback; with one CPU or one file it reads inline.
 * The callback must not change t. st counts files_read and rows_read.
 */
#define LAKE_READAHEAD_DEPTH 2
int lake_readahead_scan(const struct lake_table *t,
                        const struct lake_file *const *files, size_t n,
                        const struct lake_scan_opts *opts, lake_scan_cb cb,
                        void *ud, struct lake_scan_stats *st);

#endif
