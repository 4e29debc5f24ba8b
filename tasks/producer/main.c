/*
 * main.c: jobctl-producer (`jobctl produce`): sends synthetic events shaped
 * like the seed's sample event to KAFKA_TOPIC, zstd-compressed and keyed by
 * event_id, with chosen rates of duplicates, late events, anomalies and
 * malformed messages. Deterministic for a given --seed.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "jobctl/err.h"
#include "taskcommon/kafkaconf.h"
#include "taskcommon/task.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

#define RECENT 4096 /* ring of recently sent events for duplicates */

struct sent_event {
    long id;
    int type;
    int64_t ts_ms;
    char value[32];
};

struct counts {
    long sent, fresh, late, anomalies, duplicates, malformed;
    long delivered, failed;
};

static const char *const types[3] = {"click", "purchase", "view"};

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double rng_unit(void)
{
    return (double)(rng_next() >> 11) / 9007199254740992.0;
}

static long rng_range(long lo, long hi) /* inclusive */
{
    return lo + (long)(rng_next() % (uint64_t)(hi - lo + 1));
}

static void fmt_ms(int64_t ms, char *buf, size_t n)
{
    task_fmt_ts(ms * 1000, buf, n);
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct counts *c = opaque;

    (void)rk;
    if (m->err)
        c->failed++;
    else
        c->delivered++;
}

static void event_json(struct ju_buf *b, const struct sent_event *e)
{
    char ts[40];

    fmt_ms(e->ts_ms, ts, sizeof(ts));
    ju_buf_reset(b);
    ju_buf_addf(b,
                "{\"event_id\":\"%ld\",\"event_type\":\"%s\","
                "\"timestamp\":\"%s\",\"value\":\"%s\"}",
                e->id, types[e->type], ts, e->value);
}

static void malformed_json(struct ju_buf *b, long id, int64_t now_ms,
                           const char **kind)
{
    char ts[40];
    int variant = (int)rng_range(0, 6);

    fmt_ms(now_ms, ts, sizeof(ts));
    ju_buf_reset(b);
    switch (variant) {
    case 0:
        *kind = "bad_json";
        ju_buf_addf(b,
                    "{\"event_id\":\"%ld\",\"event_type\":\"click\","
                    "\"timestamp\":\"%s\",\"val",
                    id, ts);
        break;
    case 1:
        *kind = "missing_field";
        ju_buf_addf(b,
                    "{\"event_id\":\"%ld\",\"event_type\":\"view\","
                    "\"timestamp\":\"%s\"}",
                    id, ts);
        break;
    case 2:
        *kind = "wrong_type";
        ju_buf_addf(b,
                    "{\"event_id\":%ld,\"event_type\":\"click\","
                    "\"timestamp\":\"%s\",\"value\":\"12\"}",
                    id, ts);
        break;
    case 3:
        *kind = "oversize";
        ju_buf_addf(b,
                    "{\"event_id\":\"%ld\",\"event_type\":\"click\","
                    "\"timestamp\":\"%s\",\"value\":\"",
                    id, ts);
        while (b->len < 70000)
            ju_buf_adds(b, "9999999999999999999999999999999999999999");
        ju_buf_adds(b, "\"}");
        break;
    case 4:
        *kind = "not_object";
        ju_buf_addf(b, "[\"%ld\",\"click\"]", id);
        break;
    case 5:
        *kind = "bad_timestamp";
        ju_buf_addf(b,
                    "{\"event_id\":\"%ld\",\"event_type\":\"click\","
                    "\"timestamp\":\"yesterday\",\"value\":\"5\"}",
                    id);
        break;
    default:
        *kind = "not_json";
        ju_buf_addf(b, "event %ld click %s", id, ts);
        break;
    }
}

