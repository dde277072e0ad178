/*
 * Unit tests for drivers/framebuffer: the view's bounds against hostile formats, format
 * forwarding, map/unmap sequences and their host notifications, reset, save/restore.
 * VRAM is a heap buffer of exactly its size, so AddressSanitizer catches any read outside.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/vdev/display/framebuffer.h"
#include "framebuffer.pb.h"
#include "kernel/lib/pb_codec.h"

/* The saved state as its schema's message (framebuffer.SavedState, OpenVMM's). */
typedef framebuffer_SavedState fb_msg;

struct state_bytes {
    uint8_t b[FRAMEBUFFER_STATE_MAX_LEN];
    size_t len;
};

static struct state_bytes save_bytes(const struct framebuffer *fb)
{
    struct state_bytes out;
    assert_int_equal(framebuffer_save_state(fb, out.b, sizeof(out.b), &out.len), 0);
    return out;
}

static void save_msg(const struct framebuffer *fb, fb_msg *m)
{
    struct state_bytes s = save_bytes(fb);
    assert_int_equal(pb_codec_decode(framebuffer_SavedState_fields, m, s.b, s.len), 0);
}

static int restore_msg(struct framebuffer *fb, const fb_msg *m)
{
    struct state_bytes blob;
    assert_int_equal(pb_codec_encode(framebuffer_SavedState_fields, m, blob.b, sizeof(blob.b),
                                     &blob.len), 0);
    return framebuffer_restore_state(fb, blob.b, blob.len);
}

static void expect_same_bytes(const struct state_bytes *a, const struct state_bytes *b)
{
    assert_int_equal(a->len, b->len);
    assert_memory_equal(a->b, b->b, a->len);
}

#define SMALL_VRAM 0x10000u     /* 64 KiB: small enough to sweep */

/* ---- a recording backend ------------------------------------------------------------- */

enum call_kind { CALL_MAP, CALL_UNMAP, CALL_HOST_MAP, CALL_HOST_UNMAP, CALL_FORMAT };

struct call {
    enum call_kind kind;
    uint64_t gpa, offset, size;
    struct fb_format format;
};

struct backend {
    struct call calls[32];
    unsigned n;
    int map_result, host_result;
};

static void push(struct backend *b, struct call c)
{
    assert_true(b->n < 32);
    b->calls[b->n++] = c;
}

static int be_map(void *ctx, uint64_t gpa, uint64_t off, uint64_t size)
{
    struct backend *b = ctx;
    push(b, (struct call){ .kind = CALL_MAP, .gpa = gpa, .offset = off, .size = size });
    return b->map_result;
}

static void be_unmap(void *ctx, uint64_t gpa)
{
    push(ctx, (struct call){ .kind = CALL_UNMAP, .gpa = gpa });
}

static int be_host_map(void *ctx, uint64_t gpa)
{
    struct backend *b = ctx;
    push(b, (struct call){ .kind = CALL_HOST_MAP, .gpa = gpa });
    return b->host_result;
}

static int be_host_unmap(void *ctx)
{
    struct backend *b = ctx;
    push(b, (struct call){ .kind = CALL_HOST_UNMAP });
    return b->host_result;
}

static void be_format(void *ctx, const struct fb_format *f)
{
    push(ctx, (struct call){ .kind = CALL_FORMAT, .format = *f });
}

struct fixture {
    struct framebuffer fb;
    struct backend be;
    uint8_t *vram;
    uint64_t size;
};

static struct fixture *make(uint64_t size)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->vram = malloc(size);
    assert_non_null(f->vram);
    f->size = size;
    for (uint64_t i = 0; i < size; i++)
        f->vram[i] = (uint8_t)(i * 7 + 1);
    const struct framebuffer_ops ops = { be_map, be_unmap, be_host_map, be_host_unmap,
                                         be_format, &f->be };
    assert_int_equal(framebuffer_init(&f->fb, f->vram, size, &ops), 0);
    return f;
}

static int setup_small(void **state)
{
    *state = make(SMALL_VRAM);
    return 0;
}

static int setup_full(void **state)
{
    *state = make(FB_VRAM_SIZE);
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    free(f->vram);
    free(f);
    return 0;
}

