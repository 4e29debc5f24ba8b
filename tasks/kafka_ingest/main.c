/*
 * main.c: jobctl-bronze-ingest: Kafka topic -> bronze_events (valid
 * events) and bronze_quarantine (everything else), exactly once through
 * Delta txn actions. --available-now (default) drains to the high
 * watermarks seen at start; --continuous runs micro-batches until stopped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "ingest.h"
#include "jobctl/err.h"
#include "taskcommon/kafkaconf.h"
#include "taskcommon/task.h"
#include "util/log.h"
#include "util/mem.h"

static const char *const known_opts[] = {
    "available-now", "continuous",  "batch-size", "linger-ms",
    "max-batches",   "max-seconds", "topic",      "group",
    "print-config",  "codec",       "dictionary", NULL};

static void usage(void)
{
    fprintf(stderr,
            "usage: jobctl-bronze-ingest [--available-now | --continuous] "
            "[--batch-size N] [--linger-ms MS] [--max-batches N] "
            "[--max-seconds S] [--topic T] [--group G] "
            "[--codec snappy|zstd|gzip|uncompressed] [--dictionary=on|off] "
            "[--print-config]\n");
}

static int is_secret(const char *key)
{
    return strstr(key, "password") || strstr(key, "secret") ||
           strstr(key, "sasl.oauthbearer.config") || strstr(key, ".pem");
}

/* --print-config: the effective librdkafka settings, secrets redacted. */
static void print_config(rd_kafka_conf_t *conf)
{
    size_t n, i;
    const char **kv = rd_kafka_conf_dump(conf, &n);

    for (i = 0; i + 1 < n; i += 2)
        printf("%s=%s\n", kv[i], is_secret(kv[i]) ? "[redacted]" : kv[i + 1]);
    rd_kafka_conf_dump_free(kv, n);
}

static int consumer_new(rd_kafka_t **out, int dump)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[512];
    int rc;

    /* librdkafka 2.0 takes a partition off the fetch list once the
     * consumer queue holds queued.min.messages or
     * queued.max.messages.kbytes (both counted over all partitions, as
     * they share one consumer queue) and re-adds it only on its next
     * broker-thread wakeup, up to a second later: every partition
     * stalls at once. With 32 partitions the default 100000 messages
     * is one fetch response, so a parse hiccup stopped the fetcher for
     * ~0.5 s. Bound the prefetch by bytes only (64 MiB, the default)
     * and retry soon after errors. These are defaults KAFKA_CONFIG may
     * override. */
    rc = kafkaconf_set(conf, "fetch.error.backoff.ms", "10");
    if (!rc)
        rc = kafkaconf_set(conf, "fetch.wait.max.ms", "50");
    if (!rc)
        rc = kafkaconf_set(conf, "fetch.max.bytes", "52428800");
    if (!rc)
        rc = kafkaconf_set(conf, "max.partition.fetch.bytes", "4194304");
    if (!rc)
        rc = kafkaconf_set(conf, "queued.min.messages", "1000000");
    if (!rc)
        rc = kafkaconf_set(conf, "queued.max.messages.kbytes", "65536");
    if (!rc)
        rc = kafkaconf_apply(conf);
    if (!rc)
        rc = kafkaconf_set(conf, "enable.auto.commit", "false");
    if (!rc)
        rc = kafkaconf_set(conf, "enable.auto.offset.store", "false");
    if (!rc)
        rc = kafkaconf_set(conf, "enable.partition.eof", "true");
    if (!rc)
        rc = kafkaconf_set(conf, "auto.offset.reset", "earliest");
    if (!rc)
        rc = kafkaconf_set(conf, "log_level", "3");
    if (rc) {
        rd_kafka_conf_destroy(conf);
        return rc;
    }
    /* group.id is needed by the consumer API even with manual assignment;
     * nothing is committed to Kafka. */
    rc = kafkaconf_set(conf, "group.id", "jobctl-bronze-ingest");
    if (rc) {
        rd_kafka_conf_destroy(conf);
        return rc;
    }
    if (dump) {
        print_config(conf);
        rd_kafka_conf_destroy(conf);
        *out = NULL;
        return 0;
    }
    *out = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!*out)
        return jc_err_set(JC_EINVAL, "cannot create consumer: %s", errstr);
    return 0;
}

static int topic_partitions(rd_kafka_t *rk, const char *topic,
                            struct ingest_state *st)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t err;
    int i, tries;

    for (tries = 0; tries < 3; tries++) {
        err = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
        if (!err && md->topic_cnt == 1 && !md->topics[0].err &&
            md->topics[0].partition_cnt > 0)
            break;
        if (!err) {
            err = md->topic_cnt == 1 ? md->topics[0].err
                                     : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
            rd_kafka_metadata_destroy(md);
            md = NULL;
        }
    }
    rd_kafka_topic_destroy(rkt);
    if (!md)
        return jc_err_set(JC_EBUSY, "cannot read metadata of topic '%s': %s",
                          topic, rd_kafka_err2str(err));
    st->nparts = (size_t)md->topics[0].partition_cnt;
    st->parts = ju_xcalloc(st->nparts, sizeof(*st->parts));
    for (i = 0; i < md->topics[0].partition_cnt; i++)
        st->parts[i].id = md->topics[0].partitions[i].id;
    rd_kafka_metadata_destroy(md);
    return 0;
}

