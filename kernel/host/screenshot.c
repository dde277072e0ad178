/* Screenshot chunks for the diag channel; see screenshot.h. */
#include "kernel/host/screenshot.h"

#include <errno.h>
#include <string.h>

/* A run is worth a token from two equal pixels on (2 equal pixels in a literal cost 8
 * bytes, as a run 6 plus the literal token that may follow). The scans below rely on it. */
#define RUN_MIN 2
_Static_assert(RUN_MIN == 2, "the literal scan stops at the first pair of equal pixels");

static uint32_t pixel_at(const uint8_t *pixels, size_t i)
{
    uint32_t v;
    memcpy(&v, pixels + 4 * i, 4);
    return v;
}

static bool put_token(uint8_t *out, size_t cap, size_t *len, uint16_t token)
{
    if (cap - *len < 2)
        return false;
    out[(*len)++] = (uint8_t)token;
    out[(*len)++] = (uint8_t)(token >> 8);
    return true;
}

static uint64_t pixel_pair_at(const uint8_t *pixels, size_t i)
{
    uint64_t v;
    memcpy(&v, pixels + 4 * i, 8);
    return v;
}

/* The end of the run of pixels equal to pixel i that starts at i, at most at limit. */
static size_t run_end(const uint8_t *pixels, size_t i, size_t limit)
{
    uint32_t v = pixel_at(pixels, i);
    uint64_t both = (uint64_t)v << 32 | v;
    size_t j = i + 1;
    while (j + 2 <= limit && pixel_pair_at(pixels, j) == both)
        j += 2;
    while (j < limit && pixel_at(pixels, j) == v)
        j++;
    return j;
}

/* The end of the literals that start at i (pixel i + 1, if any, differs from pixel i):
 * the first pixel equal to its successor, at most limit. The last pixel has no
 * successor, so it never starts a run. */
static size_t literal_end(const uint8_t *pixels, size_t i, size_t npixels, size_t limit)
{
    size_t j = i + 1;
    if (j >= npixels)
        return j;
    size_t stop = limit < npixels - 1 ? limit : npixels - 1;   /* j < stop: j + 1 exists */
    uint32_t cur = pixel_at(pixels, j);
    for (; j + 2 <= stop; j += 2) {                  /* pixels j + 1 and j + 2, one load */
        uint64_t pair = pixel_pair_at(pixels, j + 1);
        uint32_t a = (uint32_t)pair, b = (uint32_t)(pair >> 32);
        if (a == cur)
            return j;
        if (b == a)
            return j + 1;
        cur = b;
    }
    for (; j < stop; j++) {
        uint32_t next = pixel_at(pixels, j + 1);
        if (next == cur)
            return j;
        cur = next;
    }
    return j == npixels - 1 && j < limit ? j + 1 : j;
}

/*
 * Greedy, one pass: at each pixel a run if the next pixel equals it, else literals up to
 * the first pixel that starts a run. The scans hold a pixel in a register and load the
 * next two at once: under TCG every guest load counts, and a screenshot encodes 786,432
 * pixels (the earlier form measured a run at every literal pixel: about four times the
 * loads). Pixels may be VTL0's VRAM, changing meanwhile: the tokens come from the scans,
 * the bytes copied after them are whatever is there then; the output is well-formed
 * either way.
 */
size_t screenshot_encode_line(const uint8_t *pixels, size_t npixels, uint8_t *out, size_t cap)
{
    size_t len = 0, i = 0;
    while (i < npixels) {
        size_t limit = npixels - i > SCREENSHOT_TOKEN_MAX ? i + SCREENSHOT_TOKEN_MAX : npixels;
        if (i + 1 < npixels && pixel_at(pixels, i + 1) == pixel_at(pixels, i)) {
            size_t j = run_end(pixels, i, limit);
            if (!put_token(out, cap, &len, (uint16_t)(SCREENSHOT_RUN | (j - i - 1))) || cap - len < 4)
                return 0;
            memcpy(out + len, pixels + 4 * i, 4);
            len += 4;
            i = j;
            continue;
        }
        size_t j = literal_end(pixels, i, npixels, limit);
        size_t count = j - i;
        if (!put_token(out, cap, &len, (uint16_t)(count - 1)) || cap - len < 4 * count)
            return 0;
        memcpy(out + len, pixels + 4 * i, 4 * count);
        len += 4 * count;
        i = j;
    }
    return len;
}

/* Line `line` of the view: in place when all of it is in VRAM, else copied into
 * line_buf (with the view's zeros past VRAM's end). */
static const uint8_t *view_line(const struct fb_view *view, uint32_t line, uint16_t width,
                                uint8_t *line_buf)
{
    const uint8_t *in_place = fb_view_line(view, line, (size_t)width * 4);
    if (in_place)
        return in_place;
    fb_view_read_line(view, line, line_buf, (size_t)width * 4);
    return line_buf;
}

static int check_width(uint16_t width, size_t line_cap)
{
    return (width > SCREENSHOT_MAX_WIDTH || (size_t)width * 4 > line_cap) ? -E2BIG : 0;
}