static void expect_call(const struct backend *b, unsigned i, enum call_kind kind, uint64_t gpa)
{
    assert_true(i < b->n);
    assert_int_equal(b->calls[i].kind, kind);
    assert_int_equal(b->calls[i].gpa, gpa);
}

static void set_format(struct framebuffer *fb, uint32_t w, uint32_t h, uint32_t pitch,
                       uint32_t offset)
{
    const struct fb_format f = { w, h, pitch, offset };
    framebuffer_set_format(fb, &f);
}

/* ---- init and the view before any format ----------------------------------------------- */

static void test_init_rejects_bad_sizes(void **state)
{
    (void)state;
    struct framebuffer fb;
    uint8_t vram[0x2000];
    assert_int_equal(framebuffer_init(&fb, vram, 0, NULL), -EINVAL);
    assert_int_equal(framebuffer_init(&fb, vram, 0x1800, NULL), -EINVAL);
    assert_int_equal(framebuffer_init(&fb, NULL, 0x1000, NULL), -EINVAL);
    assert_int_equal(framebuffer_init(&fb, vram, 0x2000, NULL), 0);
}

static void test_defaults(void **state)
{
    struct fixture *f = *state;
    uint16_t w, h;
    fb_view_resolution(framebuffer_view(&f->fb), &w, &h);
    assert_int_equal(w, 1);
    assert_int_equal(h, 1);
    /* The device's own format is OpenVMM's default, not yet forwarded. */
    assert_int_equal(f->fb.st.format.width, 1024);
    assert_int_equal(f->fb.st.format.height, 768);
    assert_int_equal(f->fb.st.format.bytes_per_line, 4096);
    assert_int_equal(f->fb.st.format.offset, 0);
    assert_false(f->fb.st.mapped);
    assert_int_equal(f->be.n, 0);
    assert_int_equal(f->vram[1], 8);   /* init does not touch VRAM */
}

static void test_read_line_before_format_zero_fills(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[64];
    memset(buf, 0xAA, sizeof(buf));
    assert_int_equal(fb_view_read_line(framebuffer_view(&f->fb), 0, buf, sizeof(buf)), 64);
    for (unsigned i = 0; i < sizeof(buf); i++)
        assert_int_equal(buf[i], 0);
}

/* ---- format forwarding ---------------------------------------------------------------- */

static void test_format_forwarded_only_when_changed(void **state)
{
    struct fixture *f = *state;
    /* The first format is forwarded even if it equals the default. */
    set_format(&f->fb, 1024, 768, 4096, 0);
    assert_int_equal(f->be.n, 1);
    assert_int_equal(f->be.calls[0].kind, CALL_FORMAT);
    assert_int_equal(f->be.calls[0].format.width, 1024);
    set_format(&f->fb, 1024, 768, 4096, 0);
    assert_int_equal(f->be.n, 1);
    assert_int_equal(f->fb.stats.formats_unchanged, 1);
    /* Each field on its own counts as a change. */
    set_format(&f->fb, 800, 768, 4096, 0);
    set_format(&f->fb, 800, 600, 4096, 0);
    set_format(&f->fb, 800, 600, 3200, 0);
    set_format(&f->fb, 800, 600, 3200, 4096);
    set_format(&f->fb, 800, 600, 3200, 4096);
    assert_int_equal(f->be.n, 5);
    assert_int_equal(f->fb.stats.formats_forwarded, 5);
    assert_int_equal(f->fb.stats.formats_unchanged, 2);
    uint16_t w, h;
    fb_view_resolution(framebuffer_view(&f->fb), &w, &h);
    assert_int_equal(w, 800);
    assert_int_equal(h, 600);
    assert_int_equal(f->fb.view.format.offset, 4096);
}

static void test_resolution_clamps(void **state)
{
    struct fixture *f = *state;
    uint16_t w, h;
    set_format(&f->fb, 0x10000, 0xFFFFFFFF, 0, 0);
    fb_view_resolution(framebuffer_view(&f->fb), &w, &h);
    assert_int_equal(w, 0xFFFF);
    assert_int_equal(h, 0xFFFF);
}

/* ---- read_line bounds -------------------------------------------------------------------- */

