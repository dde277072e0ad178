/* The CMOS view's saved state; see cmos_view.h and docs/saved-state.md. */
#include "drivers/vdev/chipset/cmos_view.h"

#include <errno.h>

#include "cmos_view.pb.h"
#include "kernel/lib/pb_codec.h"

_Static_assert(mezzanine_vdev_cmos_view_SavedState_size <= CMOS_VIEW_STATE_MAX_LEN,
               "CMOS_VIEW_STATE_MAX_LEN covers the largest encoding");

int cmos_view_save_state(const struct cmos_view *v, uint8_t *buf, size_t cap, size_t *len)
{
    mezzanine_vdev_cmos_view_SavedState m = { .index = v->index };
    return pb_codec_encode(mezzanine_vdev_cmos_view_SavedState_fields, &m, buf, cap, len);
}

int cmos_view_restore_state(struct cmos_view *v, const uint8_t *buf, size_t len)
{
    mezzanine_vdev_cmos_view_SavedState m;
    if (pb_codec_decode(mezzanine_vdev_cmos_view_SavedState_fields, &m, buf, len) != 0)
        return -EINVAL;
    if (m.index > 0xFF)
        return -EINVAL;
    v->index = (uint8_t)m.index;
    return 0;
}
