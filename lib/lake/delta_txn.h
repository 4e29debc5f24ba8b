/*
 * delta_txn.h: internal: the state of a write transaction, shared by
 * delta_commit.c (actions, commit) and delta_write.c (data files).
 */
#ifndef LAKE_DELTA_TXN_H
#define LAKE_DELTA_TXN_H

#include "delta_int.h"
#include "lake/parquet.h"

struct pending_add {
    char *log_path; /* URI-encoded, relative */
    char *abs_path; /* on disk */
    struct lake_kv *part;
    size_t npart;
    int64_t size;
    int64_t mtime;
    int64_t rows;
    char *stats;
    int data_change;
};

struct pending_remove {
    char *path;
    struct lake_kv *part;
    size_t npart;
    int64_t size;
    int data_change;
};

struct lake_txn {
    struct lake_table *t;
    int64_t read_version;
    struct pending_add *adds;
    size_t nadds, aadds;
    struct pending_remove *removes;
    size_t nremoves, aremoves;
    struct lake_app_txn *apps;
    size_t napps, aapps;
    int remove_all;
    int optimize;
    enum lake_codec codec;
    int num_indexed; /* delta.dataSkippingNumIndexedCols */
    int dictionary;
    struct lake_schema data_schema; /* table schema minus partitions */
};

#endif