static void test_read_line_normal(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[256];
    set_format(&f->fb, 16, 8, 128, 32);
    memset(buf, 0xAA, sizeof(buf));
    /* min(len, width * 4) = 64 bytes from 3 * 128 + 32; the rest of buf untouched. */
    assert_int_equal(fb_view_read_line(framebuffer_view(&f->fb), 3, buf, sizeof(buf)), 64);
    assert_memory_equal(buf, f->vram + 3 * 128 + 32, 64);
    assert_int_equal(buf[64], 0xAA);
    /* A short buffer gets only what fits. */
    memset(buf, 0xAA, sizeof(buf));
    assert_int_equal(fb_view_read_line(framebuffer_view(&f->fb), 1, buf, 10), 10);
    assert_memory_equal(buf, f->vram + 160, 10);
    assert_int_equal(buf[10], 0xAA);
}

static void assert_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(b[i], 0);
}

static void test_read_line_offset_past_vram(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[64];
    set_format(&f->fb, 16, 8, 64, SMALL_VRAM);           /* first byte past VRAM */
    memset(buf, 0xAA, sizeof(buf));
    assert_int_equal(fb_view_read_line(framebuffer_view(&f->fb), 0, buf, sizeof(buf)), 64);
    assert_zero(buf, 64);
    set_format(&f->fb, 16, 8, 64, 0xFFFFFFFF);
    memset(buf, 0xAA, sizeof(buf));
    fb_view_read_line(framebuffer_view(&f->fb), 0xFFFFFFFF, buf, sizeof(buf));
    assert_zero(buf, 64);
}

static void test_read_line_straddles_the_end(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[64];
    set_format(&f->fb, 16, 8, 64, SMALL_VRAM - 24);      /* 24 bytes inside, 40 past */
    memset(buf, 0xAA, sizeof(buf));
    assert_int_equal(fb_view_read_line(framebuffer_view(&f->fb), 0, buf, sizeof(buf)), 64);
    assert_memory_equal(buf, f->vram + SMALL_VRAM - 24, 24);
    assert_zero(buf + 24, 40);
}

static void test_line_in_place_only_when_all_in_vram(void **state)
{
    struct fixture *f = *state;
    const struct fb_view *v = framebuffer_view(&f->fb);
    assert_null(fb_view_line(v, 0, 64));                   /* no format yet */
    set_format(&f->fb, 16, 8, 128, 32);
    assert_ptr_equal(fb_view_line(v, 3, 64), f->vram + 3 * 128 + 32);
    assert_ptr_equal(fb_view_line(v, 3, 10), f->vram + 3 * 128 + 32);
    assert_null(fb_view_line(v, 3, 65));                   /* more than width * 4 */
    set_format(&f->fb, 16, 8, 64, SMALL_VRAM - 64);        /* the last 64 bytes: inside */
    assert_ptr_equal(fb_view_line(v, 0, 64), f->vram + SMALL_VRAM - 64);
    set_format(&f->fb, 16, 8, 64, SMALL_VRAM - 24);        /* straddles the end */
    assert_null(fb_view_line(v, 0, 64));
    set_format(&f->fb, 16, 8, 64, SMALL_VRAM);             /* starts past it */
    assert_null(fb_view_line(v, 0, 64));
    set_format(&f->fb, 16, 0xFFFF, 0x80000000u, 0xFFFFFFFF);
    assert_null(fb_view_line(v, 0xFFFFFFFF, 64));          /* 64-bit sums, nothing wraps */
}

static void test_read_line_pitch_past_vram(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[64];
    set_format(&f->fb, 16, 0xFFFF, 0x80000000u, 0);
    /* Line 0 is inside; line 1 starts 2 GiB in. */
    assert_int_equal(fb_view_read_line(framebuffer_view(&f->fb), 0, buf, sizeof(buf)), 64);
    assert_memory_equal(buf, f->vram, 64);
    memset(buf, 0xAA, sizeof(buf));
    fb_view_read_line(framebuffer_view(&f->fb), 1, buf, sizeof(buf));
    assert_zero(buf, 64);
    /* The largest product of line and pitch, plus the largest offset, does not wrap. */
    set_format(&f->fb, 16, 8, 0xFFFFFFFF, 0xFFFFFFFF);
    memset(buf, 0xAA, sizeof(buf));
    fb_view_read_line(framebuffer_view(&f->fb), 0xFFFFFFFF, buf, sizeof(buf));
    assert_zero(buf, 64);
}

