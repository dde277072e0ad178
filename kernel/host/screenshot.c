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

/*
 * Greedy, one pass: at each pixel a run if the next pixel equals it, else literals up to
 * the first pixel that starts a run (equals its successor). Each loop compares a pixel
 * held in a register with the next one loaded, one load and one compare per pixel: under
 * TCG every guest instruction counts, and a screenshot encodes 786,432 pixels (the
 * earlier form, which measured a run at every literal pixel, cost about twice as many).
 */
size_t screenshot_encode_line(const uint8_t *pixels, size_t npixels, uint8_t *out, size_t cap)
{
    size_t len = 0, i = 0;
    while (i < npixels) {
        size_t limit = npixels - i > SCREENSHOT_TOKEN_MAX ? i + SCREENSHOT_TOKEN_MAX : npixels;
        uint32_t v = pixel_at(pixels, i);
        size_t j = i + 1;
        if (j < npixels && pixel_at(pixels, j) == v) {
            for (j++; j < limit && pixel_at(pixels, j) == v; j++)
                ;
            if (!put_token(out, cap, &len, (uint16_t)(SCREENSHOT_RUN | (j - i - 1))) || cap - len < 4)
                return 0;
            memcpy(out + len, pixels + 4 * i, 4);
            len += 4;
            i = j;
            continue;
        }
        /* Literals: [i, j) with j stopping at a pixel equal to its successor. The last
         * pixel has no successor, so it never starts a run. */
        if (j < npixels) {
            size_t stop = limit < npixels - 1 ? limit : npixels - 1;
            uint32_t cur = pixel_at(pixels, j);
            for (; j < stop; j++) {
                uint32_t next = pixel_at(pixels, j + 1);
                if (next == cur)
                    break;
                cur = next;
            }
            if (j == npixels - 1 && j < limit)
                j++;
        }
        size_t count = j - i;
        if (!put_token(out, cap, &len, (uint16_t)(count - 1)) || cap - len < 4 * count)
            return 0;
        memcpy(out + len, pixels + 4 * i, 4 * count);
        len += 4 * count;
        i = j;
    }
    return len;
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
    if (check_width(width, line_cap) || height > SCREENSHOT_MAX_HEIGHT)
        return -E2BIG;
    size_t len = 0;
    for (uint32_t line = 0; line < height; line++) {
        s->line_off[line] = (uint32_t)len;
        fb_view_read_line(view, line, line_buf, (size_t)width * 4);
        size_t n = screenshot_encode_line(line_buf, width, s->buf + len, s->cap - len);
        if (n == 0 && width != 0)
            return -E2BIG;
        len += n;
    }
    s->line_off[height] = (uint32_t)len;
    s->width = width;
    s->height = height;
    s->valid = true;
    return 0;
}

int screenshot_serve(const struct screenshot_snap *s, uint16_t first_line, uint8_t *out,
                     size_t cap)
{
    size_t hdr = sizeof(struct screenshot_chunk);
    if (!s->valid || cap < hdr)
        return -EINVAL;
    size_t len = hdr;
    unsigned lines = 0;
    for (uint32_t line = first_line; line < s->height; line++) {
        size_t n = s->line_off[line + 1] - s->line_off[line];
        if (n > cap - len)
            break;
        memcpy(out + len, s->buf + s->line_off[line], n);
        len += n;
        lines++;
    }
    if (lines == 0 && first_line < s->height)
        return -E2BIG;
    put_header(out, s->width, s->height, first_line, lines, 0, s->seq, len);
    return (int)len;
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
    size_t len = hdr;
    unsigned lines = 0;
    for (uint32_t line = first_line; line < height; line++) {
        /* A line that does not fit whole waits for the next chunk. */
        fb_view_read_line(view, line, line_buf, (size_t)width * 4);
        size_t n = screenshot_encode_line(line_buf, width, out + len, cap - len);
        if (n == 0 && width != 0)
            break;
        len += n;
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
    if ((req.flags & SCREENSHOT_REQ_NEW) || s->seq == 0)
        screenshot_capture(s, view, line_buf, line_cap);
    if (s->valid)
        return screenshot_serve(s, req.first_line, out, cap);
    return screenshot_fill(view, format_seq, req.first_line, out, cap, line_buf, line_cap);
}
