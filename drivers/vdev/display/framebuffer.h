/*
 * The framebuffer core (SPEC section 7; reference/openvmm-facts.md section 3): OpenVMM's
 * FramebufferDevice and View in C, with OpenHCL's host notifications.
 *
 *   VRAM      8 MiB of Mezzanine's memory. `vram` is the fixed VTL2 view of it: one
 *             mapping made at boot that never moves, whatever VTL0 does.
 *   mapping   where VTL0 sees VRAM (a BAR): framebuffer_map(gpa, subrange) unmaps any
 *             previous mapping first; framebuffer_unmap(). Each map and unmap is made
 *             through ops->map / ops->unmap (the GPA map) and reported to the host through
 *             ops->host_map / ops->host_unmap (GET MAP_FRAMEBUFFER / UNMAP_FRAMEBUFFER).
 *   format    {width, height, bytes_per_line, offset}; framebuffer_set_format() forwards
 *             it to the view only when it differs from the last one forwarded.
 *   view      the reader (screenshots): fb_view_read_line() and fb_view_resolution(),
 *             reading only through the fixed view and never outside VRAM.
 *
 * Pure: no hardware, no allocation; every effect goes through the ops. Builds for the
 * kernel and natively for tests/unit/test_framebuffer.c.
 */
#ifndef MEZZ_DRIVERS_FRAMEBUFFER_H
#define MEZZ_DRIVERS_FRAMEBUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"

#define FB_VRAM_SIZE        0x800000u     /* 8 MiB, as OpenVMM's FRAMEBUFFER_SIZE */
#define FB_PAGE_SIZE        0x1000u
#define FB_BYTES_PER_PIXEL  4u            /* BGRX: blue, green, red, unused */
#define FB_DEFAULT_WIDTH    1024u
#define FB_DEFAULT_HEIGHT   768u
#define FB_DEFAULT_PITCH    (FB_DEFAULT_WIDTH * FB_BYTES_PER_PIXEL)

/* OpenVMM's FramebufferFormat. Nothing about it is trusted by the reader. */
struct fb_format {
    uint32_t width;            /* pixels per line shown */
    uint32_t height;           /* lines shown */
    uint32_t bytes_per_line;   /* pitch */
    uint32_t offset;           /* byte offset of line 0 in VRAM */
};

/* A page-aligned piece of VRAM: [start, start + size). */
struct fb_range {
    uint64_t start, size;
};

struct framebuffer_ops {
    /* Shows VRAM [vram_offset, vram_offset + size) to VTL0 at gpa, writable. Returns 0 or
     * a negative errno (then nothing is mapped). */
    int (*map)(void *ctx, uint64_t gpa, uint64_t vram_offset, uint64_t size);
    /* Removes VTL0's mapping at gpa. */
    void (*unmap)(void *ctx, uint64_t gpa);
    /* Host notifications. Return 0, or a negative errno / positive host status on failure:
     * the core counts the failure and goes on (OpenHCL only logs it). May be NULL. */
    int (*host_map)(void *ctx, uint64_t gpa);
    int (*host_unmap)(void *ctx);
    /* The view got a new format (logging). May be NULL. */
    void (*format_changed)(void *ctx, const struct fb_format *format);
    void *ctx;
};

/* The reader's side: what OpenVMM's View holds. */
struct fb_view {
    const uint8_t *vram;       /* the fixed VTL2 view */
    uint64_t vram_size;
    bool has_format;           /* false until the first format is forwarded */
    struct fb_format format;
};

/* Plain state: the only part that is saved (struct fb_saved). */
struct framebuffer_state {
    bool mapped;
    uint64_t gpa;              /* VTL0's mapping, when mapped */
    struct fb_range subrange;  /* the part of VRAM mapped there */
    struct fb_format format;   /* the device's format: default until set */
    bool format_sent;          /* a format has been forwarded to the view */
};

/* Counters (inspect "display/framebuffer"); not saved. */
struct framebuffer_stats {
    uint64_t maps, unmaps;
    uint64_t map_refused;      /* map() arguments invalid: nothing changed */
    uint64_t map_failed;       /* ops->map failed: VTL0 left without a mapping */
    uint64_t host_failures;    /* host_map / host_unmap reported failure */
    uint64_t formats_forwarded, formats_unchanged;
    uint64_t resets;
};

