/*
 * batch.c: the micro-batch buffers of jobctl-bronze-ingest: table schemas
 * and columnar appends of parsed events (one lake_batch for all Kafka
 * partitions) and of quarantined messages.
 */
#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* Column order of the batches below (must match ingest_schemas). */
enum { B_ID, B_TYPE, B_TS, B_VALUE, B_TOPIC, B_PART, B_OFF, B_KTS, B_ITIME };
enum { Q_RAW, Q_ERR, Q_TOPIC, Q_PART, Q_OFF, Q_KTS, Q_ITIME };

void ingest_schemas(struct lake_schema *bronze, struct lake_schema *quar)
{
    lake_schema_init(bronze);
    lake_schema_add_simple(bronze, "event_id", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(bronze, "event_type", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(bronze, "timestamp", LAKE_TYPE_TIMESTAMP, true);
    lake_schema_add_simple(bronze, "value", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(bronze, "kafka_topic", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(bronze, "kafka_partition", LAKE_TYPE_INTEGER, true);
    lake_schema_add_simple(bronze, "kafka_offset", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(bronze, "kafka_timestamp", LAKE_TYPE_TIMESTAMP,
                           true);
    lake_schema_add_simple(bronze, "ingest_time", LAKE_TYPE_TIMESTAMP, true);

    lake_schema_init(quar);
    lake_schema_add_simple(quar, "raw_payload", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(quar, "error", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(quar, "kafka_topic", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(quar, "kafka_partition", LAKE_TYPE_INTEGER, true);
    lake_schema_add_simple(quar, "kafka_offset", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(quar, "kafka_timestamp", LAKE_TYPE_TIMESTAMP, true);
    lake_schema_add_simple(quar, "ingest_time", LAKE_TYPE_TIMESTAMP, true);
}

static int64_t kafka_ts_us(const rd_kafka_message_t *m)
{
    rd_kafka_timestamp_type_t tt;
    int64_t ms = rd_kafka_message_timestamp(m, &tt);

    return tt == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ms * 1000;
}

/* Append raw bytes as a string, replacing invalid UTF-8 with U+FFFD so the
 * column stays valid text. */
static void append_text(struct lake_column *c, const char *p, size_t n)
{
    struct ju_buf b = JU_BUF_INIT;
    size_t i = 0;
    int clean = 1;

    for (i = 0; i < n; i++) {
        if ((unsigned char)p[i] >= 0x80) {
            clean = 0;
            break;
        }
    }
    if (clean) {
        lake_batch_append_str(c, p, n);
        return;
    }
    /* Slow path: decode byte by byte. */
    i = 0;
    while (i < n) {
        unsigned char ch = (unsigned char)p[i];
        size_t k = 0;
        if (ch < 0x80)
            k = 1;
        else if (ch >= 0xc2 && ch <= 0xdf)
            k = 2;
        else if (ch >= 0xe0 && ch <= 0xef)
            k = 3;
        else if (ch >= 0xf0 && ch <= 0xf4)
            k = 4;
        if (k && i + k <= n) {
            size_t j;
            for (j = 1; j < k; j++)
                if (((unsigned char)p[i + j] & 0xc0) != 0x80)
                    break;
            if (j == k) {
                ju_buf_add(&b, p + i, k);
                i += k;
                continue;
            }
        }
        ju_buf_adds(&b, "\xef\xbf\xbd");
        i++;
    }
    lake_batch_append_str(c, b.data ? b.data : "", b.len);
    ju_buf_release(&b);
}

void ingest_set_init(struct ingest_set *set, size_t nparts)
{
    memset(set, 0, sizeof(*set));
    set->consumed = ju_xcalloc(nparts ? nparts : 1, sizeof(*set->consumed));
}

void ingest_set_release(struct ingest_set *set, size_t nparts)
{
    (void)nparts;
    if (set->bronze)
        lake_batch_free(set->bronze);
    if (set->quarantine)
        lake_batch_free(set->quarantine);
    free(set->consumed);
    memset(set, 0, sizeof(*set));
}

void ingest_set_reset(struct ingest_set *set, size_t nparts)
{
    (void)nparts;
    if (set->bronze)
        lake_batch_reset(set->bronze);
    set->bronze_rows = 0;
    if (set->quarantine)
        lake_batch_reset(set->quarantine);
    set->rows = 0;
    set->final = 0;
}

void ingest_batch_add(struct ingest_state *st, size_t pi,
                      const rd_kafka_message_t *m)
{
    struct ingest_part *pt = &st->parts[pi];
    struct ingest_set *set = st->cur;
    struct ingest_event ev;
    char err[160];
    const char *topic = st->opts.topic;
    size_t tlen = st->topic_len;
    int64_t off = m->offset;
    int64_t kts;

    if (off < pt->skip_bronze && off < pt->skip_quar) {
        st->n_skipped++;
        return;
    }
    kts = kafka_ts_us(m);
    if (!ingest_parse_event(m->payload ? m->payload : "", m->len, &ev,
                            &st->scratch, err, sizeof(err))) {
        struct lake_column *c;
        if (off < pt->skip_bronze) {
            st->n_skipped++;
            return;
        }
        if (!set->bronze) {
            struct lake_schema bs, qs;
            ingest_schemas(&bs, &qs);
            set->bronze = lake_batch_new(&bs);
            lake_schema_release(&bs);
            lake_schema_release(&qs);
        }
        c = set->bronze->columns;
        lake_batch_append_str(&c[B_ID], ev.event_id.p, ev.event_id.n);
        lake_batch_append_str(&c[B_TYPE], ev.event_type.p, ev.event_type.n);
        lake_batch_append_i64(&c[B_TS], ev.ts_us);
        lake_batch_append_str(&c[B_VALUE], ev.value.p, ev.value.n);
        lake_batch_append_str(&c[B_TOPIC], topic, tlen);
        lake_batch_append_i32(&c[B_PART], pt->id);
        lake_batch_append_i64(&c[B_OFF], off);
        if (kts < 0)
            lake_batch_append_null(&c[B_KTS]);
        else
            lake_batch_append_i64(&c[B_KTS], kts);
        lake_batch_append_i64(&c[B_ITIME], set->ingest_time);
        set->bronze_rows++;
        set->rows++;
        st->n_valid++;
    } else {
        struct lake_column *c;
        size_t n = m->len;
        if (off < pt->skip_quar) {
            st->n_skipped++;
            return;
        }
        if (!set->quarantine) {
            struct lake_schema bs, qs;
            ingest_schemas(&bs, &qs);
            set->quarantine = lake_batch_new(&qs);
            lake_schema_release(&bs);
            lake_schema_release(&qs);
        }
        c = set->quarantine->columns;
        if (n > INGEST_MAX_PAYLOAD)
            n = INGEST_MAX_PAYLOAD; /* keep the first 64 KiB */
        append_text(&c[Q_RAW], m->payload ? m->payload : "", n);
        lake_batch_append_str(&c[Q_ERR], err, strlen(err));
        lake_batch_append_str(&c[Q_TOPIC], topic, tlen);
        lake_batch_append_i32(&c[Q_PART], pt->id);
        lake_batch_append_i64(&c[Q_OFF], off);
        if (kts < 0)
            lake_batch_append_null(&c[Q_KTS]);
        else
            lake_batch_append_i64(&c[Q_KTS], kts);
        lake_batch_append_i64(&c[Q_ITIME], set->ingest_time);
        set->rows++;
        st->n_invalid++;
    }
}