static void test_read_line_huge_width(void **state)
{
    struct fixture *f = *state;
    uint8_t *buf = malloc(SMALL_VRAM + 512);
    assert_non_null(buf);
    set_format(&f->fb, 0xFFFFFFFF, 1, 0, 256);
    /* width * 4 would be 16 GiB: only len bytes, and nothing past VRAM. */
    assert_int_equal(fb_view_read_line(framebuffer_view(&f->fb), 0, buf, SMALL_VRAM + 512),
                     SMALL_VRAM + 512);
    assert_memory_equal(buf, f->vram + 256, SMALL_VRAM - 256);
    assert_zero(buf + SMALL_VRAM - 256, 768);
    free(buf);
}

static void test_read_line_zero_pitch(void **state)
{
    struct fixture *f = *state;
    uint8_t a[32], b[32];
    set_format(&f->fb, 8, 600, 0, 100);
    fb_view_read_line(framebuffer_view(&f->fb), 0, a, sizeof(a));
    fb_view_read_line(framebuffer_view(&f->fb), 599, b, sizeof(b));
    assert_memory_equal(a, b, sizeof(a));
    assert_memory_equal(a, f->vram + 100, sizeof(a));
}

static void test_read_line_zero_width(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[8];
    memset(buf, 0xAA, sizeof(buf));
    set_format(&f->fb, 0, 8, 64, 0);
    assert_int_equal(fb_view_read_line(framebuffer_view(&f->fb), 0, buf, sizeof(buf)), 0);
    assert_int_equal(buf[0], 0xAA);
}

/* Every line of a sweep of formats stays inside VRAM (ASan would report otherwise). */
static void test_read_line_sweep(void **state)
{
    struct fixture *f = *state;
    static const uint32_t values[] = { 0, 1, 3, 4, 63, 64, 4095, 4096, 0x8000, SMALL_VRAM - 1,
                                       SMALL_VRAM, SMALL_VRAM + 1, 0x7FFFFFFF, 0xFFFFFFFF };
    uint8_t buf[1024];
    for (size_t w = 0; w < sizeof(values) / sizeof(values[0]); w += 3)
        for (size_t p = 0; p < sizeof(values) / sizeof(values[0]); p++)
            for (size_t o = 0; o < sizeof(values) / sizeof(values[0]); o++) {
                set_format(&f->fb, values[w], 16, values[p], values[o]);
                f->be.n = 0;
                for (uint32_t line = 0; line < 20; line += 7)
                    fb_view_read_line(framebuffer_view(&f->fb), line, buf, sizeof(buf));
                fb_view_read_line(framebuffer_view(&f->fb), 0xFFFFFFFF, buf, sizeof(buf));
            }
}

/* ---- map / unmap ------------------------------------------------------------------------ */

static void test_map_then_move_then_unmap(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(framebuffer_map(&f->fb, 0xE0000000, NULL), 0);
    assert_int_equal(f->be.n, 2);
    expect_call(&f->be, 0, CALL_MAP, 0xE0000000);
    assert_int_equal(f->be.calls[0].offset, 0);
    assert_int_equal(f->be.calls[0].size, f->size);
    expect_call(&f->be, 1, CALL_HOST_MAP, 0xE0000000);
    assert_true(f->fb.st.mapped);

    /* A move: the old mapping goes first, then the new one, each reported. */
    assert_int_equal(framebuffer_map(&f->fb, 0xD0000000, NULL), 0);
    assert_int_equal(f->be.n, 6);
    expect_call(&f->be, 2, CALL_UNMAP, 0xE0000000);
    expect_call(&f->be, 3, CALL_HOST_UNMAP, 0);
    expect_call(&f->be, 4, CALL_MAP, 0xD0000000);
    expect_call(&f->be, 5, CALL_HOST_MAP, 0xD0000000);

    framebuffer_unmap(&f->fb);
    assert_int_equal(f->be.n, 8);
    expect_call(&f->be, 6, CALL_UNMAP, 0xD0000000);
    expect_call(&f->be, 7, CALL_HOST_UNMAP, 0);
    assert_false(f->fb.st.mapped);
    /* Unmapping nothing reports nothing. */
    framebuffer_unmap(&f->fb);
    assert_int_equal(f->be.n, 8);
    assert_int_equal(f->fb.stats.maps, 2);
    assert_int_equal(f->fb.stats.unmaps, 2);
}

