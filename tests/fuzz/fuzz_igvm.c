/*
 * libFuzzer target: the IGVM loader library (kernel/boot/igvm.c). The input is an image;
 * when the first byte after the fixed header is odd the header CRC is recomputed first,
 * so mutations reach the TLV rules behind it. Whatever the input, a plan that is
 * returned must keep every page and parameter area inside the relocated region and
 * every page's data inside the file, and applying it to exactly that region must work.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/boot/igvm.h"
#include "kernel/lib/crc32.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LOAD_BASE 0x1C000000ull

struct region {
    uint8_t *bytes;
    uint64_t base, size;
};

static void *region_ptr(void *ctx, uint64_t gpa, uint64_t len)
{
    struct region *r = ctx;
    if (gpa < r->base || len > r->size || gpa - r->base > r->size - len)
        abort();                  /* the plan left the region it was validated for */
    return r->bytes + (gpa - r->base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct igvm_plan plan;
    uint8_t *image = malloc(size + 1);
    memcpy(image, data, size);
    if (size >= 25 && (image[24] & 1)) {
        struct igvm_fixed_header h;
        memcpy(&h, image, sizeof(h));
        uint64_t end = (uint64_t)h.variable_header_offset + h.variable_header_size;
        if (h.variable_header_offset >= sizeof(h) && end <= size) {
            memset(image + 20, 0, 4);
            uint32_t crc = crc32_update(0, image, (size_t)end);
            memcpy(image + 20, &crc, 4);
        }
    }
    struct igvm_error error;
    if (igvm_plan_load(image, size, LOAD_BASE, &plan, &error) == 0) {
        if (plan.load_base != LOAD_BASE || plan.page_count == 0)
            abort();
        for (uint32_t i = 0; i < plan.page_count; i++) {
            uint32_t off = plan.pages[i].file_offset;
            if (off != 0 && ((uint64_t)off + IGVM_PAGE_SIZE > size))
                abort();
        }
        /* A region of exactly the image's relocated span holds the whole plan. */
        struct region r = { .base = LOAD_BASE, .size = plan.region_size };
        if (r.size <= (64u << 20)) {
            r.bytes = malloc(r.size);
            if (igvm_plan_apply(&plan, image, region_ptr, &r) != 0)
                abort();
            free(r.bytes);
        }
    } else if (error.check == NULL) {
        abort();                  /* every refusal names its check */
    }
    free(image);
    return 0;
}
