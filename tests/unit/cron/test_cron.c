/*
 * test_cron.c: Quartz cron parsing errors and the next-fire vectors of
 * jobs-api.md section 8.2, including DST gaps (skipped) and overlaps
 * (fired once, at the earlier instant), and the TZif reader.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testsupport.h"

#include "jobctl/cron.h"
#include "jobctl/err.h"
#include "jobctl/tz.h"

static int64_t iso(int y, unsigned m, unsigned d, int hh, int mm, int ss)
{
    return jc_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
}

/* Check the next n fires (local ISO with offset) from start. */
static void expect(const char *expr, const char *zone, int64_t start,
                   const char *const *want, size_t n)
{
    struct jc_cron *c = NULL;
    const struct jc_tz *tz = NULL;
    char err[256];
    int64_t t = start;
    size_t i;

    if (jc_cron_parse(&c, expr, err, sizeof(err)) < 0)
        fail_msg("parse '%s': %s", expr, err);
    assert_int_equal(jc_tz_load(&tz, zone), 0);
    for (i = 0; i < n; i++) {
        char buf[64];

        assert_int_equal(jc_cron_next(c, tz, t, &t), 0);
        jc_tz_format(tz, t, true, buf, sizeof(buf));
        if (strcmp(buf, want[i]))
            fail_msg("'%s' %s fire %zu: got %s want %s", expr, zone, i, buf,
                     want[i]);
    }
    jc_cron_free(c);
}

static void test_cron_seed_hourly_utc(void **state)
{
    static const char *const w[] = {"2026-01-01T00:30:15+00:00",
                                    "2026-01-01T01:30:15+00:00",
                                    "2026-01-01T02:30:15+00:00"};
    const struct jc_tz *tz;
    struct jc_cron *c;
    int64_t t;
    char buf[64];

    (void)state;
    expect("15 30 * * * ?", "UTC", iso(2026, 1, 1, 0, 0, 0), w, 3);
    /* exactly on a fire time: the next one is strictly later */
    assert_int_equal(jc_cron_parse(&c, "15 30 * * * ?", NULL, 0), 0);
    assert_int_equal(jc_tz_load(&tz, "UTC"), 0);
    assert_int_equal(jc_cron_next(c, tz, iso(2026, 1, 1, 0, 30, 15), &t), 0);
    jc_tz_format(tz, t, false, buf, sizeof(buf));
    assert_string_equal(buf, "2026-01-01T01:30:15Z");
    jc_cron_free(c);
}

static void test_cron_dst_gap_skips_day(void **state)
{
    /* 2026-03-08 02:00 does not exist in Los Angeles: no run that day */
    static const char *const w[] = {"2026-03-06T02:00:00-08:00",
                                    "2026-03-07T02:00:00-08:00",
                                    "2026-03-09T02:00:00-07:00"};

    (void)state;
    expect("0 0 2 * * ?", "America/Los_Angeles", iso(2026, 3, 6, 0, 0, 0), w,
           3);
}

static void test_cron_dst_overlap_fires_once(void **state)
{
    static const char *const w[] = {
        "2026-10-30T02:00:00-07:00", "2026-10-31T02:00:00-07:00",
        "2026-11-01T02:00:00-08:00", "2026-11-02T02:00:00-08:00"};
    /* New York falls back 2026-11-01 06:00Z: the repeated 01:xx EST hour
     * does not fire again */
    static const char *const w2[] = {
        "2026-11-01T01:00:00-04:00", "2026-11-01T01:15:00-04:00",
        "2026-11-01T01:30:00-04:00", "2026-11-01T01:45:00-04:00",
        "2026-11-01T02:00:00-05:00", "2026-11-01T02:15:00-05:00"};

    (void)state;
    expect("0 0 2 * * ?", "America/Los_Angeles", iso(2026, 10, 30, 0, 0, 0), w,
           4);
    expect("0 0/15 * * * ?", "America/New_York", iso(2026, 11, 1, 5, 0, 0) - 1,
           w2, 6);
}

