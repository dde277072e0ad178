/* The framebuffer core; see framebuffer.h. */
#include "drivers/vdev/display/framebuffer.h"

#include <errno.h>
#include <string.h>

static const struct fb_format default_format = {
    FB_DEFAULT_WIDTH, FB_DEFAULT_HEIGHT, FB_DEFAULT_PITCH, 0,
};

static bool page_aligned(uint64_t x)
{
    return (x & (FB_PAGE_SIZE - 1)) == 0;
}

static bool format_equal(const struct fb_format *a, const struct fb_format *b)
{
    return a->width == b->width && a->height == b->height &&
           a->bytes_per_line == b->bytes_per_line && a->offset == b->offset;
}

int framebuffer_init(struct framebuffer *fb, uint8_t *vram, uint64_t vram_size,
                     const struct framebuffer_ops *ops)
{
    if (vram == NULL || vram_size == 0 || !page_aligned(vram_size))
        return -EINVAL;
    memset(fb, 0, sizeof(*fb));
    fb->vram = vram;
    fb->vram_size = vram_size;
    if (ops != NULL)
        fb->ops = *ops;
    fb->view.vram = vram;
    fb->view.vram_size = vram_size;
    fb->st.format = default_format;
    return 0;
}

/* Can VRAM's [start, start + size) be shown at gpa: a non-empty, page-aligned piece of
 * VRAM, a page-aligned gpa, and no wrap? */
static bool mapping_ok(const struct framebuffer *fb, uint64_t gpa, const struct fb_range *r)
{
    return r->size != 0 && page_aligned(r->start) && page_aligned(r->size) &&
           r->start < fb->vram_size && r->size <= fb->vram_size - r->start &&
           page_aligned(gpa) && gpa + r->size >= gpa;
}

static void report_host(struct framebuffer *fb, int result)
{
    if (result != 0)
        fb->stats.host_failures++;
}

void framebuffer_unmap(struct framebuffer *fb)
{
    if (!fb->st.mapped)
        return;
    fb->st.mapped = false;
    fb->stats.unmaps++;
    if (fb->ops.unmap)
        fb->ops.unmap(fb->ops.ctx, fb->st.gpa);
    if (fb->ops.host_unmap)
        report_host(fb, fb->ops.host_unmap(fb->ops.ctx));
}

/* Makes the mapping; reports it to the host only when `notify`. */
static int do_map(struct framebuffer *fb, uint64_t gpa, const struct fb_range *r, bool notify)
{
    int err = fb->ops.map ? fb->ops.map(fb->ops.ctx, gpa, r->start, r->size) : 0;
    if (err) {
        fb->stats.map_failed++;
        return err;
    }
    fb->st.mapped = true;
    fb->st.gpa = gpa;
    fb->st.subrange = *r;
    fb->stats.maps++;
    if (notify && fb->ops.host_map)
        report_host(fb, fb->ops.host_map(fb->ops.ctx, gpa));
    return 0;
}

int framebuffer_map(struct framebuffer *fb, uint64_t gpa, const struct fb_range *subrange)
{
    struct fb_range r = subrange ? *subrange : (struct fb_range){ 0, fb->vram_size };
    if (!mapping_ok(fb, gpa, &r)) {
        fb->stats.map_refused++;
        return -EINVAL;
    }
    framebuffer_unmap(fb);
    return do_map(fb, gpa, &r, true);
}

static void forward_format(struct framebuffer *fb)
{
    fb->st.format_sent = true;
    fb->view.format = fb->st.format;
    fb->view.has_format = true;
    fb->stats.formats_forwarded++;
    if (fb->ops.format_changed)
        fb->ops.format_changed(fb->ops.ctx, &fb->st.format);
}

void framebuffer_set_format(struct framebuffer *fb, const struct fb_format *format)
{
    if (fb->st.format_sent && format_equal(&fb->st.format, format)) {
        fb->stats.formats_unchanged++;
        return;
    }
    fb->st.format = *format;
    forward_format(fb);
}

void framebuffer_reset(struct framebuffer *fb)
{
    framebuffer_unmap(fb);
    memset(fb->vram, 0, fb->vram_size);
    fb->stats.resets++;
}

struct fb_view *framebuffer_view(struct framebuffer *fb)
{
    return &fb->view;
}

size_t fb_view_read_line(const struct fb_view *v, uint32_t line, uint8_t *buf, size_t len)
{
    if (!v->has_format) {
        memset(buf, 0, len);
        return len;
    }
    const struct fb_format *f = &v->format;
    /* 64-bit arithmetic: line * pitch < 2^64 and width * 4 < 2^34, so nothing wraps. */
    uint64_t want = (uint64_t)f->width * FB_BYTES_PER_PIXEL;
    size_t n = want < len ? (size_t)want : len;
    uint64_t start = (uint64_t)line * f->bytes_per_line + f->offset;
    size_t inside = 0;
    if (start < v->vram_size) {
        uint64_t room = v->vram_size - start;
        inside = room < n ? (size_t)room : n;
        memcpy(buf, v->vram + start, inside);
    }
    memset(buf + inside, 0, n - inside);
    return n;
}

const uint8_t *fb_view_line(const struct fb_view *v, uint32_t line, size_t len)
{
    if (!v->has_format || len > (uint64_t)v->format.width * FB_BYTES_PER_PIXEL)
        return NULL;
    uint64_t start = (uint64_t)line * v->format.bytes_per_line + v->format.offset;
    if (start > v->vram_size || v->vram_size - start < len)
        return NULL;
    return v->vram + start;
}

static uint16_t clamp16(uint32_t x)
{
    return x > 0xFFFF ? 0xFFFF : (uint16_t)x;
}

void fb_view_resolution(const struct fb_view *v, uint16_t *width, uint16_t *height)
{
    if (!v->has_format) {
        *width = 1;
        *height = 1;
        return;
    }
    *width = clamp16(v->format.width);
    *height = clamp16(v->format.height);
}

/* ---- saved state ------------------------------------------------------------------- */

bool framebuffer_state_ok(const struct framebuffer *fb, const struct framebuffer_state *st)
{
    if (st->mapped)
        return mapping_ok(fb, st->gpa, &st->subrange);
    return st->gpa == 0 && st->subrange.start == 0 && st->subrange.size == 0;
}

int framebuffer_set_state(struct framebuffer *fb, const struct framebuffer_state *st)
{
    /* A restore replaces whatever is mapped now; the host is told only of real changes,
     * and restoring what it already knows is none. */
    if (fb->st.mapped) {
        fb->st.mapped = false;
        if (fb->ops.unmap)
            fb->ops.unmap(fb->ops.ctx, fb->st.gpa);
    }
    fb->st.gpa = 0;
    fb->st.subrange = (struct fb_range){ 0, 0 };
    fb->st.format = st->format;
    fb->st.format_sent = false;
    fb->view.has_format = false;
    if (st->format_sent)
        forward_format(fb);
    return st->mapped ? do_map(fb, st->gpa, &st->subrange, false) : 0;
}