struct framebuffer {
    /* static config */
    uint8_t *vram;             /* the fixed VTL2 view (writable: reset clears VRAM) */
    uint64_t vram_size;
    /* runtime glue (never saved) */
    struct framebuffer_ops ops;
    struct fb_view view;
    struct framebuffer_stats stats;
    /* plain state */
    struct framebuffer_state st;
};

/*
 * Sets up the core over vram[0, vram_size) (a non-zero multiple of FB_PAGE_SIZE): nothing
 * mapped, the default format (1024x768, 4096 bytes per line), nothing forwarded yet so
 * the view reports (1, 1). VRAM is not touched. Returns 0 or -EINVAL.
 */
int framebuffer_init(struct framebuffer *fb, uint8_t *vram, uint64_t vram_size,
                     const struct framebuffer_ops *ops);

/*
 * Maps VRAM (or subrange of it; NULL = all of it) for VTL0 at gpa. Any previous mapping is
 * unmapped first (and reported). Validation first: gpa and subrange page aligned, subrange
 * non-empty and inside VRAM, gpa + size without wrap; -EINVAL changes nothing. If ops->map
 * fails its error is returned and VTL0 is left without a mapping. A host failure is counted,
 * not returned.
 */
int framebuffer_map(struct framebuffer *fb, uint64_t gpa, const struct fb_range *subrange);

/* Removes VTL0's mapping, if any, and reports it. */
void framebuffer_unmap(struct framebuffer *fb);

/* Forwards format to the view if it differs from the last one forwarded (the first one is
 * always forwarded). Not validated: the view copes with any format. */
void framebuffer_set_format(struct framebuffer *fb, const struct fb_format *format);

/* VTL0 reset: unmaps (reported) and clears VRAM (beyond OpenVMM, whose reset leaves VRAM
 * as it was). The format stays. */
void framebuffer_reset(struct framebuffer *fb);

/* The reader. */
struct fb_view *framebuffer_view(struct framebuffer *fb);

/*
 * Copies min(len, width * 4) bytes of line `line` (from line * bytes_per_line + offset)
 * into buf and returns that count; bytes of it that would lie outside VRAM read as zero,
 * and nothing is ever read outside VRAM whatever the format. Before any format, zero-fills
 * buf[0, len) and returns len. buf past the count is left alone.
 */
size_t fb_view_read_line(const struct fb_view *v, uint32_t line, uint8_t *buf, size_t len);

/*
 * Line `line` as it lies in the fixed view, when all len bytes of it (len <= width * 4)
 * are inside VRAM -- what fb_view_read_line() would copy -- else NULL (read it with
 * fb_view_read_line(), which fills with zeros). For a reader that only looks at the
 * pixels once, without copying them first: VTL0 may write them meanwhile.
 */
const uint8_t *fb_view_line(const struct fb_view *v, uint32_t line, size_t len);

/* (width, height) of the last format forwarded, each clamped to 65535; (1, 1) before any. */
void fb_view_resolution(const struct fb_view *v, uint16_t *width, uint16_t *height);

/*
 * Saved state (docs/saved-state.md): unit "framebuffer", schema framebuffer.SavedState
 * (OpenVMM's: the mapping, if any, and the format; plus whether the view has a format).
 * restore decodes into a temporary and validates all of it first (a mapping as
 * framebuffer_map() would take it, a format that fits 32 bits) -- -EINVAL changes nothing
 * and makes no call -- then framebuffer_set_state().
 */
#define FRAMEBUFFER_STATE_UNIT     "framebuffer"
#define FRAMEBUFFER_STATE_TYPE_URL "type.googleapis.com/framebuffer.SavedState"
#define FRAMEBUFFER_STATE_MAX_LEN  96
int framebuffer_save_state(const struct framebuffer *fb, uint8_t *buf, size_t cap, size_t *len);
int framebuffer_restore_state(struct framebuffer *fb, const uint8_t *buf, size_t len);

/* Could st be this framebuffer's state (its mapping inside VRAM, page aligned)? */
bool framebuffer_state_ok(const struct framebuffer *fb, const struct framebuffer_state *st);
/* Takes a state framebuffer_state_ok() accepted: replaces the current mapping (through
 * ops->map / ops->unmap only: the host already knows the mapping, so nothing is reported)
 * and re-sends the format to the view if one had been sent. Returns 0 or the error of
 * ops->map (then restored unmapped). */
int framebuffer_set_state(struct framebuffer *fb, const struct framebuffer_state *st);

#endif