static void test_cron_weekday_nearest_and_last(void **state)
{
    static const char *const w15[] = {
        "2026-01-15T09:00:00+00:00", "2026-02-16T09:00:00+00:00",
        "2026-03-16T09:00:00+00:00", "2026-04-15T09:00:00+00:00"};
    static const char *const w6l[] = {"2026-01-30T10:15:00+00:00",
                                      "2026-02-27T10:15:00+00:00",
                                      "2026-03-27T10:15:00+00:00"};
    static const char *const wlw[] = {"2026-01-30T06:00:00+00:00",
                                      "2026-02-27T06:00:00+00:00",
                                      "2026-03-31T06:00:00+00:00"};
    static const char *const wl[] = {
        "2026-01-31T12:00:00+00:00", "2026-02-28T12:00:00+00:00",
        "2028-01-31T12:00:00+00:00", "2028-02-29T12:00:00+00:00"};
    static const char *const w1w[] = {"2022-10-03T00:00:00+00:00"};
    int64_t y26 = iso(2026, 1, 1, 0, 0, 0);

    (void)state;
    expect("0 0 9 15W * ?", "UTC", y26, w15, 4);
    expect("0 15 10 ? * 6L", "UTC", y26, w6l, 3);
    expect("0 0 6 LW * ?", "UTC", y26, wlw, 3);
    expect("0 0 12 L 1,2 ? 2026,2028", "UTC", y26, wl, 4);
    /* 2022-10-01 is a Saturday: 1W never crosses into September */
    expect("0 0 0 1W * ?", "UTC", iso(2022, 9, 30, 0, 0, 0), w1w, 1);
}

static void test_cron_nth_weekday_tokyo(void **state)
{
    static const char *const w[] = {"2026-01-05T08:00:00+09:00",
                                    "2026-02-02T08:00:00+09:00",
                                    "2026-03-02T08:00:00+09:00"};

    (void)state;
    expect("0 0 8 ? * 2#1", "Asia/Tokyo", iso(2026, 1, 1, 0, 0, 0), w, 3);
}

static void test_cron_berlin_business_hours_and_names(void **state)
{
    /* 2026-01-02 is a Friday */
    static const char *const w[] = {"2026-01-02T17:30:00+01:00",
                                    "2026-01-02T17:45:00+01:00",
                                    "2026-01-05T09:00:00+01:00"};
    static const char *const wl[] = {"2026-01-03T00:00:00+00:00",
                                     "2026-01-10T00:00:00+00:00"};

    (void)state;
    expect("0 0/15 9-17 ? * MON-FRI", "Europe/Berlin",
           iso(2026, 1, 2, 16, 20, 0), w, 3);
    expect("0 0 0 ? jan L", "UTC", iso(2026, 1, 1, 0, 0, 0), wl, 2);
}

static void test_cron_year_field_ends(void **state)
{
    struct jc_cron *c;
    int64_t t;

    (void)state;
    assert_int_equal(jc_cron_parse(&c, "0 0 0 1 1 ? 2027", NULL, 0), 0);
    assert_int_equal(jc_cron_next(c, NULL, iso(2026, 6, 1, 0, 0, 0), &t), 0);
    assert_true(t == iso(2027, 1, 1, 0, 0, 0));
    assert_int_equal(jc_cron_next(c, NULL, t, &t), JC_ENOTFOUND);
    jc_cron_free(c);
    /* Feb 30 never exists */
    assert_int_equal(jc_cron_parse(&c, "0 0 0 30 2 ?", NULL, 0), 0);
    assert_int_equal(jc_cron_next(c, NULL, 0, &t), JC_ENOTFOUND);
    jc_cron_free(c);
}

