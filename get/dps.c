/* DPS v2 fields; see dps.h. */
#include "get/dps.h"

#include <errno.h>

#include "kernel/lib/json.h"

/* Finds an optional field: 1 with *v if present, 0 if absent or null (serde's default),
 * -EINVAL otherwise. */
static int find_optional(const char *doc, size_t len, const char *path, struct json_value *v)
{
    int err = json_find(doc, len, path, v);
    if (err == -ENOENT)
        return 0;
    if (err)
        return -EINVAL;
    return v->type != JSON_NULL;
}

static int get_bool(const char *doc, size_t len, const char *path, bool *out)
{
    struct json_value v;
    int found = find_optional(doc, len, path, &v);
    return found <= 0 ? found : json_get_bool(&v, out);
}

static int get_u64(const char *doc, size_t len, const char *path, uint64_t *out)
{
    struct json_value v;
    int found = find_optional(doc, len, path, &v);
    if (found <= 0)
        return found;
    return json_get_u64(&v, out) ? -EINVAL : 0;
}

int dps_parse(const char *doc, size_t len, struct dps *out)
{
    int err = json_validate(doc, len);
    if (err)
        return err;
    struct json_value v2;
    err = json_find(doc, len, "V2", &v2);
    if (err == -ENOENT || (err == 0 && v2.type != JSON_OBJECT))
        return -ENOENT;
    if (err)
        return -EINVAL;
    struct dps d = { 0 };
    if ((err = get_bool(doc, len, "V2.Dynamic.IsServicingScenario", &d.is_servicing_scenario)) ||
        (err = get_bool(doc, len, "V2.Static.FirmwareModeIsPcat", &d.firmware_mode_is_pcat)) ||
        (err = get_bool(doc, len, "V2.Static.LegacyMemoryMap", &d.legacy_memory_map)) ||
        (err = get_u64(doc, len, "V2.Dynamic.GenerationIdLow", &d.generation_id_low)) ||
        (err = get_u64(doc, len, "V2.Dynamic.GenerationIdHigh", &d.generation_id_high)))
        return err;
    *out = d;
    return 0;
}
