/*
 * Unit tests for kernel/screenshot: the RLE32 line encoding (checked against a decoder
 * written here from the format in screenshot.h) and chunking a frame from the view.
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

#include "kernel/host/screenshot.h"

/* Decodes one line of `width` pixels from data; returns the bytes consumed (fails the
 * test on any malformed token). */
static size_t decode_line(const uint8_t *data, size_t len, size_t width, uint8_t *out)
{
    size_t pos = 0, px = 0;
    while (px < width) {
        assert_true(pos + 2 <= len);
        uint16_t token = (uint16_t)(data[pos] | data[pos + 1] << 8);
        pos += 2;
        size_t count = (token & 0x7FFF) + 1u;
        assert_true(px + count <= width);
        if (token & SCREENSHOT_RUN) {
            assert_true(pos + 4 <= len);
            for (size_t i = 0; i < count; i++)
                memcpy(out + 4 * (px + i), data + pos, 4);
            pos += 4;
        } else {
            assert_true(pos + 4 * count <= len);
            memcpy(out + 4 * px, data + pos, 4 * count);
            pos += 4 * count;
        }
        px += count;
    }
    return pos;
}

static void round_trip(const uint8_t *pixels, size_t n)
{
    size_t cap = screenshot_line_max(n);
    uint8_t *enc = malloc(cap + 1);
    uint8_t *dec = malloc(4 * n + 1);
    size_t len = screenshot_encode_line(pixels, n, enc, cap);
    assert_true(len > 0 || n == 0);
    assert_true(len <= cap);
    assert_int_equal(decode_line(enc, len, n, dec), len);
    assert_memory_equal(dec, pixels, 4 * n);
    free(enc);
    free(dec);
}

static uint32_t rng = 12345;

