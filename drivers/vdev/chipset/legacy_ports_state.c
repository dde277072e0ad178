/* The legacy port devices' saved state; see legacy_ports.h and docs/saved-state.md. */
#include "drivers/vdev/chipset/legacy_ports.h"

#include <errno.h>
#include <string.h>

#include "kernel/lib/pb_codec.h"
#include "legacy_ports.pb.h"

typedef mezzanine_vdev_legacy_ports_SavedState legacy_msg;

_Static_assert(sizeof(((legacy_msg *)0)->debugcon_line.bytes) == LEGACY_DEBUGCON_LINE,
               "the schema holds a whole debugcon line");
_Static_assert(mezzanine_vdev_legacy_ports_SavedState_size <= LEGACY_PORTS_STATE_MAX_LEN,
               "LEGACY_PORTS_STATE_MAX_LEN covers the largest encoding");

int legacy_ports_save_state(const struct legacy_ports *lp, uint8_t *buf, size_t cap, size_t *len)
{
    legacy_msg m = mezzanine_vdev_legacy_ports_SavedState_init_zero;
    m.kbc_expect_output_port = lp->st.kbc_expect_output_port;
    m.port92 = lp->st.port92;
    m.debugcon_line.size = (pb_size_t)lp->st.debugcon_len;
    memcpy(m.debugcon_line.bytes, lp->st.debugcon, lp->st.debugcon_len);
    m.pm_base = lp->st.pm_base;
    return pb_codec_encode(mezzanine_vdev_legacy_ports_SavedState_fields, &m, buf, cap, len);
}

int legacy_ports_restore_state(struct legacy_ports *lp, const uint8_t *buf, size_t len)
{
    legacy_msg m;
    if (pb_codec_decode(mezzanine_vdev_legacy_ports_SavedState_fields, &m, buf, len) != 0)
        return -EINVAL;
    /* A line is gathered up to LEGACY_DEBUGCON_LINE - 1 bytes, then logged. */
    if (m.port92 > 0xFF || (m.port92 & LEGACY_PORT92_RESET) || !legacy_pm_base_ok(m.pm_base) ||
        m.debugcon_line.size >= LEGACY_DEBUGCON_LINE)
        return -EINVAL;
    for (pb_size_t i = 0; i < m.debugcon_line.size; i++) {
        if (m.debugcon_line.bytes[i] < 0x20 || m.debugcon_line.bytes[i] > 0x7E)
            return -EINVAL;
    }
    struct legacy_ports_state st;
    memset(&st, 0, sizeof(st));
    st.kbc_expect_output_port = m.kbc_expect_output_port;
    st.port92 = (uint8_t)m.port92;
    st.pm_base = (uint16_t)m.pm_base;
    st.debugcon_len = (uint16_t)m.debugcon_line.size;
    memcpy(st.debugcon, m.debugcon_line.bytes, m.debugcon_line.size);
    lp->st = st;
    return 0;
}
