/* DPS v2 fields; see dps.h. */
#include "get/dps.h"

#include <errno.h>

#include "kernel/lib/json.h"

/* The fields read, each found once in one parse of the document. */
enum { DPS_V2, DPS_SERVICING, DPS_PCAT, DPS_LEGACY_MAP, DPS_GEN_LOW, DPS_GEN_HIGH, DPS_FIELDS };

static const char *const dps_paths[DPS_FIELDS] = {
    [DPS_V2] = "V2",
    [DPS_SERVICING] = "V2.Dynamic.IsServicingScenario",
    [DPS_PCAT] = "V2.Static.FirmwareModeIsPcat",
    [DPS_LEGACY_MAP] = "V2.Static.LegacyMemoryMap",
    [DPS_GEN_LOW] = "V2.Dynamic.GenerationIdLow",
    [DPS_GEN_HIGH] = "V2.Dynamic.GenerationIdHigh",
};

/* An optional field: 1 with its value if present, 0 if absent or null (serde's default),
 * -EINVAL otherwise. */
static int optional(const struct json_value *v, int found)
{
    if (found == -ENOENT)
        return 0;
    if (found)
        return -EINVAL;
    return v->type != JSON_NULL;
}

static int get_bool(const struct json_value *v, int found, bool *out)
{
    int present = optional(v, found);
    return present <= 0 ? present : json_get_bool(v, out);
}

static int get_u64(const struct json_value *v, int found, uint64_t *out)
{
    int present = optional(v, found);
    if (present <= 0)
        return present;
    return json_get_u64(v, out) ? -EINVAL : 0;
}

int dps_parse(const char *doc, size_t len, struct dps *out)
{
    struct json_value v[DPS_FIELDS];
    int found[DPS_FIELDS];
    int err = json_find_each(doc, len, dps_paths, DPS_FIELDS, v, found);
    if (err)
        return err;
    if (found[DPS_V2] == -ENOENT || (found[DPS_V2] == 0 && v[DPS_V2].type != JSON_OBJECT))
        return -ENOENT;
    if (found[DPS_V2])
        return -EINVAL;
    struct dps d = { 0 };
    if ((err = get_bool(&v[DPS_SERVICING], found[DPS_SERVICING], &d.is_servicing_scenario)) ||
        (err = get_bool(&v[DPS_PCAT], found[DPS_PCAT], &d.firmware_mode_is_pcat)) ||
        (err = get_bool(&v[DPS_LEGACY_MAP], found[DPS_LEGACY_MAP], &d.legacy_memory_map)) ||
        (err = get_u64(&v[DPS_GEN_LOW], found[DPS_GEN_LOW], &d.generation_id_low)) ||
        (err = get_u64(&v[DPS_GEN_HIGH], found[DPS_GEN_HIGH], &d.generation_id_high)))
        return err;
    *out = d;
    return 0;
}
