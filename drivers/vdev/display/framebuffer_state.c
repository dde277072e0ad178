/* The framebuffer's saved state; see framebuffer.h and docs/saved-state.md. */
#include "drivers/vdev/display/framebuffer.h"

#include <errno.h>

#include "framebuffer.pb.h"
#include "kernel/lib/pb_codec.h"

_Static_assert(framebuffer_SavedState_size <= FRAMEBUFFER_STATE_MAX_LEN,
               "FRAMEBUFFER_STATE_MAX_LEN covers the largest encoding");

int framebuffer_save_state(const struct framebuffer *fb, uint8_t *buf, size_t cap, size_t *len)
{
    framebuffer_SavedState m = framebuffer_SavedState_init_zero;
    if (fb->st.mapped) {
        m.has_mapping = true;
        m.mapping.gpa = fb->st.gpa;
        m.mapping.has_subrange = true;
        m.mapping.subrange.start = fb->st.subrange.start;
        m.mapping.subrange.end = fb->st.subrange.start + fb->st.subrange.size;
    }
    m.has_format = true;
    m.format.width = fb->st.format.width;
    m.format.height = fb->st.format.height;
    m.format.bytes_per_line = fb->st.format.bytes_per_line;
    m.format.offset = fb->st.format.offset;
    m.format_forwarded = fb->st.format_sent;
    return pb_codec_encode(framebuffer_SavedState_fields, &m, buf, cap, len);
}

int framebuffer_restore_state(struct framebuffer *fb, const uint8_t *buf, size_t len)
{
    framebuffer_SavedState m;
    if (pb_codec_decode(framebuffer_SavedState_fields, &m, buf, len) != 0)
        return -EINVAL;
    const framebuffer_FramebufferFormat *f = &m.format;
    if (f->width > UINT32_MAX || f->height > UINT32_MAX || f->bytes_per_line > UINT32_MAX ||
        f->offset > UINT32_MAX)
        return -EINVAL;
    struct framebuffer_state st = {
        .mapped = m.has_mapping,
        .format = { (uint32_t)f->width, (uint32_t)f->height, (uint32_t)f->bytes_per_line,
                    (uint32_t)f->offset },
        .format_sent = m.format_forwarded,
    };
    if (m.has_mapping) {
        const topology_MemoryRange *r = &m.mapping.subrange;
        if (!m.mapping.has_subrange || r->end < r->start)
            return -EINVAL;
        st.gpa = m.mapping.gpa;
        st.subrange = (struct fb_range){ r->start, r->end - r->start };
    }
    if (!framebuffer_state_ok(fb, &st))
        return -EINVAL;
    return framebuffer_set_state(fb, &st);
}