static void test_map_subrange(void **state)
{
    struct fixture *f = *state;
    const struct fb_range r = { 0x4000, 0x8000 };
    assert_int_equal(framebuffer_map(&f->fb, 0x100000000ull, &r), 0);
    assert_int_equal(f->be.calls[0].offset, 0x4000);
    assert_int_equal(f->be.calls[0].size, 0x8000);
    assert_int_equal(f->fb.st.subrange.start, 0x4000);
    assert_int_equal(f->fb.st.gpa, 0x100000000ull);
}

static void test_map_refuses_bad_arguments(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(framebuffer_map(&f->fb, 0xE0000000, NULL), 0);
    unsigned calls = f->be.n;
    const struct fb_range bad[] = {
        { 0, 0 },                          /* empty */
        { 0x800, 0x1000 },                 /* unaligned start */
        { 0, 0x1800 },                     /* unaligned size */
        { 0, SMALL_VRAM + 0x1000 },        /* past VRAM */
        { SMALL_VRAM, 0x1000 },            /* starts past VRAM */
        { 0x1000, UINT64_MAX - 0xFFF },    /* wraps */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(framebuffer_map(&f->fb, 0xC0000000, &bad[i]), -EINVAL);
    assert_int_equal(framebuffer_map(&f->fb, 0xC0000800, NULL), -EINVAL);   /* unaligned gpa */
    assert_int_equal(framebuffer_map(&f->fb, 0xFFFFFFFFFFFFF000ull, NULL), -EINVAL);  /* wraps */
    /* Nothing changed: the old mapping is still there and nothing was called. */
    assert_int_equal(f->be.n, calls);
    assert_true(f->fb.st.mapped);
    assert_int_equal(f->fb.st.gpa, 0xE0000000);
    assert_int_equal(f->fb.stats.map_refused, 8);
}

static void test_map_failure_leaves_nothing_mapped(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(framebuffer_map(&f->fb, 0xE0000000, NULL), 0);
    f->be.map_result = -EEXIST;
    assert_int_equal(framebuffer_map(&f->fb, 0xD0000000, NULL), -EEXIST);
    /* The old mapping was removed and reported; the new one never happened. */
    assert_int_equal(f->be.n, 5);
    expect_call(&f->be, 2, CALL_UNMAP, 0xE0000000);
    expect_call(&f->be, 3, CALL_HOST_UNMAP, 0);
    expect_call(&f->be, 4, CALL_MAP, 0xD0000000);
    assert_false(f->fb.st.mapped);
    assert_int_equal(f->fb.stats.map_failed, 1);
    framebuffer_unmap(&f->fb);
    assert_int_equal(f->be.n, 5);
}

static void test_host_failure_is_not_fatal(void **state)
{
    struct fixture *f = *state;
    f->be.host_result = 1;           /* the GED's FAILURE status */
    assert_int_equal(framebuffer_map(&f->fb, 0xE0000000, NULL), 0);
    assert_true(f->fb.st.mapped);
    framebuffer_unmap(&f->fb);
    assert_false(f->fb.st.mapped);
    assert_int_equal(f->fb.stats.host_failures, 2);
}

static void test_no_ops_is_fine(void **state)
{
    (void)state;
    uint8_t *vram = calloc(1, 0x2000);
    struct framebuffer fb;
    assert_int_equal(framebuffer_init(&fb, vram, 0x2000, NULL), 0);
    assert_int_equal(framebuffer_map(&fb, 0x1000, NULL), 0);
    set_format(&fb, 1, 1, 4, 0);
    framebuffer_reset(&fb);
    assert_false(fb.st.mapped);
    free(vram);
}

/* ---- reset -------------------------------------------------------------------------------- */

static void test_reset_unmaps_and_clears(void **state)
{
    struct fixture *f = *state;
    set_format(&f->fb, 800, 600, 3200, 0);
    assert_int_equal(framebuffer_map(&f->fb, 0xE0000000, NULL), 0);
    f->be.n = 0;
    framebuffer_reset(&f->fb);
    assert_int_equal(f->be.n, 2);
    expect_call(&f->be, 0, CALL_UNMAP, 0xE0000000);
    expect_call(&f->be, 1, CALL_HOST_UNMAP, 0);
    assert_false(f->fb.st.mapped);
    for (uint64_t i = 0; i < f->size; i++)
        assert_int_equal(f->vram[i], 0);
    /* The format stays. */
    uint16_t w, h;
    fb_view_resolution(framebuffer_view(&f->fb), &w, &h);
    assert_int_equal(w, 800);
    assert_int_equal(h, 600);
    /* A reset with nothing mapped reports nothing. */
    framebuffer_reset(&f->fb);
    assert_int_equal(f->be.n, 2);
}

/* ---- saved state ---------------------------------------------------------------------------- */

static void test_save_restore_round_trip(void **state)
{
    struct fixture *f = *state;
    const struct fb_range r = { 0x2000, 0x4000 };
    set_format(&f->fb, 640, 480, 2560, 8192);
    assert_int_equal(framebuffer_map(&f->fb, 0xF0000000, &r), 0);
    fb_msg m;
    save_msg(&f->fb, &m);
    assert_true(m.has_mapping);
    assert_true(m.format_forwarded);
    struct state_bytes saved = save_bytes(&f->fb);

    struct fixture *g = make(SMALL_VRAM);
    assert_int_equal(framebuffer_restore_state(&g->fb, saved.b, saved.len), 0);
    /* Re-mapped (no host notification: the host already knows) and the format re-sent. */
    assert_int_equal(g->be.n, 2);
    assert_int_equal(g->be.calls[0].kind, CALL_FORMAT);
    assert_int_equal(g->be.calls[0].format.bytes_per_line, 2560);
    expect_call(&g->be, 1, CALL_MAP, 0xF0000000);
    assert_int_equal(g->be.calls[1].offset, 0x2000);
    assert_int_equal(g->be.calls[1].size, 0x4000);
    uint16_t w, h;
    fb_view_resolution(framebuffer_view(&g->fb), &w, &h);
    assert_int_equal(w, 640);
    assert_int_equal(h, 480);

    struct state_bytes again = save_bytes(&g->fb);
    expect_same_bytes(&saved, &again);
    /* After restore the device behaves as before: the same format is not re-sent, a move
     * unmaps the restored mapping. */
    set_format(&g->fb, 640, 480, 2560, 8192);
    assert_int_equal(g->be.n, 2);
    assert_int_equal(framebuffer_map(&g->fb, 0xE0000000, NULL), 0);
    expect_call(&g->be, 2, CALL_UNMAP, 0xF0000000);
    teardown((void **)&g);
}

static void test_save_restore_unmapped_no_format(void **state)
{
    struct fixture *f = *state;
    fb_msg m;
    save_msg(&f->fb, &m);
    assert_false(m.has_mapping);
    assert_false(m.format_forwarded);
    assert_int_equal(m.format.width, 1024);   /* the default format travels too */
    struct state_bytes saved = save_bytes(&f->fb);

    struct fixture *g = make(SMALL_VRAM);
    assert_int_equal(framebuffer_map(&g->fb, 0xE0000000, NULL), 0);
    set_format(&g->fb, 64, 64, 256, 0);
    g->be.n = 0;
    assert_int_equal(framebuffer_restore_state(&g->fb, saved.b, saved.len), 0);
    /* The current mapping is replaced by none (not reported: a restore is not VTL0's
     * doing), and the view is back to "no format". */
    assert_int_equal(g->be.n, 1);
    expect_call(&g->be, 0, CALL_UNMAP, 0xE0000000);
    uint16_t w, h;
    fb_view_resolution(framebuffer_view(&g->fb), &w, &h);
    assert_int_equal(w, 1);
    assert_int_equal(h, 1);
    struct state_bytes again = save_bytes(&g->fb);
    expect_same_bytes(&saved, &again);
    teardown((void **)&g);
}

static void test_restore_rejects_bad_blobs(void **state)
{
    struct fixture *f = *state;
    const struct fb_range r = { 0x2000, 0x4000 };
    assert_int_equal(framebuffer_map(&f->fb, 0xF0000000, &r), 0);
    set_format(&f->fb, 640, 480, 2560, 0);
    fb_msg good, bad;
    save_msg(&f->fb, &good);
    struct state_bytes truncated = save_bytes(&f->fb);
    truncated.len--;
    unsigned calls = f->be.n;

#define REJECT(mutation) do { bad = good; mutation; \
        assert_int_equal(restore_msg(&f->fb, &bad), -EINVAL); } while (0)
    assert_int_equal(framebuffer_restore_state(&f->fb, truncated.b, truncated.len), -EINVAL);
    REJECT(bad.format.width = 0x100000000ull);         /* wider than the device's 32 bits */
    REJECT(bad.format.offset = 0x100000000ull);
    REJECT(bad.mapping.gpa = 0xF0000800);
    REJECT(bad.mapping.subrange.start = 0x1001);
    REJECT(bad.mapping.subrange.end = bad.mapping.subrange.start);   /* size 0 */
    REJECT(bad.mapping.subrange.end = 0x2000 + SMALL_VRAM);   /* 0x2000 + 64 KiB is past VRAM */
    REJECT(bad.mapping.subrange.end = 0x1000);                /* ends before it starts */
    REJECT(bad.mapping.has_subrange = false);
    REJECT(bad.mapping.gpa = 0xFFFFFFFFFFFFF000ull);
#undef REJECT
    /* Nothing changed. */
    assert_int_equal(f->be.n, calls);
    assert_true(f->fb.st.mapped);
    assert_int_equal(f->fb.st.gpa, 0xF0000000);
    assert_int_equal(f->fb.view.format.width, 640);
}