int main(int argc, char **argv)
{
    struct ingest_state *st;
    rd_kafka_t *rk = NULL;
    const char *v;
    double t0 = task_mono(), dt;
    int rc, exit_code = TASK_EXIT_OK;
    char buf[64];

    ju_log_init_from_env();
    st = ju_xcalloc(1, sizeof(*st));
    if (task_check_args_ex(argc, argv, known_opts, 0) ||
        task_param_long(argc, argv, "batch-size", 500000, 1, 100000000L,
                        &st->opts.batch_size) ||
        task_param_long(argc, argv, "linger-ms", 1000, 0, 3600000L,
                        &st->opts.linger_ms) ||
        task_param_long(argc, argv, "max-batches", 0, 0, 1000000000L,
                        &st->opts.max_batches) ||
        task_param_double(argc, argv, "max-seconds", 0, 0, 1e9,
                          &st->opts.max_seconds)) {
        fprintf(stderr, "jobctl-bronze-ingest: %s\n", jc_err_last());
        usage();
        return TASK_EXIT_USAGE;
    }
    st->opts.continuous = task_flag(argc, argv, "continuous");
    if (st->opts.continuous && task_flag(argc, argv, "available-now")) {
        fprintf(stderr, "jobctl-bronze-ingest: --available-now and "
                        "--continuous are exclusive\n");
        return TASK_EXIT_USAGE;
    }
    v = task_param(argc, argv, "topic");
    st->opts.topic = v && *v ? v : kafkaconf_topic();
    st->topic_len = strlen(st->opts.topic);
    v = task_param(argc, argv, "codec");
    st->opts.codec = v && *v ? v : NULL;
    if (st->opts.codec && strcmp(v, "snappy") && strcmp(v, "zstd") &&
        strcmp(v, "gzip") && strcmp(v, "uncompressed")) {
        fprintf(stderr, "jobctl-bronze-ingest: invalid --codec '%s'\n", v);
        usage();
        return TASK_EXIT_USAGE;
    }
    v = task_param(argc, argv, "dictionary");
    /* on unless turned off: the writer keeps dictionaries only for columns
     * that repeat (event_type, topic, partition, times) */
    if (v && *v && strcmp(v, "on") && strcmp(v, "off") && strcmp(v, "true") &&
        strcmp(v, "false") && strcmp(v, "1") && strcmp(v, "0")) {
        fprintf(stderr, "jobctl-bronze-ingest: invalid --dictionary '%s'\n", v);
        usage();
        return TASK_EXIT_USAGE;
    }
    st->opts.dictionary =
        !v || !(!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "0"));
    v = task_param(argc, argv, "group");
    if (!v || !*v)
        v = getenv("KAFKA_GROUP_ID");
    st->opts.group = v && *v ? v : "bronze_ingest";

    rc = consumer_new(&rk, task_flag(argc, argv, "print-config"));
    if (rc) {
        fprintf(stderr, "jobctl-bronze-ingest: %s\n", jc_err_last());
        return TASK_EXIT_FAIL;
    }
    if (!rk) {
        free(st);
        return TASK_EXIT_OK; /* --print-config */
    }
    rc = topic_partitions(rk, st->opts.topic, st);
    if (rc) {
        fprintf(stderr, "jobctl-bronze-ingest: %s\n", jc_err_last());
        rd_kafka_destroy(rk);
        return TASK_EXIT_RETRY;
    }
    {
        char *cid = rd_kafka_clusterid(rk, 10000);
        char *inst = kafkaconf_instance();
        const char *c = cid && *cid ? cid : "unknown-cluster";
        st->opts.cluster =
            inst ? ju_xasprintf("%s-%s", c, inst) : ju_xstrdup(c);
        free(inst);
        if (cid)
            rd_kafka_mem_free(rk, cid);
    }
    rc = ingest_open_tables(st);
    if (!rc)
        rc = ingest_load_offsets(st);
    if (rc) {
        fprintf(stderr, "jobctl-bronze-ingest: %s\n", jc_err_last());
        rd_kafka_destroy(rk);
        return TASK_EXIT_FAIL;
    }
    st->bronze_version = lake_table_version(st->bronze);
    st->quar_version = lake_table_version(st->quar);
    log_info("ingest start topic=%s partitions=%zu mode=%s", st->opts.topic,
             st->nparts, st->opts.continuous ? "continuous" : "available-now");
    rc = ingest_run(st, rk);
    if (rc) {
        fprintf(stderr, "jobctl-bronze-ingest: %s\n", jc_err_last());
        exit_code = rc == JC_EBUSY || rc == JC_ECONFLICT ? TASK_EXIT_RETRY
                                                         : TASK_EXIT_FAIL;
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    dt = task_mono() - t0;
    printf("ingested %lld events, quarantined %lld, skipped %lld already "
           "committed, %lld micro-batches in %.2fs (%.0f msg/s); "
           "bronze_events v%lld, bronze_quarantine v%lld\n",
           (long long)st->n_valid, (long long)st->n_invalid,
           (long long)st->n_skipped, (long long)st->n_batches, dt,
           (double)(st->n_valid + st->n_invalid) / (dt > 0 ? dt : 1),
           (long long)st->bronze_version, (long long)st->quar_version);
    snprintf(buf, sizeof(buf), "%lld", (long long)st->n_valid);
    task_value_set("rows_ingested", buf);
    snprintf(buf, sizeof(buf), "%lld", (long long)st->n_invalid);
    task_value_set("rows_quarantined", buf);
    snprintf(buf, sizeof(buf), "%lld", (long long)st->bronze_version);
    task_value_set("bronze_version", buf);
    if (st->bronze)
        lake_table_close(st->bronze);
    if (st->quar)
        lake_table_close(st->quar);
    free(st->parts);
    free(st->opts.cluster);
    free(st);
    return exit_code;
}
