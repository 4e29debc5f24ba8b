/*
 * main.c: jobctl-kafka-broker: runs librdkafka's mock cluster on loopback
 * until SIGTERM/SIGINT, creates the topics, prints the bootstrap address
 * and writes it to $JOBCTL_HOME/kafka.bootstrap (removed on exit).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "jobctl/err.h"
#include "taskcommon/kafkaconf.h"
#include "taskcommon/task.h"
#include "util/log.h"
#include "util/mem.h"

#define MAX_TOPICS 64

static void usage(void)
{
    fprintf(stderr, "usage: jobctl kafka-broker [--partitions N] "
                    "[--topic T]... [--brokers N]\n");
}

static int write_atomic(const char *path, const char *text)
{
    char *tmp = ju_xasprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t n = strlen(text);

    if (fd < 0) {
        jc_err_set(JC_EIO, "cannot create '%s': %s", tmp, strerror(errno));
        free(tmp);
        return JC_EIO;
    }
    if (write(fd, text, n) != (ssize_t)n || fsync(fd) || close(fd) ||
        rename(tmp, path)) {
        jc_err_set(JC_EIO, "cannot write '%s': %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return JC_EIO;
    }
    free(tmp);
    return 0;
}

int main(int argc, char **argv)
{
    const char *topics[MAX_TOPICS];
    int ntopics = 0, i, sig, rc = 0;
    long partitions = 3, brokers = 1;
    rd_kafka_conf_t *conf;
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mc;
    char errstr[512], *home, *path, *line;
    const char *bootstraps;
    sigset_t set;

    ju_log_init_from_env();
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage();
            return 0;
        }
        if (!strncmp(a, "--topic=", 8))
            v = a + 8;
        else if (!strcmp(a, "--topic") && i + 1 < argc)
            v = argv[++i];
        if (v) {
            if (!*v || ntopics == MAX_TOPICS) {
                fprintf(stderr, "jobctl-kafka-broker: invalid --topic\n");
                return 2;
            }
            topics[ntopics++] = v;
            continue;
        }
        if (!strncmp(a, "--partitions=", 13) || !strcmp(a, "--partitions") ||
            !strncmp(a, "--brokers=", 10) || !strcmp(a, "--brokers")) {
            int isp = a[2] == 'p';
            const char *val = strchr(a, '=');
            char *end;
            long x;
            if (val)
                val++;
            else if (i + 1 < argc)
                val = argv[++i];
            else
                val = "";
            errno = 0;
            x = strtol(val, &end, 10);
            if (errno || *end || !*val || x < 1 || x > (isp ? 1024 : 9)) {
                fprintf(stderr, "jobctl-kafka-broker: invalid %s '%s'\n",
                        isp ? "--partitions" : "--brokers", val);
                return 2;
            }
            if (isp)
                partitions = x;
            else
                brokers = x;
            continue;
        }
        usage();
        return 2;
    }
    if (!ntopics)
        topics[ntopics++] = kafkaconf_topic();

    /* Block the signals before librdkafka starts threads; sigwait below. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "jobctl-kafka-broker: %s\n", errstr);
        return 1;
    }
    mc = rd_kafka_mock_cluster_new(rk, (int)brokers);
    if (!mc) {
        fprintf(stderr, "jobctl-kafka-broker: cannot start mock cluster\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    for (i = 0; i < ntopics; i++) {
        rd_kafka_resp_err_t err =
            rd_kafka_mock_topic_create(mc, topics[i], (int)partitions, 1);
        if (err) {
            fprintf(stderr,
                    "jobctl-kafka-broker: cannot create topic '%s': "
                    "%s\n",
                    topics[i], rd_kafka_err2str(err));
            rc = 1;
            goto out;
        }
    }
    bootstraps = rd_kafka_mock_cluster_bootstraps(mc);
    home = task_home();
    path = ju_xasprintf("%s/kafka.bootstrap", home);
    free(home);
    {
        char *dir = task_home();
        rc = task_mkdirs(dir);
        free(dir);
    }
    /* Line 2: a random id of this broker instance. Its cluster id is not
     * unique across restarts, and a restart starts every topic again at
     * offset 0, so consumers key their stored offsets on this too. */
    {
        unsigned char rnd[8];
        char hex[17];
        size_t k;
        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
            uint64_t x = (uint64_t)task_now_us() ^ (uint64_t)getpid() << 32;
            memcpy(rnd, &x, sizeof(rnd));
        }
        for (k = 0; k < sizeof(rnd); k++)
            snprintf(hex + 2 * k, 3, "%02x", rnd[k]);
        line = ju_xasprintf("%s\ninstance=%s\n", bootstraps, hex);
    }
    if (!rc)
        rc = write_atomic(path, line);
    free(line);
    if (rc) {
        fprintf(stderr, "jobctl-kafka-broker: %s\n", jc_err_last());
        free(path);
        rc = 1;
        goto out;
    }
    printf("bootstrap %s\n", bootstraps);
    for (i = 0; i < ntopics; i++)
        printf("topic %s partitions %ld\n", topics[i], partitions);
    fflush(stdout);
    log_info("embedded broker ready bootstrap=%s file=%s", bootstraps, path);

    for (;;) {
        if (sigwait(&set, &sig))
            continue;
        if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)
            break;
    }
    log_info("embedded broker stopping signal=%d", sig);
    /* Remove the address only if it is still ours. */
    {
        FILE *f = fopen(path, "r");
        char buf[512];
        if (f) {
            if (fgets(buf, sizeof(buf), f) &&
                !strncmp(buf, bootstraps, strlen(bootstraps)))
                unlink(path);
            fclose(f);
        }
    }
    free(path);
out:
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return rc;
}
