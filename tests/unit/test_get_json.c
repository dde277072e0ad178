/* Unit tests for kernel/lib/json.c (the small JSON reader) and get/dps.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "get/dps.h"
#include "kernel/lib/json.h"

#define V(s) json_validate(s, strlen(s))

static void test_validate_accepts_rfc8259(void **state)
{
    (void)state;
    assert_int_equal(V("{}"), 0);
    assert_int_equal(V(" [ 1 , -2.5e+3, true, false, null, \"x\\u00e9\\n\" ] "), 0);
    assert_int_equal(V("{\"a\":{\"b\":[{}]}}"), 0);
    assert_int_equal(V("0"), 0);
    assert_int_equal(V("\"\""), 0);
}

static void test_validate_rejects(void **state)
{
    (void)state;
    const char *bad[] = { "", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "01", "1.",
                          "1e", "-", "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12g4\"", "{} {}",
                          "{'a':1}", "\"a\nb\"", "[1 2]", "{\"a\" 1}", "+1" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (V(bad[i]) != -EINVAL)
            fail_msg("accepted %s", bad[i]);
    }
    char deep[80];
    memset(deep, '[', 40);
    memset(deep + 40, ']', 40);
    assert_int_equal(json_validate(deep, 80), -E2BIG);
    assert_int_equal(json_validate(deep + 10, 60), 0);   /* 30 deep is fine */
}

static void test_find_and_convert(void **state)
{
    (void)state;
    const char *doc = "{\"A\":1,\"V2\":{\"Static\":{\"X\":[1,{\"Y\":2}],\"Name\":\"a\\\"b\\u0041\"},"
                      "\"Dynamic\":{\"N\":18446744073709551615,\"Big\":18446744073709551616,"
                      "\"F\":1.5,\"Neg\":-1,\"B\":true}}}";
    size_t len = strlen(doc);
    assert_int_equal(json_validate(doc, len), 0);
    struct json_value v;
    uint64_t u;
    bool b;
    char s[8];
    assert_int_equal(json_find(doc, len, "V2.Dynamic.N", &v), 0);
    assert_int_equal(json_get_u64(&v, &u), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(json_find(doc, len, "V2.Dynamic.Big", &v), 0);
    assert_int_equal(json_get_u64(&v, &u), -ERANGE);
    assert_int_equal(json_find(doc, len, "V2.Dynamic.F", &v), 0);
    assert_int_equal(json_get_u64(&v, &u), -EINVAL);
    assert_int_equal(json_find(doc, len, "V2.Dynamic.Neg", &v), 0);
    assert_int_equal(json_get_u64(&v, &u), -EINVAL);
    assert_int_equal(json_find(doc, len, "V2.Dynamic.B", &v), 0);
    assert_int_equal(json_get_bool(&v, &b), 0);
    assert_true(b);
    assert_int_equal(json_get_u64(&v, &u), -EINVAL);
    assert_int_equal(json_find(doc, len, "V2.Static.Name", &v), 0);
    assert_int_equal(json_get_string(&v, s, sizeof(s)), 0);
    assert_string_equal(s, "a\"bA");
    assert_int_equal(json_get_string(&v, s, 3), -ENOSPC);
    assert_int_equal(json_find(doc, len, "V2.Static.X", &v), 0);
    assert_int_equal(v.type, JSON_ARRAY);
    assert_int_equal(json_find(doc, len, "V2.Static.Missing", &v), -ENOENT);
    assert_int_equal(json_find(doc, len, "A.B", &v), -ENOTDIR);
    assert_int_equal(json_find(doc, len, "V", &v), -ENOENT);
    assert_int_equal(json_find(doc, len, "", &v), 0);
    assert_int_equal(v.type, JSON_OBJECT);
    assert_int_equal(json_get_bool(&v, &b), -EINVAL);
}

static void test_dps_sample_document(void **state)
{
    (void)state;
    /* Shaped like OpenVMM's dps_test_json.json. */
    const char *doc =
        "{ \"V1\": { \"SecureBootEnabled\": true, \"BiosGuid\": \"ffdbb77b-5760-4bc4-887c\" },\n"
        "  \"V2\": { \"Static\": { \"LegacyMemoryMap\": false, \"VpciInstanceFilter\": null,\n"
        "      \"Smbios\": { \"SystemManufacturer\": \"\" }, \"FirmwareModeIsPcat\": true },\n"
        "    \"Dynamic\": { \"NvdimmCount\": 0, \"GenerationIdLow\": 9815980333326143000,\n"
        "      \"GenerationIdHigh\": 12244943675700015000, \"IsServicingScenario\": true } } }";
    struct dps d;
    assert_int_equal(dps_parse(doc, strlen(doc), &d), 0);
    assert_true(d.is_servicing_scenario);
    assert_true(d.firmware_mode_is_pcat);
    assert_false(d.legacy_memory_map);
    assert_true(d.generation_id_low == 9815980333326143000ull);
    assert_true(d.generation_id_high == 12244943675700015000ull);
}

static void test_dps_defaults_and_errors(void **state)
{
    (void)state;
    struct dps d = { .is_servicing_scenario = true };
    const char *empty_v2 = "{\"V2\":{}}";
    assert_int_equal(dps_parse(empty_v2, strlen(empty_v2), &d), 0);
    assert_false(d.is_servicing_scenario);
    const char *nulls = "{\"V2\":{\"Dynamic\":{\"IsServicingScenario\":null}}}";
    assert_int_equal(dps_parse(nulls, strlen(nulls), &d), 0);
    const char *no_v2 = "{\"V1\":{}}";
    assert_int_equal(dps_parse(no_v2, strlen(no_v2), &d), -ENOENT);
    const char *v2_not_obj = "{\"V2\":3}";
    assert_int_equal(dps_parse(v2_not_obj, strlen(v2_not_obj), &d), -ENOENT);
    const char *wrong = "{\"V2\":{\"Dynamic\":{\"IsServicingScenario\":1}}}";
    assert_int_equal(dps_parse(wrong, strlen(wrong), &d), -EINVAL);
    const char *dyn_not_obj = "{\"V2\":{\"Dynamic\":[]}}";
    assert_int_equal(dps_parse(dyn_not_obj, strlen(dyn_not_obj), &d), -EINVAL);
    assert_int_equal(dps_parse("", 0, &d), -EINVAL);
    assert_int_equal(dps_parse("{\"V2\":{}", 8, &d), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_accepts_rfc8259),
        cmocka_unit_test(test_validate_rejects),
        cmocka_unit_test(test_find_and_convert),
        cmocka_unit_test(test_dps_sample_document),
        cmocka_unit_test(test_dps_defaults_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
