/* The persisted page's check; see persisted.h. */
#include "kernel/servicing/persisted.h"

#include <string.h>

static bool terminated(const char *field, size_t cap)
{
    return memchr(field, '\0', cap) != NULL;
}

bool servicing_persisted_ok(const struct servicing_persisted *pp)
{
    return pp->magic == SERVICING_PERSISTED_MAGIC && pp->version == SERVICING_PERSISTED_VERSION &&
           (pp->size == sizeof(*pp) || pp->size == SERVICING_PERSISTED_SIZE_V1) &&
           pp->tsc_hz != 0 && pp->old_slot <= 1 &&
           pp->new_slot == (pp->old_slot ^ 1u) &&
           terminated(pp->old_version, sizeof(pp->old_version)) &&
           terminated(pp->old_build_id, sizeof(pp->old_build_id));
}

void servicing_persisted_settle(struct servicing_persisted *pp)
{
    if (pp->size < sizeof(*pp))
        memset((uint8_t *)pp + pp->size, 0, sizeof(*pp) - pp->size);
}
