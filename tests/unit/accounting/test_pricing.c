/*
 * test_pricing.c: the price table (orchestrator/core/pricing.c): defaults,
 * YAML overrides, error positions, and the local / Databricks cost
 * formulas documented in docs/COSTS.md.
 */
#include "testsupport.h"

#include "jobctl/err.h"
#include "jobctl/pricing.h"
#include "util/mem.h"

#include <math.h>
#include <string.h>

static void test_pricing_defaults_when_absent(void **state)
{
    struct jc_pricing p;
    char *dir = jt_tmpdir();

    (void)state;
    assert_int_equal(jc_pricing_load(&p, dir), 0);
    assert_string_equal(p.currency, "USD");
    assert_true(fabs(p.local_core_hour - 0.04) < 1e-12);
    assert_true(fabs(p.dbu_price - 0.15) < 1e-12);
    jc_pricing_release(&p);
    jt_rmtree(dir);
    free(dir);
}

static void test_pricing_yaml_overrides(void **state)
{
    struct jc_pricing p;
    char *dir = jt_tmpdir();
    char *path = ju_xasprintf("%s/config.yaml", dir);
    double dbu, vm;

    (void)state;
    jt_write_file(path, "server: {port: 1}\n"
                        "pricing:\n"
                        "  currency: EUR\n"
                        "  local: {core_hour: 0.5, gib_hour: 0.25}\n"
                        "  databricks:\n"
                        "    dbu_price: 0.2\n"
                        "    spot_discount: 0.5\n"
                        "    node_types:\n"
                        "      x.large: {dbu_per_hour: 2, vm_per_hour: 1}\n"
                        "      y.small: 0.5\n");
    assert_int_equal(jc_pricing_load(&p, dir), 0);
    assert_string_equal(p.currency, "EUR");
    assert_true(fabs(p.local_core_hour - 0.5) < 1e-12);
    jc_pricing_node(&p, "x.large", &dbu, &vm);
    assert_true(fabs(dbu - 2) < 1e-12 && fabs(vm - 1) < 1e-12);
    jc_pricing_node(&p, "y.small", &dbu, &vm);
    assert_true(fabs(dbu - 0.5) < 1e-12 && vm == 0);
    jc_pricing_node(&p, "unknown", &dbu, &vm);
    assert_true(fabs(dbu - p.default_dbu_per_hour) < 1e-12);
    jc_pricing_release(&p);
    jt_rmtree(dir);
    free(dir);
    free(path);
}

static void expect_error(const char *yaml, const char *where,
                         const char *what)
{
    struct jc_pricing p;

    assert_int_equal(jc_pricing_parse(&p, yaml, strlen(yaml), "c.yaml"),
                     JC_EPARSE);
    if (!strstr(jc_err_last(), where) || !strstr(jc_err_last(), what))
        fail_msg("message '%s' lacks '%s' / '%s'", jc_err_last(), where, what);
    /* defaults are left in place */
    assert_true(fabs(p.dbu_price - 0.15) < 1e-12);
    jc_pricing_release(&p);
}

static void test_pricing_rejects_bad_input(void **state)
{
    (void)state;
    expect_error("pricing:\n  local:\n    core_hour: -1\n", "c.yaml:3:16",
                 "out of range");
    expect_error("pricing:\n  databricks: {spot_discount: 1.5}\n", "c.yaml:2",
                 "spot_discount");
    expect_error("pricing:\n  locl: {}\n", "c.yaml:2:3", "unknown key 'locl'");
    expect_error("pricing:\n  local: [1]\n", "c.yaml:2:10", "mapping");
    expect_error("pricing: {local: {core_hour: abc}}\n", "c.yaml:1",
                 "must be a number");
    expect_error("pricing:\n  local:\n   - : :\n  x\n", "c.yaml:", "");
}

static void test_pricing_local_cost(void **state)
{
    struct jc_pricing p;
    double c;

    (void)state;
    jc_pricing_defaults(&p);
    p.local_core_hour = 0.36; /* 0.0001 per CPU second */
    p.local_gib_hour = 3.6;   /* 0.001 per GiB-second */
    /* 10 s user + 8 s sys, 2 GiB peak for 100 s */
    c = jc_pricing_local_cost(&p, 10, 8, 2 * 1024 * 1024, 100);
    assert_true(fabs(c - (18 * 0.0001 + 2 * 100 * 0.001)) < 1e-9);
    jc_pricing_release(&p);
}

static void test_pricing_remote_cost(void **state)
{
    struct jc_pricing p;
    struct jc_remote_cost rc;
    json_error_t e;
    json_t *nc = json_loads("{\"node_type_id\":\"i3.xlarge\",\"num_workers\":3,"
                            "\"aws_attributes\":{\"availability\":"
                            "\"SPOT_WITH_FALLBACK\"}}",
                            0, &e);
    json_t *as = json_loads("{\"node_type_id\":\"nope\",\"autoscale\":"
                            "{\"min_workers\":1,\"max_workers\":5}}",
                            0, &e);

    (void)state;
    jc_pricing_defaults(&p);
    /* 1 hour, driver + 3 spot workers of i3.xlarge (1 DBU, 0.312 VM) */
    jc_pricing_remote_cost(&p, nc, NULL, 3600, &rc);
    assert_int_equal(rc.nodes, 4);
    assert_true(fabs(rc.dbus - 4.0) < 1e-9);
    assert_true(fabs(rc.dbu_cost - 4.0 * 0.15) < 1e-9);
    assert_true(fabs(rc.vm_cost - (0.312 + 3 * 0.312 * 0.4)) < 1e-9);
    assert_true(fabs(rc.total - rc.dbu_cost - rc.vm_cost) < 1e-12);
    assert_non_null(strstr(rc.cluster, "spot"));
    /* autoscale bills max_workers; unknown node type -> defaults */
    jc_pricing_remote_cost(&p, as, NULL, 1800, &rc);
    assert_int_equal(rc.nodes, 6);
    assert_true(fabs(rc.dbus - 0.5 * 6 * p.default_dbu_per_hour) < 1e-9);
    /* existing cluster without a spec: default node, default workers */
    jc_pricing_remote_cost(&p, NULL, "0101-abc", 3600, &rc);
    assert_int_equal(rc.nodes, p.default_workers + 1);
    assert_string_equal(rc.cluster, "0101-abc");
    json_decref(nc);
    json_decref(as);
    jc_pricing_release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pricing_defaults_when_absent),
        cmocka_unit_test(test_pricing_yaml_overrides),
        cmocka_unit_test(test_pricing_rejects_bad_input),
        cmocka_unit_test(test_pricing_local_cost),
        cmocka_unit_test(test_pricing_remote_cost),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