static void json_escape(FILE *f, const char *s, size_t n)
{
    size_t i;

    fputc('"', f);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static const char usage_text[] =
    "usage: jobctl produce [--count N] [--rate EPS] [--duplicates P] "
    "[--late P]\n"
    "                      [--anomalies P] [--malformed P] [--seed S] "
    "[--partitions N]\n"
    "                      [--topic T] [--manifest FILE] [--first-id N] "
    "[--quiet]\n"
    "P are fractions 0..1 of the messages; --partitions N spreads keys over "
    "the\nfirst N partitions; KAFKA_BOOTSTRAP (else "
    "$JOBCTL_HOME/kafka.bootstrap),\nKAFKA_TOPIC (default stream-input).\n";

static const char *const known_opts[] = {
    "count",     "rate",  "duplicates", "late",  "anomalies",
    "malformed", "seed",  "partitions", "topic", "manifest",
    "first-id",  "quiet", NULL};

static int produce_one(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int32_t part,
                       const char *key, size_t keylen, struct ju_buf *b)
{
    for (;;) {
        if (rd_kafka_produce(rkt, part, RD_KAFKA_MSG_F_COPY, b->data, b->len,
                             key, keylen, NULL) == 0)
            return 0;
        if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return jc_err_set(JC_EIO, "produce failed: %s",
                              rd_kafka_err2str(rd_kafka_last_error()));
        rd_kafka_poll(rk, 10);
    }
}

static uint32_t key_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

int main(int argc, char **argv)
{
    long count, partitions, first_id, seed;
    double rate, p_dup, p_late, p_anom, p_bad;
    const char *topic, *manifest_path;
    struct sent_event *recent;
    long nrecent = 0, next_id, i;
    struct counts c = {0};
    struct ju_buf b = JU_BUF_INIT;
    rd_kafka_conf_t *conf;
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    FILE *manifest = NULL;
    char errstr[512];
    int64_t now_ms;
    double t0, last_progress = 0;
    int tty = isatty(STDERR_FILENO), quiet;

    ju_log_init_from_env();
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("%s", usage_text);
        return TASK_EXIT_OK;
    }
    if (task_check_args(argc, argv, known_opts) ||
        task_param_long(argc, argv, "count", 1000, 0, 1000000000L, &count) ||
        task_param_double(argc, argv, "rate", 0, 0, 1e9, &rate) ||
        task_param_double(argc, argv, "duplicates", 0, 0, 1, &p_dup) ||
        task_param_double(argc, argv, "late", 0, 0, 1, &p_late) ||
        task_param_double(argc, argv, "anomalies", 0, 0, 1, &p_anom) ||
        task_param_double(argc, argv, "malformed", 0, 0, 1, &p_bad) ||
        task_param_long(argc, argv, "seed", 42, 0, 0x7fffffffffffffffL,
                        &seed) ||
        task_param_long(argc, argv, "partitions", 0, 0, 100000, &partitions) ||
        task_param_long(argc, argv, "first-id", 1, 0, 1000000000000L,
                        &first_id)) {
        fprintf(stderr, "jobctl-producer: %s\n", jc_err_last());
        fprintf(stderr, "%s", usage_text);
        return TASK_EXIT_USAGE;
    }
    if (p_dup + p_bad > 1) {
        fprintf(stderr, "jobctl-producer: --duplicates + --malformed > 1\n");
        return TASK_EXIT_USAGE;
    }
    quiet = task_flag(argc, argv, "quiet");
    topic = task_param(argc, argv, "topic");
    if (!topic || !*topic)
        topic = kafkaconf_topic();
    manifest_path = task_param(argc, argv, "manifest");
    rng_state = (uint64_t)seed;
    next_id = first_id;

    conf = rd_kafka_conf_new();
    if (kafkaconf_apply(conf) ||
        kafkaconf_set(conf, "compression.type", "zstd") ||
        kafkaconf_set(conf, "linger.ms", "20") ||
        kafkaconf_set(conf, "batch.size", "1000000") ||
        kafkaconf_set(conf, "batch.num.messages", "100000") ||
        kafkaconf_set(conf, "queue.buffering.max.messages", "1000000") ||
        kafkaconf_set(conf, "queue.buffering.max.kbytes", "1048576") ||
        kafkaconf_set(conf, "log_level", "3")) {
        fprintf(stderr, "jobctl-producer: %s\n", jc_err_last());
        rd_kafka_conf_destroy(conf);
        return TASK_EXIT_FAIL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, &c);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "jobctl-producer: cannot create producer: %s\n",
                errstr);
        return TASK_EXIT_FAIL;
    }
    rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (manifest_path && *manifest_path) {
        manifest = fopen(manifest_path, "w");
        if (!manifest) {
            fprintf(stderr, "jobctl-producer: cannot create '%s': %s\n",
                    manifest_path, strerror(errno));
            rd_kafka_topic_destroy(rkt);
            rd_kafka_destroy(rk);
            return TASK_EXIT_FAIL;
        }
    }
    recent = ju_xcalloc(RECENT, sizeof(*recent));
    now_ms = task_now_us() / 1000;
    t0 = task_mono();
    for (i = 0; i < count; i++) {
        double r = rng_unit();
        const char *kind;
        char key[32];
        size_t keylen;
        int32_t part = RD_KAFKA_PARTITION_UA;

        if (i % 1024 == 0)
            now_ms = task_now_us() / 1000;
        if (r < p_bad) {
            long id = next_id++;
            malformed_json(&b, id, now_ms, &kind);
            keylen = (size_t)snprintf(key, sizeof(key), "%ld", id);
            c.malformed++;
        } else if (r < p_bad + p_dup && nrecent > 0) {
            long back = nrecent < RECENT ? nrecent : RECENT;
            struct sent_event *e =
                &recent[(nrecent - 1 - rng_range(0, back - 1)) % RECENT];
            if (rng_unit() < 0.5) {
                kind = "duplicate";
            } else {
                kind = "duplicate_later";
                e->ts_ms += rng_range(1, 60) * 1000;
                if (e->ts_ms > now_ms)
                    e->ts_ms = now_ms; /* re-sent now, never in the future */
            }
            event_json(&b, e);
            keylen = (size_t)snprintf(key, sizeof(key), "%ld", e->id);
            c.duplicates++;
        } else {
            struct sent_event *e = &recent[nrecent % RECENT];
            e->id = next_id++;
            e->type = (int)rng_range(0, 2);
            kind = "event";
            if (rng_unit() < p_late) {
                e->ts_ms = now_ms - rng_range(301, 3 * 3600) * 1000 -
                           rng_range(0, 999);
                kind = "late";
                c.late++;
            } else {
                e->ts_ms = now_ms - rng_range(0, 999);
            }
            if (rng_unit() < p_anom) {
                long v = rng_range(50000, 100000);
                snprintf(e->value, sizeof(e->value), "%ld.%ld",
                         rng_unit() < 0.3 ? -v : v, rng_range(0, 9));
                kind = !strcmp(kind, "late") ? "late_anomaly" : "anomaly";
                c.anomalies++;
            } else {
                snprintf(e->value, sizeof(e->value), "%ld", rng_range(1, 2000));
            }
            nrecent++;
            event_json(&b, e);
            keylen = (size_t)snprintf(key, sizeof(key), "%ld", e->id);
            c.fresh++;
        }
        if (partitions > 0)
            part = (int32_t)(key_hash(key, keylen) % (uint32_t)partitions);
        if (produce_one(rk, rkt, part, key, keylen, &b)) {
            fprintf(stderr, "jobctl-producer: %s\n", jc_err_last());
            break;
        }
        c.sent++;
        if (manifest) {
            fprintf(manifest,
                    "{\"key\":\"%s\",\"kind\":\"%s\",\"payload\":", key, kind);
            json_escape(manifest, b.data, b.len);
            fputs("}\n", manifest);
        }
        if (i % 1000 == 0)
            rd_kafka_poll(rk, 0);
        if (rate > 0) {
            double due = t0 + (double)(i + 1) / rate;
            double now = task_mono();
            if (due > now + 0.001) {
                struct timespec ts;
                double d = due - now;
                ts.tv_sec = (time_t)d;
                ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
                rd_kafka_poll(rk, 0);
                nanosleep(&ts, NULL);
            }
        }
        if (tty && !quiet && (i & 1023) == 0) {
            double now = task_mono();
            if (now - last_progress > 0.5) {
                last_progress = now;
                fprintf(stderr, "\rproduced %ld/%ld (%.0f msg/s)", i + 1, count,
                        (double)(i + 1) / (now - t0 + 1e-9));
            }
        }
    }
    while (rd_kafka_outq_len(rk) > 0)
        rd_kafka_flush(rk, 1000);
    if (tty && !quiet)
        fputc('\n', stderr);
    if (manifest)
        fclose(manifest);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    free(recent);
    ju_buf_release(&b);
    printf("produced %ld messages to %s in %.2fs: %ld events (%ld late, %ld "
           "anomalies), %ld duplicates, %ld malformed; %ld failed\n",
           c.sent, topic, task_mono() - t0, c.fresh, c.late, c.anomalies,
           c.duplicates, c.malformed, c.failed);
    if (c.failed || c.sent != count)
        return TASK_EXIT_FAIL;
    return TASK_EXIT_OK;
}
