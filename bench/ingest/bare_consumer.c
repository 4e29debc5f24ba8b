/*
 * bare_consumer.c: the baseline of bench/ingest: a librdkafka consumer that
 * assigns every partition of a topic from the beginning, batch-consumes to
 * the high watermarks and only touches each payload. Prints msgs and secs.
 * Usage: bare_consumer BOOTSTRAP TOPIC
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;
    const struct rd_kafka_metadata *md;
    rd_kafka_topic_t *rkt;
    rd_kafka_topic_partition_list_t *tp;
    rd_kafka_queue_t *q;
    rd_kafka_message_t *msgs[4096];
    int64_t *high, total = 0, want = 0;
    int np, i, left;
    uint64_t touch = 0;
    double t0;

    if (argc != 3)
        return 2;
    rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "group.id", "bare", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "fetch.wait.max.ms", "50", errstr, sizeof(errstr));
    /* same fetch settings as jobctl-bronze-ingest */
    rd_kafka_conf_set(conf, "fetch.error.backoff.ms", "10", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "fetch.max.bytes", "52428800", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "max.partition.fetch.bytes", "4194304", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "queued.min.messages", "1000000", errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "queued.max.messages.kbytes", "65536", errstr, sizeof(errstr));
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "%s\n", errstr);
        return 1;
    }
    t0 = now();
    rkt = rd_kafka_topic_new(rk, argv[2], NULL);
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1)
        return 1;
    np = md->topics[0].partition_cnt;
    high = calloc((size_t)np, sizeof(*high));
    tp = rd_kafka_topic_partition_list_new(np);
    for (i = 0; i < np; i++) {
        int64_t lo, hi;
        rd_kafka_query_watermark_offsets(rk, argv[2], i, &lo, &hi, 10000);
        high[i] = hi;
        want += hi - lo;
        rd_kafka_topic_partition_list_add(tp, argv[2], i)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_assign(rk, tp);
    rd_kafka_topic_partition_list_destroy(tp);
    q = rd_kafka_queue_get_consumer(rk);
    left = np;
    while (left > 0 && total < want) {
        ssize_t n = rd_kafka_consume_batch_queue(q, 100, msgs, 4096), k;
        for (k = 0; k < n; k++) {
            rd_kafka_message_t *m = msgs[k];
            if (!m->err) {
                const unsigned char *p = m->payload;
                size_t j;
                for (j = 0; j < m->len; j += 64)
                    touch += p[j];
                total++;
            }
            rd_kafka_message_destroy(m);
        }
    }
    printf("%lld %.3f %llu\n", (long long)total, now() - t0,
           (unsigned long long)touch);
    rd_kafka_queue_destroy(q);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    free(high);
    return 0;
}
