/*
 * kafkaconf.c: build a librdkafka configuration from the environment
 * (DESIGN.md section 3). The SASL secret is passed to librdkafka and to
 * nothing else: error messages name properties, never values.
 */
#include "taskcommon/kafkaconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "taskcommon/task.h"
#include "util/mem.h"

const char *kafkaconf_topic(void)
{
    const char *t = getenv("KAFKA_TOPIC");

    return t && *t ? t : "stream-input";
}

static char *trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int kafkaconf_bootstrap(char **out)
{
    const char *b = getenv("KAFKA_BOOTSTRAP");
    char *home, *path, line[1024];
    FILE *f;

    if (b && *b) {
        *out = ju_xstrdup(b);
        return 0;
    }
    home = task_home();
    path = ju_xasprintf("%s/kafka.bootstrap", home);
    free(home);
    f = fopen(path, "r");
    if (!f) {
        jc_err_set(JC_ENOTFOUND,
                   "KAFKA_BOOTSTRAP is unset and '%s' does not exist "
                   "(start 'jobctl kafka-broker' or set KAFKA_BOOTSTRAP)",
                   path);
        free(path);
        return JC_ENOTFOUND;
    }
    if (!fgets(line, sizeof(line), f) || !*trim(line)) {
        fclose(f);
        jc_err_set(JC_EINVAL, "'%s' is empty", path);
        free(path);
        return JC_EINVAL;
    }
    fclose(f);
    free(path);
    *out = ju_xstrdup(trim(line));
    return 0;
}

char *kafkaconf_instance(void)
{
    const char *b = getenv("KAFKA_BOOTSTRAP");
    char *home, *path, line[256], *r = NULL;
    FILE *f;

    if (b && *b)
        return NULL;
    home = task_home();
    path = ju_xasprintf("%s/kafka.bootstrap", home);
    free(home);
    f = fopen(path, "r");
    free(path);
    if (!f)
        return NULL;
    while (!r && fgets(line, sizeof(line), f)) {
        char *t = trim(line);
        if (!strncmp(t, "instance=", 9) && t[9])
            r = ju_xstrdup(t + 9);
    }
    fclose(f);
    return r;
}

int kafkaconf_set(rd_kafka_conf_t *conf, const char *key, const char *val)
{
    char errstr[512];

    if (rd_kafka_conf_set(conf, key, val, errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK)
        return jc_err_set(JC_EINVAL, "invalid kafka property '%s'", key);
    return 0;
}

static int apply_file(rd_kafka_conf_t *conf, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    int lineno = 0, rc = 0;

    if (!f)
        return jc_err_set(JC_EIO, "cannot open '%s': %s", path,
                          strerror(errno));
    while (fgets(line, sizeof(line), f)) {
        char *s = trim(line), *eq;
        lineno++;
        if (!*s || *s == '#')
            continue;
        eq = strchr(s, '=');
        if (!eq) {
            rc = jc_err_set(JC_EPARSE, "%s:%d:1: expected key=value", path,
                            lineno);
            break;
        }
        *eq = '\0';
        rc = kafkaconf_set(conf, trim(s), trim(eq + 1));
        if (rc) {
            jc_err_wrap(rc, "%s:%d", path, lineno);
            break;
        }
    }
    fclose(f);
    return rc;
}

int kafkaconf_apply(rd_kafka_conf_t *conf)
{
    const char *key = getenv("KAFKA_API_KEY");
    const char *secret = getenv("KAFKA_API_SECRET");
    const char *file = getenv("KAFKA_CONFIG");
    char *bootstrap = NULL;
    int rc;

    rc = kafkaconf_bootstrap(&bootstrap);
    if (rc)
        return rc;
    rc = kafkaconf_set(conf, "bootstrap.servers", bootstrap);
    free(bootstrap);
    if (rc)
        return rc;
    if ((key && *key) || (secret && *secret)) {
        if (!key || !*key || !secret || !*secret)
            return jc_err_set(JC_EINVAL, "KAFKA_API_KEY and KAFKA_API_SECRET "
                                         "must be set together");
        if ((rc = kafkaconf_set(conf, "security.protocol", "SASL_SSL")) ||
            (rc = kafkaconf_set(conf, "sasl.mechanisms", "PLAIN")) ||
            (rc = kafkaconf_set(conf, "sasl.username", key)) ||
            (rc = kafkaconf_set(conf, "sasl.password", secret)))
            return rc;
    }
    if (file && *file)
        return apply_file(conf, file);
    return 0;
}