static uint32_t next(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

static void test_encode_shapes(void **state)
{
    (void)state;
    enum { N = 1024 };
    static uint8_t px[4 * N];
    memset(px, 0, sizeof(px));                             /* one run */
    round_trip(px, N);
    for (size_t i = 0; i < 4 * N; i++)                     /* all literals */
        px[i] = (uint8_t)i;
    round_trip(px, N);
    for (int shape = 0; shape < 200; shape++) {            /* random runs and noise */
        size_t i = 0;
        while (i < N) {
            size_t len = 1 + next() % 40;
            uint32_t v = next() % 3 == 0 ? 0 : next();
            bool noisy = next() % 2;
            for (size_t j = 0; j < len && i < N; j++, i++) {
                uint32_t p = noisy ? next() : v;
                memcpy(px + 4 * i, &p, 4);
            }
        }
        round_trip(px, 1 + next() % N);
    }
    round_trip(px, 1);
    round_trip(px, 0);
}

/* The encoding as the format describes it, written plainly: at each pixel a run when
 * the next pixel is equal, else literals up to the first pixel equal to its successor;
 * tokens hold at most SCREENSHOT_TOKEN_MAX pixels. */
static size_t reference_encode(const uint8_t *px, size_t n, uint8_t *out)
{
    size_t len = 0, i = 0;
    while (i < n) {
        size_t j = i + 1;
        bool run = j < n && memcmp(px + 4 * i, px + 4 * j, 4) == 0;
        if (run) {
            while (j < n && j - i < SCREENSHOT_TOKEN_MAX && memcmp(px + 4 * i, px + 4 * j, 4) == 0)
                j++;
        } else {
            while (j < n && j - i < SCREENSHOT_TOKEN_MAX &&
                   !(j + 1 < n && memcmp(px + 4 * j, px + 4 * (j + 1), 4) == 0))
                j++;
        }
        uint16_t token = (uint16_t)((run ? SCREENSHOT_RUN : 0) | (j - i - 1));
        out[len++] = (uint8_t)token;
        out[len++] = (uint8_t)(token >> 8);
        memcpy(out + len, px + 4 * i, run ? 4 : 4 * (j - i));
        len += run ? 4 : 4 * (j - i);
        i = j;
    }
    return len;
}

static void test_encode_matches_the_reference(void **state)
{
    (void)state;
    /* Byte for byte, over random mixes of runs (some of 2 pixels), noise and pairs, up
     * to and across the token limit. */
    size_t max = SCREENSHOT_TOKEN_MAX + 3000;
    uint8_t *px = calloc(max, 4);
    uint8_t *want = malloc(screenshot_line_max(max));
    uint8_t *got = malloc(screenshot_line_max(max));
    for (int shape = 0; shape < 400; shape++) {
        size_t n = shape < 380 ? 1 + next() % 300 : SCREENSHOT_TOKEN_MAX - 2 + next() % 3000;
        size_t i = 0;
        while (i < n) {
            size_t len = 1 + next() % (shape % 2 ? 5 : 60);
            uint32_t v = next() % 4;
            bool noisy = next() % 2;
            for (size_t j = 0; j < len && i < n; j++, i++) {
                uint32_t p = noisy ? next() % (shape % 3 ? 3 : 1u << 24) : v;
                memcpy(px + 4 * i, &p, 4);
            }
        }
        size_t want_len = reference_encode(px, n, want);
        size_t got_len = screenshot_encode_line(px, n, got, screenshot_line_max(n));
        assert_int_equal(got_len, want_len);
        assert_memory_equal(got, want, want_len);
    }
    free(px);
    free(want);
    free(got);
}

static void test_encode_long_lines(void **state)
{
    (void)state;
    /* More than one token's worth of pixels, as runs and as literals. */
    size_t n = 40000;
    uint8_t *px = calloc(n, 4);
    round_trip(px, n);
    uint8_t enc[32];
    size_t len = screenshot_encode_line(px, n, enc, sizeof(enc));
    assert_int_equal(len, 12);                             /* two runs: 32768 + 7232 */
    assert_int_equal(enc[0] | enc[1] << 8, 0xFFFF);
    assert_int_equal(enc[6] | enc[7] << 8, 0x8000 | (7232 - 1));
    for (size_t i = 0; i < 4 * n; i++)
        px[i] = (uint8_t)(i * 13);
    round_trip(px, n);
    free(px);
}

static void test_encode_compresses(void **state)
{
    (void)state;
    uint8_t px[4 * 1024];
    /* 32-pixel tiles: 32 runs of 6 bytes. */
    for (size_t i = 0; i < 1024; i++) {
        uint32_t v = (uint32_t)(i / 32) * 0x010203u;
        memcpy(px + 4 * i, &v, 4);
    }
    uint8_t enc[8192];
    assert_int_equal(screenshot_encode_line(px, 1024, enc, sizeof(enc)), 32 * 6);
}

static void test_encode_does_not_overflow(void **state)
{
    (void)state;
    uint8_t px[4 * 64];
    for (size_t i = 0; i < sizeof(px); i++)
        px[i] = (uint8_t)(i * 7);
    uint8_t enc[300];
    size_t need = screenshot_encode_line(px, 64, enc, sizeof(enc));
    assert_int_equal(need, 2 + 256);
    for (size_t cap = 0; cap < need; cap++) {
        memset(enc, 0xEE, sizeof(enc));
        assert_int_equal(screenshot_encode_line(px, 64, enc, cap), 0);
        for (size_t i = cap; i < sizeof(enc); i++)
            assert_int_equal(enc[i], 0xEE);
    }
    assert_int_equal(screenshot_encode_line(px, 64, enc, need), need);
}

/* ---- chunks from a view ---------------------------------------------------------------------- */

#define W 320
#define H 200
#define VRAM_SIZE 0x80000u
#define RESP_ROOM 12260u          /* a diag response's room for the body */

static uint8_t *vram;
static struct framebuffer fb;
static uint8_t line_buf[4 * SCREENSHOT_MAX_WIDTH];
static struct screenshot_snap snap;
static uint8_t snap_buf[1 << 20];

static void fill_vram(uint32_t salt)
{
    for (size_t i = 0; i < VRAM_SIZE / 4; i++) {
        uint32_t v = (uint32_t)(i / 8) % 5 == 0 ? (uint32_t)i * 2654435761u : (uint32_t)(i / 64);
        v ^= salt;
        memcpy(vram + 4 * i, &v, 4);
    }
}

static int setup(void **state)
{
    (void)state;
    vram = malloc(VRAM_SIZE);
    fill_vram(0);
    assert_int_equal(framebuffer_init(&fb, vram, VRAM_SIZE, NULL), 0);
    const struct fb_format f = { W, H, W * 4 + 64, 128 };
    framebuffer_set_format(&fb, &f);
    screenshot_snap_init(&snap, snap_buf, sizeof(snap_buf));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(vram);
    return 0;
}

static int request(uint16_t first_line, uint16_t flags, uint8_t *out, size_t cap)
{
    const struct screenshot_request req = { first_line, flags };
    return screenshot_request(&snap, framebuffer_view(&fb), 9, (const uint8_t *)&req,
                              sizeof(req), out, cap, line_buf, sizeof(line_buf));
}

/* Fetches the whole frame as the host does; returns the chunk count. `between` runs after
 * the first chunk (VTL0 drawing meanwhile). */
static unsigned fetch(size_t cap, uint8_t *frame, uint16_t want_flags, void (*between)(void))
{
    uint8_t *out = malloc(cap);
    unsigned chunks = 0;
    uint32_t line = 0, seq = 0;
    for (;;) {
        int len = request((uint16_t)line, line == 0 ? SCREENSHOT_REQ_NEW : 0, out, cap);
        assert_true(len >= (int)sizeof(struct screenshot_chunk));
        struct screenshot_chunk hdr;
        memcpy(&hdr, out, sizeof(hdr));
        assert_int_equal(hdr.width, W);
        assert_int_equal(hdr.height, H);
        assert_int_equal(hdr.first_line, line);
        assert_int_equal(hdr.encoding, SCREENSHOT_RLE32);
        assert_int_equal(hdr.flags, want_flags);
        assert_int_equal(hdr.data_len, (uint32_t)len - sizeof(hdr));
        if (line == 0)
            seq = hdr.seq;
        assert_int_equal(hdr.seq, seq);
        if (hdr.lines == 0) {
            assert_true(line >= H);
            break;
        }
        size_t pos = sizeof(hdr);
        for (unsigned i = 0; i < hdr.lines; i++)
            pos += decode_line(out + pos, (size_t)len - pos, W, frame + (size_t)(line + i) * W * 4);
        assert_int_equal(pos, (size_t)len);
        line += hdr.lines;
        chunks++;
        if (chunks == 1 && between)
            between();
    }
    free(out);
    return chunks;
}

static void check_frame(const uint8_t *frame, const uint8_t *from)
{
    for (unsigned y = 0; y < H; y++)
        assert_memory_equal(frame + (size_t)y * W * 4, from + 128 + (size_t)y * (W * 4 + 64), W * 4);
}

static uint8_t *before;

static void draw(void)
{
    fill_vram(0xFFFFFFFF);
}

static void test_snapshot_whole_frame(void **state)
{
    (void)state;
    uint8_t *frame = calloc(H, W * 4);
    before = malloc(VRAM_SIZE);
    memcpy(before, vram, VRAM_SIZE);
    /* VTL0 redraws everything after the first chunk: the screenshot is still the frame
     * of the moment it was asked for. */
    unsigned chunks = fetch(RESP_ROOM, frame, 0, draw);
    check_frame(frame, before);
    assert_true(chunks >= 2);
    assert_int_equal(snap.seq, 1);
    /* The next screenshot sees the new frame; small responses give more chunks. */
    memset(frame, 0, (size_t)H * W * 4);
    unsigned small = fetch(sizeof(struct screenshot_chunk) + screenshot_line_max(W), frame, 0, NULL);
    check_frame(frame, vram);
    assert_true(small > chunks);
    assert_int_equal(snap.seq, 2);
    free(frame);
    free(before);
}

static void test_live_when_the_snapshot_does_not_fit(void **state)
{
    (void)state;
    static uint8_t tiny[1000];
    screenshot_snap_init(&snap, tiny, sizeof(tiny));
    uint8_t *frame = calloc(H, W * 4);
    fetch(RESP_ROOM, frame, SCREENSHOT_F_LIVE, NULL);
    check_frame(frame, vram);
    free(frame);
}

/* A frame half of which fits the snapshot: that half is served from what the capture
 * encoded (the frame as it was then), the rest read live; every chunk says live and
 * carries the format's seq. */
static void test_what_fits_the_snapshot_is_not_encoded_again(void **state)
{
    (void)state;
    static uint8_t half[1 << 20];
    size_t whole = 0;
    uint8_t line_enc[4 * W + 8];
    for (unsigned y = 0; y < H; y++)
        whole += screenshot_encode_line(vram + 128 + (size_t)y * (W * 4 + 64), W, line_enc,
                                        sizeof(line_enc));
    screenshot_snap_init(&snap, half, whole / 2);
    uint8_t *old = malloc(VRAM_SIZE);
    memcpy(old, vram, VRAM_SIZE);
    uint8_t *frame = calloc(H, W * 4);
    fetch(RESP_ROOM, frame, SCREENSHOT_F_LIVE, draw);   /* VTL0 draws after chunk 1 */
    assert_false(snap.valid);
    unsigned kept = snap.partial_lines;
    assert_true(kept > H / 4 && kept < H);
    for (unsigned y = 0; y < H; y++) {
        const uint8_t *from = y < kept ? old : vram;
        assert_memory_equal(frame + (size_t)y * W * 4, from + 128 + (size_t)y * (W * 4 + 64), W * 4);
    }
    /* Another format since the capture: its lines are not served from it. */
    uint8_t *out = malloc(RESP_ROOM);
    const struct screenshot_request req = { 0, 0 };
    int len = screenshot_request(&snap, framebuffer_view(&fb), 10, (const uint8_t *)&req,
                                 sizeof(req), out, RESP_ROOM, line_buf, sizeof(line_buf));
    assert_true(len > (int)sizeof(struct screenshot_chunk));
    struct screenshot_chunk hdr;
    memcpy(&hdr, out, sizeof(hdr));
    assert_int_equal(hdr.seq, 10);
    assert_int_equal(hdr.flags, SCREENSHOT_F_LIVE);
    uint8_t first[4 * W];
    decode_line(out + sizeof(hdr), (size_t)len - sizeof(hdr), W, first);
    assert_memory_equal(first, vram + 128, 4 * W);          /* read now, not the old frame */
    assert_memory_not_equal(first, old + 128, 4 * W);
    free(out);
    free(frame);
    free(old);
}

static void test_request_errors(void **state)
{
    (void)state;
    uint8_t out[64];
    const uint8_t short_args[2] = { 0, 0 };
    assert_int_equal(screenshot_request(&snap, framebuffer_view(&fb), 0, short_args, 2, out,
                                        sizeof(out), line_buf, sizeof(line_buf)), -EINVAL);
    assert_int_equal(request(0, 2, out, sizeof(out)), -EINVAL);    /* unknown flag */
    assert_int_equal(snap.seq, 0);
    assert_int_equal(request(0, 0, out, 10), -EINVAL);             /* no room for a header */
    /* Not even one line fits. */
    assert_int_equal(request(0, SCREENSHOT_REQ_NEW, out, sizeof(out)), -E2BIG);
    /* Past the last line: an empty chunk. */
    assert_int_equal(request(H, 0, out, sizeof(out)), sizeof(struct screenshot_chunk));
    /* A frame wider than the line buffer. */
    static uint8_t big[20000];
    const struct fb_format wide = { SCREENSHOT_MAX_WIDTH + 1, 2, 0, 0 };
    framebuffer_set_format(&fb, &wide);
    assert_int_equal(request(0, SCREENSHOT_REQ_NEW, big, sizeof(big)), -E2BIG);
    assert_false(snap.valid);
    /* ... and a frame taller than a snapshot indexes is served live. */
    const struct fb_format tall = { 8, SCREENSHOT_MAX_HEIGHT + 1, 0, 0 };
    framebuffer_set_format(&fb, &tall);
    int len = request(0, SCREENSHOT_REQ_NEW, big, sizeof(big));
    assert_true(len > 0);
    struct screenshot_chunk hdr;
    memcpy(&hdr, big, sizeof(hdr));
    assert_int_equal(hdr.flags, SCREENSHOT_F_LIVE);
    assert_int_equal(hdr.seq, 9);
}

static void test_snapshot_before_any_format(void **state)
{
    (void)state;
    struct framebuffer fresh;
    uint8_t out[64];
    assert_int_equal(framebuffer_init(&fresh, vram, VRAM_SIZE, NULL), 0);
    const struct screenshot_request req = { 0, SCREENSHOT_REQ_NEW };
    int len = screenshot_request(&snap, framebuffer_view(&fresh), 0, (const uint8_t *)&req,
                                 sizeof(req), out, sizeof(out), line_buf, sizeof(line_buf));
    /* One black pixel: (1, 1), zero-filled. */
    assert_int_equal(len, sizeof(struct screenshot_chunk) + 2 + 4);
    struct screenshot_chunk hdr;
    memcpy(&hdr, out, sizeof(hdr));
    assert_int_equal(hdr.width, 1);
    assert_int_equal(hdr.height, 1);
    assert_int_equal(hdr.lines, 1);
    uint8_t px[4];
    decode_line(out + sizeof(hdr), 6, 1, px);
    static const uint8_t black[4] = { 0, 0, 0, 0 };
    assert_memory_equal(px, black, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_shapes),
        cmocka_unit_test(test_encode_matches_the_reference),
        cmocka_unit_test(test_encode_long_lines),
        cmocka_unit_test(test_encode_compresses),
        cmocka_unit_test(test_encode_does_not_overflow),
        cmocka_unit_test_setup_teardown(test_snapshot_whole_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_when_the_snapshot_does_not_fit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_what_fits_the_snapshot_is_not_encoded_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_before_any_format, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