static void test_restore_map_failure(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(framebuffer_map(&f->fb, 0xF0000000, NULL), 0);
    struct state_bytes saved = save_bytes(&f->fb);
    struct fixture *g = make(SMALL_VRAM);
    g->be.map_result = -EEXIST;
    assert_int_equal(framebuffer_restore_state(&g->fb, saved.b, saved.len), -EEXIST);
    assert_false(g->fb.st.mapped);
    teardown((void **)&g);
}

static void test_full_size_vram(void **state)
{
    struct fixture *f = *state;
    uint8_t line[4096];
    set_format(&f->fb, 1024, 768, 4096, 0);
    assert_int_equal(fb_view_read_line(framebuffer_view(&f->fb), 767, line, sizeof(line)), 4096);
    assert_memory_equal(line, f->vram + 767 * 4096, 4096);
    /* The last line of a format that ends exactly at the end of VRAM. */
    set_format(&f->fb, 1024, 2048, 4096, 0);
    assert_int_equal(fb_view_read_line(framebuffer_view(&f->fb), 2047, line, sizeof(line)), 4096);
    assert_memory_equal(line, f->vram + FB_VRAM_SIZE - 4096, 4096);
    fb_view_read_line(framebuffer_view(&f->fb), 2048, line, sizeof(line));
    assert_zero(line, sizeof(line));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_rejects_bad_sizes),
        cmocka_unit_test_setup_teardown(test_defaults, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_read_line_before_format_zero_fills, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_format_forwarded_only_when_changed, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_resolution_clamps, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_read_line_normal, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_read_line_offset_past_vram, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_read_line_straddles_the_end, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_line_in_place_only_when_all_in_vram, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_read_line_pitch_past_vram, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_read_line_huge_width, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_read_line_zero_pitch, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_read_line_zero_width, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_read_line_sweep, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_map_then_move_then_unmap, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_map_subrange, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_map_refuses_bad_arguments, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_map_failure_leaves_nothing_mapped, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_host_failure_is_not_fatal, setup_small, teardown),
        cmocka_unit_test(test_no_ops_is_fine),
        cmocka_unit_test_setup_teardown(test_reset_unmaps_and_clears, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_save_restore_round_trip, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_save_restore_unmapped_no_format, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_restore_rejects_bad_blobs, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_restore_map_failure, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_full_size_vram, setup_full, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
