/*
 * Device platform settings (DPS v2 JSON, `{"V1": {...}, "V2": {"Static": {...},
 * "Dynamic": {...}}}`): the fields Mezzanine uses. Pure.
 */
#ifndef MEZZ_GET_DPS_H
#define MEZZ_GET_DPS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

struct dps {
    bool is_servicing_scenario;      /* V2.Dynamic.IsServicingScenario */
    bool firmware_mode_is_pcat;      /* V2.Static.FirmwareModeIsPcat */
    bool legacy_memory_map;          /* V2.Static.LegacyMemoryMap */
    uint64_t generation_id_low;      /* V2.Dynamic.GenerationIdLow */
    uint64_t generation_id_high;     /* V2.Dynamic.GenerationIdHigh */
};

/*
 * Parses doc[0, len). The document must be valid JSON with a "V2" object; each field
 * above is optional (absent = false / 0, as serde's defaults) but must have the right
 * type when present. Returns 0, -EINVAL (syntax or a field of the wrong type), -E2BIG
 * (too deep) or -ENOENT (no V2 object). *out is written only on success.
 */
int dps_parse(const char *doc, size_t len, struct dps *out);

#endif
