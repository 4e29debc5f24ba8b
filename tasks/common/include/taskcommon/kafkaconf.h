/*
 * kafkaconf.h: librdkafka configuration from the environment
 * (KAFKA_BOOTSTRAP or $JOBCTL_HOME/kafka.bootstrap, KAFKA_API_KEY/SECRET
 * -> SASL_SSL + PLAIN, KAFKA_CONFIG file). Secrets never reach errors.
 */
#ifndef JOBCTL_TASKCOMMON_KAFKACONF_H
#define JOBCTL_TASKCOMMON_KAFKACONF_H

#include <librdkafka/rdkafka.h>

/* $KAFKA_TOPIC or "stream-input". Borrowed. */
const char *kafkaconf_topic(void);
/*
 * Bootstrap servers: $KAFKA_BOOTSTRAP, else the first line of
 * $JOBCTL_HOME/kafka.bootstrap. Malloc'd; JC_ENOTFOUND when neither.
 */
int kafkaconf_bootstrap(char **out);
/*
 * Instance id of the embedded broker ("instance=" line of
 * $JOBCTL_HOME/kafka.bootstrap) when that file gives the bootstrap
 * servers; NULL otherwise (KAFKA_BOOTSTRAP set, or no such line).
 * Malloc'd.
 */
char *kafkaconf_instance(void);
/*
 * Fill conf with bootstrap.servers, SASL settings and KAFKA_CONFIG lines.
 * On error the message names the property but never a secret value.
 */
int kafkaconf_apply(rd_kafka_conf_t *conf);
/* Set one property; error text never includes the value. */
int kafkaconf_set(rd_kafka_conf_t *conf, const char *key, const char *val);

#endif