static void test_cron_steps_and_ranges(void **state)
{
    static const char *const w[] = {"2026-07-01T00:00:00+00:00",
                                    "2027-07-01T00:00:00+00:00"};
    static const char *const w5[] = {"2026-01-01T00:05:00+00:00",
                                     "2026-01-01T00:10:00+00:00"};
    static const char *const wrap[] = {
        "2026-01-01T22:00:00+00:00", "2026-01-01T23:00:00+00:00",
        "2026-01-02T00:00:00+00:00", "2026-01-02T01:00:00+00:00",
        "2026-01-02T22:00:00+00:00"};

    (void)state;
    /* 7/6 in months is only July */
    expect("0 0 0 1 7/6 ?", "UTC", iso(2026, 1, 1, 0, 0, 0), w, 2);
    expect("0 */5 * * * ?", "UTC", iso(2026, 1, 1, 0, 0, 0), w5, 2);
    expect("0 0 22-1 * * ?", "UTC", iso(2026, 1, 1, 12, 0, 0), wrap, 5);
}

static void parse_err(const char *expr, const char *want)
{
    struct jc_cron *c = NULL;
    char err[256];

    assert_int_equal(jc_cron_parse(&c, expr, err, sizeof(err)), JC_EPARSE);
    assert_null(c);
    if (strcmp(err, want))
        fail_msg("'%s': got '%s' want '%s'", expr, err, want);
}

static void test_cron_parse_errors_name_field_and_column(void **state)
{
    (void)state;
    parse_err("0 0 * * *", "expected 6 or 7 fields (seconds minutes hours "
                           "day-of-month month day-of-week [year]), got 5");
    parse_err("0 0 0 * * *", "one of day-of-month and day-of-week must be "
                             "'?' (Quartz does not support both)");
    parse_err("0 0 0 ? * ?", "day-of-month and day-of-week cannot both be '?'");
    parse_err("0 61 * * * ?",
              "minutes field at column 3: value 61 out of range 0-59");
    parse_err("0 0 0 ? * FUN",
              "day-of-week field at column 11: unknown name 'FUN'");
    parse_err("0 0 0 ? * 6#6",
              "day-of-week field at column 13: value 6 out of range 1-5");
    parse_err("0 0 0 1-5W * ?", "day-of-month field at column 8: 'W' "
                                "needs a single day, e.g. '15W'");
    parse_err("0 0 ? * * *", "hours field at column 5: '?' is only allowed "
                             "in day-of-month and day-of-week");
    parse_err("0 0 0 1 1 ? 1969",
              "year field at column 13: value 1969 out of range 1970-2099");
    parse_err("0 0/0 * * * ?",
              "minutes field at column 5: value 0 out of range 1-60");
    parse_err("0 0 0 ? * 1 2030 x", "expected 6 or 7 fields (seconds minutes "
                                    "hours day-of-month month day-of-week "
                                    "[year]), got more");
}

