/* The Bochs display's saved state; see bochs_display.h and docs/saved-state.md. */
#include "drivers/vdev/display/bochs_display.h"

#include <errno.h>

#include "bochs_display.pb.h"
#include "kernel/lib/pb_codec.h"

typedef mezzanine_vdev_bochs_display_SavedState bochs_msg;

_Static_assert(mezzanine_vdev_bochs_display_SavedState_size <= BOCHS_DISPLAY_STATE_MAX_LEN,
               "BOCHS_DISPLAY_STATE_MAX_LEN covers the largest encoding");
_Static_assert(sizeof(((bochs_msg *)0)->dispi) / sizeof(uint32_t) == DISPI_REG_COUNT,
               "the schema's dispi array holds every stored register");

int bochs_display_save_state(const struct bochs_display *d, uint8_t *buf, size_t cap, size_t *len)
{
    const struct bochs_display_state *s = &d->st;
    bochs_msg m = mezzanine_vdev_bochs_display_SavedState_init_zero;
    m.command = s->command;
    m.cache_line = s->cache_line;
    m.int_line = s->int_line;
    m.bar0 = s->bar0;
    m.bar2 = s->bar2;
    m.rom = s->rom;
    m.dispi_index = s->dispi_index;
    m.dispi_count = DISPI_REG_COUNT;
    for (unsigned i = 0; i < DISPI_REG_COUNT; i++)
        m.dispi[i] = s->dispi[i];
    m.big_endian = s->big_endian;
    return pb_codec_encode(mezzanine_vdev_bochs_display_SavedState_fields, &m, buf, cap, len);
}

int bochs_display_restore_state(struct bochs_display *d, const uint8_t *buf, size_t len)
{
    bochs_msg m;
    if (pb_codec_decode(mezzanine_vdev_bochs_display_SavedState_fields, &m, buf, len) != 0)
        return -EINVAL;
    if (m.command > 0xFFFF || m.cache_line > 0xFF || m.int_line > 0xFF || m.dispi_index > 0xFFFF ||
        m.dispi_count != DISPI_REG_COUNT)
        return -EINVAL;
    struct bochs_display_state st = {
        .command = (uint16_t)m.command,
        .cache_line = (uint8_t)m.cache_line,
        .int_line = (uint8_t)m.int_line,
        .bar0 = m.bar0, .bar2 = m.bar2, .rom = m.rom,
        .dispi_index = (uint16_t)m.dispi_index,
        .big_endian = m.big_endian,
    };
    for (unsigned i = 0; i < DISPI_REG_COUNT; i++) {
        if (m.dispi[i] > 0xFFFF)
            return -EINVAL;
        st.dispi[i] = (uint16_t)m.dispi[i];
    }
    if (!bochs_display_state_ok(d, &st))
        return -EINVAL;
    bochs_display_set_state(d, &st);
    return 0;
}
