/*
 * test_kafka_payload.c: the bronze payload scanner accepts exactly the
 * event schema (any key order, whitespace, escapes, unknown fields) and
 * rejects everything else with a reason that names the problem.
 */
#include "testsupport.h"

#include <string.h>

#include "parse.h"

static struct ingest_scratch scratch;

static int parse(const char *s, struct ingest_event *ev, char *err)
{
    return ingest_parse_event(s, strlen(s), ev, &scratch, err, 160);
}

static void expect_str(const struct ingest_str *s, const char *want)
{
    assert_int_equal(s->n, strlen(want));
    assert_memory_equal(s->p, want, s->n);
}

static void test_kafka_payload_seed_event(void **state)
{
    struct ingest_event ev;
    char err[160];

    (void)state;
    assert_int_equal(parse("{\"event_id\":\"997\",\"event_type\":\"click\","
                           "\"timestamp\":\"2025-04-01T17:37:57.000Z\","
                           "\"value\":\"1984\"}",
                           &ev, err),
                     0);
    expect_str(&ev.event_id, "997");
    expect_str(&ev.event_type, "click");
    expect_str(&ev.value, "1984");
    assert_int_equal(ev.ts_us, 1743529077000000LL);
}

static void test_kafka_payload_order_whitespace_unknown(void **state)
{
    struct ingest_event ev;
    char err[160];

    (void)state;
    assert_int_equal(
        parse(" {\n \"value\" : \"1.5\" ,\t\"extra\": {\"a\":[1,2.5e3,true,"
              "null,\"x\"]}, \"timestamp\":\"2025-04-01 17:37:57.123456+02:00\""
              ",\"event_type\":\"view\",\"event_id\":\"a\"}\r\n",
              &ev, err),
        0);
    expect_str(&ev.value, "1.5");
    expect_str(&ev.event_id, "a");
    assert_int_equal(ev.ts_us, 1743529077123456LL - 7200LL * 1000000);
}

static void test_kafka_payload_escapes(void **state)
{
    struct ingest_event ev;
    char err[160];

    (void)state;
    assert_int_equal(parse("{\"event_id\":\"a\\\"b\\\\c\\u00e9\\ud83d\\ude00\","
                           "\"event_type\":\"cl\\u0069ck\","
                           "\"timestamp\":\"2025-04-01T00:00:00Z\","
                           "\"value\":\"\\/1\"}",
                           &ev, err),
                     0);
    expect_str(&ev.event_id, "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80");
    expect_str(&ev.event_type, "click");
    expect_str(&ev.value, "/1");
}

static void expect_reject(const char *payload, const char *reason)
{
    struct ingest_event ev;
    char err[160];

    if (parse(payload, &ev, err) == 0)
        fail_msg("accepted: %s", payload);
    if (!strstr(err, reason))
        fail_msg("reason '%s' lacks '%s' for %s", err, reason, payload);
}

static void test_kafka_payload_rejects(void **state)
{
    (void)state;
    expect_reject("", "expected '{'");
    expect_reject("[1]", "expected '{'");
    expect_reject("{\"event_id\":\"1\",\"event_type\":\"click\","
                  "\"timestamp\":\"2025-04-01T17:37:57Z\"}",
                  "missing field 'value'");
    expect_reject("{\"event_id\":1,\"event_type\":\"click\","
                  "\"timestamp\":\"2025-04-01T17:37:57Z\",\"value\":\"1\"}",
                  "field 'event_id' must be a string");
    expect_reject("{\"event_id\":\"1\",\"event_id\":\"2\"}",
                  "duplicate field 'event_id'");
    expect_reject("{\"event_id\":\"1\",\"event_type\":\"click\","
                  "\"timestamp\":\"yesterday\",\"value\":\"1\"}",
                  "field 'timestamp' is not an ISO-8601 time");
    expect_reject("{\"event_id\":\"1\",\"event_type\":\"click\","
                  "\"timestamp\":\"2025-02-30T00:00:00Z\",\"value\":\"1\"}",
                  "ISO-8601");
    expect_reject("{\"event_id\":\"1\"", "expected ',' or '}'");
    expect_reject("{\"event_id\":\"1", "unterminated string");
    expect_reject("{\"event_id\":\"a\nb\"}", "control character");
    expect_reject("{\"event_id\":\"\\x\"}", "invalid escape");
    expect_reject("{\"event_id\":\"\\ud800\"}", "unpaired surrogate");
    expect_reject("{\"event_id\":\"\xff\"}", "invalid UTF-8");
    expect_reject("{} x", "trailing data");
    expect_reject("{\"x\":01}", "expected ',' or '}'");
    expect_reject("{\"x\":tru}", "invalid literal");
    expect_reject("{\"event_id\":\"1\",}", "expected a string");
}

static void test_kafka_payload_limits(void **state)
{
    static char big[INGEST_MAX_PAYLOAD + 100];
    static char deep[200];
    struct ingest_event ev;
    char err[160];
    int i;

    (void)state;
    memset(big, ' ', sizeof(big) - 1);
    big[0] = '{';
    big[sizeof(big) - 2] = '}';
    big[sizeof(big) - 1] = '\0';
    assert_int_not_equal(parse(big, &ev, err), 0);
    assert_non_null(strstr(err, "payload too large"));
    memcpy(deep, "{\"x\":", 5);
    for (i = 5; i < 150; i++)
        deep[i] = '[';
    deep[i] = '\0';
    assert_int_not_equal(parse(deep, &ev, err), 0);
    assert_non_null(strstr(err, "nesting too deep"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kafka_payload_seed_event),
        cmocka_unit_test(test_kafka_payload_order_whitespace_unknown),
        cmocka_unit_test(test_kafka_payload_escapes),
        cmocka_unit_test(test_kafka_payload_rejects),
        cmocka_unit_test(test_kafka_payload_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
