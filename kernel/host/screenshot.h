/*
 * Screenshots over the diag channel (docs/diag.md, op 4 "screenshot"): the frame as the
 * framebuffer's view reads it through the fixed VTL2 view, run-length encoded, handed
 * out in chunks of whole lines that each fit one diag response. Pure: builds natively
 * for tests/unit/test_screenshot.c.
 *
 * A screenshot is a snapshot: a request with SCREENSHOT_REQ_NEW reads the whole frame
 * through the view at once (VTL0 does not run meanwhile) and encodes it into a buffer;
 * that request and the ones after it hand out chunks of that snapshot, so the lines of
 * one screenshot all show the same instant. A frame whose encoding does not fit the
 * buffer is served live instead, each chunk read when asked for (SCREENSHOT_F_LIVE).
 *
 * Request args: struct screenshot_request. Response body: struct screenshot_chunk, then
 * `data_len` bytes holding `lines` encoded lines from `first_line` on. The host asks
 * from line 0 with NEW, then from the next line without it until it has `height` lines;
 * a change of `seq` means another screenshot replaced the snapshot: start over.
 *
 * Encoding SCREENSHOT_RLE32 of one line of `width` BGRX pixels: tokens, each a u16 then
 * pixels; token bit 15 set: a run, (token & 0x7FFF) + 1 copies of the one 4-byte pixel
 * that follows; bit 15 clear: token + 1 literal 4-byte pixels follow. A line's tokens
 * add up to exactly `width` pixels; tokens never span lines.
 */
#ifndef MEZZ_KERNEL_SCREENSHOT_H
#define MEZZ_KERNEL_SCREENSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/vdev/display/framebuffer.h"
#include "kernel/lib/compiler.h"

#define SCREENSHOT_RLE32      1
#define SCREENSHOT_RUN        0x8000u
#define SCREENSHOT_TOKEN_MAX  0x8000u     /* pixels in one token */
#define SCREENSHOT_MAX_WIDTH  4096u       /* the line buffer the glue keeps */
#define SCREENSHOT_MAX_HEIGHT 4096u       /* lines a snapshot indexes */

#define SCREENSHOT_REQ_NEW    0x0001u     /* take a new snapshot first */
#define SCREENSHOT_F_LIVE     0x0001u     /* chunk read now, not from a snapshot */

struct screenshot_request {
    uint16_t first_line;       /* +0 */
    uint16_t flags;            /* +2 SCREENSHOT_REQ_*; other bits must be 0 */
} PACKED;
STATIC_ASSERT_SIZE(struct screenshot_request, 4);

struct screenshot_chunk {
    uint16_t width;            /* +0  the frame's resolution */
    uint16_t height;           /* +2  */
    uint16_t first_line;       /* +4  */
    uint16_t lines;            /* +6  lines in this chunk (0: first_line >= height) */
    uint16_t encoding;         /* +8  SCREENSHOT_RLE32 */
    uint16_t flags;            /* +10 SCREENSHOT_F_* */
    uint32_t seq;              /* +12 the snapshot's number (live: the format's) */
    uint32_t data_len;         /* +16 bytes after this header */
} PACKED;
STATIC_ASSERT_SIZE(struct screenshot_chunk, 20);
STATIC_ASSERT_OFFSET(struct screenshot_chunk, lines, 6);
STATIC_ASSERT_OFFSET(struct screenshot_chunk, seq, 12);
STATIC_ASSERT_OFFSET(struct screenshot_chunk, data_len, 16);

/* A snapshot: the encoded lines back to back, and where each starts. */
struct screenshot_snap {
    /* static config */
    uint8_t *buf;
    size_t cap;
    /* state */
    bool valid;
    uint32_t seq;              /* snapshots taken */
    uint16_t width, height;
    /* When a capture ran out of room (not valid): lines [0, partial_lines) were encoded
     * before it did, for the view format partial_format_seq; served as live chunks. */
    uint16_t partial_lines;
    uint32_t partial_format_seq;
    uint32_t line_off[SCREENSHOT_MAX_HEIGHT + 1];
};

/* Worst case of one encoded line: all literals. */
static inline size_t screenshot_line_max(size_t width)
{
    return width * 4 + 2 * ((width + SCREENSHOT_TOKEN_MAX - 1) / SCREENSHOT_TOKEN_MAX);
}

/* Encodes npixels 4-byte pixels into out[0, cap); returns the bytes written, or 0 if
 * they do not fit (nothing meaningful is left in out then). */
size_t screenshot_encode_line(const uint8_t *pixels, size_t npixels, uint8_t *out, size_t cap);

void screenshot_snap_init(struct screenshot_snap *s, uint8_t *buf, size_t cap);

/*
 * Reads the whole frame through the view (one fb_view_read_line() per line, into
 * line_buf) and encodes it into the snapshot, bumping seq. Returns 0, or -E2BIG when the
 * frame is wider than line_cap / SCREENSHOT_MAX_WIDTH, taller than SCREENSHOT_MAX_HEIGHT,
 * or does not fit the buffer (the snapshot is then invalid; the lines that fitted stay,
 * as partial_lines).
 */
int screenshot_capture(struct screenshot_snap *s, const struct fb_view *view,
                       uint8_t *line_buf, size_t line_cap);

/* Answers a request from the snapshot: a chunk header and as many whole lines from
 * first_line as fit in out[0, cap). Returns the body length, -EINVAL (no valid
 * snapshot, cap below a header) or -E2BIG (not even one line fits). */
int screenshot_serve(const struct screenshot_snap *s, uint16_t first_line, uint8_t *out,
                     size_t cap);

/* The same, live: each line read through the view now; `seq` goes into the header. */
int screenshot_fill(const struct fb_view *view, uint32_t seq, uint16_t first_line,
                    uint8_t *out, size_t cap, uint8_t *line_buf, size_t line_cap);

/*
 * One diag request, whole: validates args (a struct screenshot_request), takes a
 * snapshot when asked (or when there is none), and serves from it, or live when the
 * frame does not fit the snapshot (its first lines, which did, from what the snapshot
 * holds, flagged live as well: the frame is not one instant). format_seq numbers the view's formats (live chunks
 * carry it). Returns the body length or a negative errno.
 */
int screenshot_request(struct screenshot_snap *s, const struct fb_view *view,
                       uint32_t format_seq, const uint8_t *args, size_t args_len,
                       uint8_t *out, size_t cap, uint8_t *line_buf, size_t line_cap);

#endif
