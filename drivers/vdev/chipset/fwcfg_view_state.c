/* The fw_cfg view's saved state; see fwcfg_view.h and docs/saved-state.md. */
#include "drivers/vdev/chipset/fwcfg_view.h"

#include <errno.h>

#include "fwcfg_view.pb.h"
#include "kernel/lib/pb_codec.h"

_Static_assert(mezzanine_vdev_fwcfg_view_SavedState_size <= FWCFG_VIEW_STATE_MAX_LEN,
               "FWCFG_VIEW_STATE_MAX_LEN covers the largest encoding");

int fwcfg_view_save_state(const struct fwcfg_view *v, uint8_t *buf, size_t cap, size_t *len)
{
    mezzanine_vdev_fwcfg_view_SavedState m = { .selected = v->selected, .offset = v->offset };
    return pb_codec_encode(mezzanine_vdev_fwcfg_view_SavedState_fields, &m, buf, cap, len);
}

int fwcfg_view_restore_state(struct fwcfg_view *v, const uint8_t *buf, size_t len)
{
    mezzanine_vdev_fwcfg_view_SavedState m;
    if (pb_codec_decode(mezzanine_vdev_fwcfg_view_SavedState_fields, &m, buf, len) != 0)
        return -EINVAL;
    /* The selector keeps the key without the write-channel bit (fwcfg_view_io). */
    if (m.selected > 0xFFFF || (m.selected & FW_CFG_WRITE_CHANNEL))
        return -EINVAL;
    v->selected = (uint16_t)m.selected;
    v->offset = m.offset;
    return 0;
}
