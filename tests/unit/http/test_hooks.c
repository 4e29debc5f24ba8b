/*
 * test_hooks.c: unit tests of the webhook signature check (GitHub's
 * documented test vector) and the constant-time secret compare.
 */
#include "testsupport.h"

#include <string.h>

#include "api/api.h"

static void test_hooks_github_vector(void **state)
{
    /* from GitHub's "Validating webhook deliveries" documentation */
    const char *secret = "It's a Secret to Everybody";
    const char *body = "Hello, World!";
    const char *sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c"
                      "46f4379c8b043e17";
    char out[80];

    (void)state;
    jc_api_hmac_sha256_hex(secret, body, strlen(body), out, sizeof(out));
    assert_string_equal(out, sig);
    assert_true(jc_api_verify_github_signature(secret, body, strlen(body),
                                               sig));
}

static void test_hooks_rejects_bad_signatures(void **state)
{
    const char *secret = "It's a Secret to Everybody";
    const char *body = "Hello, World!";

    (void)state;
    assert_false(jc_api_verify_github_signature(secret, body, strlen(body),
                                                NULL));
    assert_false(jc_api_verify_github_signature(secret, body, strlen(body),
                                                "sha256=00"));
    assert_false(jc_api_verify_github_signature(
        secret, "Hello, World?", 13,
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c"
        "46f4379c8b043e17"));
    assert_false(jc_api_verify_github_signature(
        "", body, strlen(body),
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c"
        "46f4379c8b043e17"));
}

static void test_hooks_secret_eq(void **state)
{
    (void)state;
    assert_true(jc_api_secret_eq("abc", "abc"));
    assert_false(jc_api_secret_eq("abc", "abd"));
    assert_false(jc_api_secret_eq("ab", "abc"));
    assert_false(jc_api_secret_eq("abcd", "abc"));
    assert_false(jc_api_secret_eq("", "abc"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hooks_github_vector),
        cmocka_unit_test(test_hooks_rejects_bad_signatures),
        cmocka_unit_test(test_hooks_secret_eq),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