static void test_cron_tz_unknown_and_offsets(void **state)
{
    const struct jc_tz *tz = NULL, *tz2 = NULL;
    int64_t u;

    (void)state;
    assert_int_equal(jc_tz_load(&tz, "Mars/Olympus_Mons"), JC_ENOTFOUND);
    assert_int_equal(jc_tz_load(&tz, "../etc/passwd"), JC_ENOTFOUND);
    assert_int_equal(jc_tz_load(&tz, "America"), JC_ENOTFOUND);
    assert_int_equal(jc_tz_load(&tz, "Europe/Berlin"), 0);
    assert_int_equal(jc_tz_load(&tz2, "Europe/Berlin"), 0);
    assert_ptr_equal(tz, tz2); /* cached */
    assert_int_equal(jc_tz_offset_at(tz, iso(2026, 1, 1, 0, 0, 0)), 3600);
    assert_int_equal(jc_tz_offset_at(tz, iso(2026, 7, 1, 0, 0, 0)), 7200);
    /* far future comes from the POSIX footer rule */
    assert_int_equal(jc_tz_offset_at(tz, iso(2090, 7, 1, 0, 0, 0)), 7200);
    assert_int_equal(jc_tz_offset_at(tz, iso(2090, 12, 1, 0, 0, 0)), 3600);
    /* 2026-03-29 02:30 Berlin does not exist; 10-25 02:30 happens twice */
    assert_int_equal(jc_tz_local_to_utc(tz, iso(2026, 3, 29, 2, 30, 0), &u), 0);
    assert_int_equal(jc_tz_local_to_utc(tz, iso(2026, 10, 25, 2, 30, 0), &u),
                     2);
    assert_true(u == iso(2026, 10, 25, 0, 30, 0));
    /* southern hemisphere: Sydney is +11 in January */
    assert_int_equal(jc_tz_load(&tz, "Australia/Sydney"), 0);
    assert_int_equal(jc_tz_offset_at(tz, iso(2026, 1, 15, 0, 0, 0)), 39600);
    assert_int_equal(jc_tz_offset_at(tz, iso(2026, 7, 15, 0, 0, 0)), 36000);
}

static void test_cron_southern_gap_and_half_hour_dst(void **state)
{
    /* Sydney springs forward 2026-10-04 02:00 -> 03:00: 02:30 is skipped */
    static const char *const w[] = {"2026-10-03T02:30:00+10:00",
                                    "2026-10-05T02:30:00+11:00"};
    /* Lord Howe Island moves by 30 minutes: 02:00-02:30 does not exist */
    static const char *const lh[] = {"2026-10-03T02:15:00+10:30",
                                     "2026-10-05T02:15:00+11:00"};

    (void)state;
    expect("0 30 2 * * ?", "Australia/Sydney", iso(2026, 10, 2, 12, 0, 0), w,
           2);
    expect("0 15 2 * * ?", "Australia/Lord_Howe", iso(2026, 10, 2, 12, 0, 0),
           lh, 2);
}

static void *load_zones(void *arg)
{
    static const char *const zones[] = {"Europe/Paris", "Asia/Kolkata",
                                        "America/Chicago", "UTC"};
    const struct jc_tz *tz;
    int i, bad = 0;

    (void)arg;
    for (i = 0; i < 200; i++)
        if (jc_tz_load(&tz, zones[i % 4]) < 0)
            bad++;
    return bad ? (void *)1 : NULL;
}

static void test_cron_tz_cache_is_thread_safe(void **state)
{
    pthread_t th[4];
    void *ret;
    int i;
    const struct jc_tz *a, *b;

    (void)state;
    for (i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, load_zones, NULL), 0);
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], &ret), 0);
        assert_null(ret);
    }
    assert_int_equal(jc_tz_load(&a, "Asia/Kolkata"), 0);
    assert_int_equal(jc_tz_load(&b, "Asia/Kolkata"), 0);
    assert_ptr_equal(a, b);
    assert_int_equal(jc_tz_offset_at(a, iso(2026, 6, 1, 0, 0, 0)), 19800);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cron_seed_hourly_utc),
        cmocka_unit_test(test_cron_dst_gap_skips_day),
        cmocka_unit_test(test_cron_dst_overlap_fires_once),
        cmocka_unit_test(test_cron_weekday_nearest_and_last),
        cmocka_unit_test(test_cron_nth_weekday_tokyo),
        cmocka_unit_test(test_cron_berlin_business_hours_and_names),
        cmocka_unit_test(test_cron_year_field_ends),
        cmocka_unit_test(test_cron_steps_and_ranges),
        cmocka_unit_test(test_cron_parse_errors_name_field_and_column),
        cmocka_unit_test(test_cron_tz_unknown_and_offsets),
        cmocka_unit_test(test_cron_southern_gap_and_half_hour_dst),
        cmocka_unit_test(test_cron_tz_cache_is_thread_safe),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
