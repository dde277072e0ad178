/*
 * JSON path lookup for the DPS document, over Debian's jsmn tokenizer (SPEC section 10;
 * kernel/lib/jsmn_wrapper.h). RFC 8259 syntax, no allocation, no floats (Mezzanine runs
 * without SSE). json_validate checks a whole document; json_find locates a value by a
 * dotted path of object keys ("V2.Dynamic.IsServicingScenario") and returns its raw slice,
 * which the json_get_* helpers convert. Pure; nesting depth and the number of values are
 * bounded: jsmn's tokens live on the caller's stack (JSON_MAX_TOKENS * 16 bytes).
 */
#ifndef MEZZ_GET_JSON_H
#define MEZZ_GET_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define JSON_MAX_DEPTH 32
/* Values (jsmn tokens: each object, array, key, string and primitive) a document may hold.
 * OpenVMM's sample DPS document (dps_test_json.json) has 111. */
#define JSON_MAX_TOKENS 512

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_value {
    enum json_type type;
    const char *start;   /* the value's text, quotes included for strings */
    size_t len;
};

/* 0 if doc[0, len) is one well-formed JSON value with only whitespace around it;
 * -EINVAL (syntax), -E2BIG (nested deeper than JSON_MAX_DEPTH, or more than
 * JSON_MAX_TOKENS values). */
int json_validate(const char *doc, size_t len);

/* Finds path in a document (checked again as json_validate does). Returns 0, -ENOENT (a
 * key is missing), -ENOTDIR (a step is not an object), or json_validate's error. Keys are
 * compared after unescaping; duplicate keys: the first one wins. "" is the whole value. */
int json_find(const char *doc, size_t len, const char *path, struct json_value *out);

/* json_find for n paths with one parse: returns json_validate's error, or 0 with
 * results[i] json_find's answer for paths[i] (0, -ENOENT or -ENOTDIR) and out[i] its
 * value when 0. A document of many fields (the DPS) is tokenized once, not per field. */
int json_find_each(const char *doc, size_t len, const char *const paths[], size_t n,
                   struct json_value out[], int results[]);

int json_get_bool(const struct json_value *v, bool *out);        /* -EINVAL if not a bool */
/* Non-negative integer without fraction or exponent; -EINVAL otherwise, -ERANGE > 2^64-1. */
int json_get_u64(const struct json_value *v, uint64_t *out);
/* Unescaped string (\uXXXX outside ASCII becomes '?'), NUL terminated; -ENOSPC if cut. */
int json_get_string(const struct json_value *v, char *out, size_t cap);

#endif