static void put_header(uint8_t *out, uint16_t width, uint16_t height, uint16_t first_line,
                       unsigned lines, uint16_t flags, uint32_t seq, size_t len)
{
    const struct screenshot_chunk hdr = {
        .width = width, .height = height, .first_line = first_line, .lines = (uint16_t)lines,
        .encoding = SCREENSHOT_RLE32, .flags = flags, .seq = seq,
        .data_len = (uint32_t)(len - sizeof(hdr)),
    };
    memcpy(out, &hdr, sizeof(hdr));
}

void screenshot_snap_init(struct screenshot_snap *s, uint8_t *buf, size_t cap)
{
    memset(s, 0, sizeof(*s));
    s->buf = buf;
    s->cap = cap;
}

int screenshot_capture(struct screenshot_snap *s, const struct fb_view *view,
                       uint8_t *line_buf, size_t line_cap)
{
    uint16_t width, height;
    fb_view_resolution(view, &width, &height);
    s->seq++;
    s->valid = false;
    s->partial_lines = 0;
    if (check_width(width, line_cap) || height > SCREENSHOT_MAX_HEIGHT)
        return -E2BIG;
    s->width = width;
    s->height = height;
    size_t len = 0;
    for (uint32_t line = 0; line < height; line++) {
        s->line_off[line] = (uint32_t)len;
        size_t n = screenshot_encode_line(view_line(view, line, width, line_buf), width,
                                          s->buf + len, s->cap - len);
        if (n == 0 && width != 0) {
            s->partial_lines = (uint16_t)line;   /* line_off[0, line] are set */
            return -E2BIG;
        }
        len += n;
    }
    s->line_off[height] = (uint32_t)len;
    s->width = width;
    s->height = height;
    s->valid = true;
    return 0;
}

/* Lines [first_line, end) of what the snapshot holds, as many as fit. */
static int serve_lines(const struct screenshot_snap *s, uint16_t first_line, uint32_t end,
                       uint16_t flags, uint32_t seq, uint8_t *out, size_t cap)
{
    size_t hdr = sizeof(struct screenshot_chunk);
    if (cap < hdr)
        return -EINVAL;
    size_t len = hdr;
    unsigned lines = 0;
    for (uint32_t line = first_line; line < end; line++) {
        size_t n = s->line_off[line + 1] - s->line_off[line];
        if (n > cap - len)
            break;
        memcpy(out + len, s->buf + s->line_off[line], n);
        len += n;
        lines++;
    }
    if (lines == 0 && first_line < s->height)
        return -E2BIG;
    put_header(out, s->width, s->height, first_line, lines, flags, seq, len);
    return (int)len;
}

int screenshot_serve(const struct screenshot_snap *s, uint16_t first_line, uint8_t *out,
                     size_t cap)
{
    if (!s->valid)
        return -EINVAL;
    return serve_lines(s, first_line, s->height, 0, s->seq, out, cap);
}

int screenshot_fill(const struct fb_view *view, uint32_t seq, uint16_t first_line,
                    uint8_t *out, size_t cap, uint8_t *line_buf, size_t line_cap)
{
    uint16_t width, height;
    size_t hdr = sizeof(struct screenshot_chunk);
    if (cap < hdr)
        return -EINVAL;
    fb_view_resolution(view, &width, &height);
    if (check_width(width, line_cap))
        return -E2BIG;
    size_t len = hdr, last = 0;
    unsigned lines = 0;
    for (uint32_t line = first_line; line < height; line++) {
        /* A line that does not fit whole waits for the next chunk. So does one after a
         * line bigger than the room left: finding out by encoding it cost a third of
         * each chunk of a noisy frame under TCG, and the next chunk starts there anyway. */
        if (lines > 0 && last > cap - len)
            break;
        size_t n = screenshot_encode_line(view_line(view, line, width, line_buf), width,
                                          out + len, cap - len);
        if (n == 0 && width != 0)
            break;
        len += n;
        last = n;
        lines++;
    }
    if (lines == 0 && first_line < height)
        return -E2BIG;
    put_header(out, width, height, first_line, lines, SCREENSHOT_F_LIVE, seq, len);
    return (int)len;
}

int screenshot_request(struct screenshot_snap *s, const struct fb_view *view,
                       uint32_t format_seq, const uint8_t *args, size_t args_len,
                       uint8_t *out, size_t cap, uint8_t *line_buf, size_t line_cap)
{
    struct screenshot_request req;
    if (args_len != sizeof(req))
        return -EINVAL;
    memcpy(&req, args, sizeof(req));        /* copy, then validate, then act */
    if (req.flags & ~SCREENSHOT_REQ_NEW)
        return -EINVAL;
    if ((req.flags & SCREENSHOT_REQ_NEW) || s->seq == 0) {
        screenshot_capture(s, view, line_buf, line_cap);
        s->partial_format_seq = format_seq;
    }
    if (s->valid)
        return screenshot_serve(s, req.first_line, out, cap);
    /* A frame too big for the snapshot: the lines it holds are not encoded again (a
     * noisy frame's first two thirds), as long as the format is the one they were read
     * in. Live chunks both: the format's seq, the live flag. */
    if (req.first_line < s->partial_lines && s->partial_format_seq == format_seq)
        return serve_lines(s, req.first_line, s->partial_lines, SCREENSHOT_F_LIVE, format_seq,
                           out, cap);
    return screenshot_fill(view, format_seq, req.first_line, out, cap, line_buf, line_cap);
}
