/* IGVM memory map and command-line parameters; see igvm_params.h. */
#include "kernel/boot/igvm_params.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "kernel/lib/compiler.h"

int igvm_memmap_encode(const struct mem_range *ranges, size_t n, void *out, size_t cap)
{
    size_t max = cap / sizeof(struct igvm_memory_map_entry);
    size_t count = 0;
    uint8_t *dst = out;

    for (size_t i = 0; i < n; i++) {
        const struct mem_range *r = &ranges[i];
        if (r->size == 0 || r->base + r->size < r->base)
            continue;
        bool usable = r->type == MEM_USABLE;
        uint64_t lo = usable ? ALIGN_UP(r->base, (uint64_t)IGVM_PAGE_SIZE)
                             : ALIGN_DOWN(r->base, (uint64_t)IGVM_PAGE_SIZE);
        uint64_t end = r->base + r->size;
        uint64_t hi = usable ? ALIGN_DOWN(end, (uint64_t)IGVM_PAGE_SIZE)
                             : (end > UINT64_MAX - IGVM_PAGE_SIZE ? ALIGN_DOWN(end, (uint64_t)IGVM_PAGE_SIZE)
                                                                  : ALIGN_UP(end, (uint64_t)IGVM_PAGE_SIZE));
        if (hi <= lo)
            continue;
        if (count + 1 >= max)
            return -ENOSPC;
        struct igvm_memory_map_entry e = {
            .starting_gpa_page_number = lo / IGVM_PAGE_SIZE,
            .number_of_pages = (hi - lo) / IGVM_PAGE_SIZE,
            .entry_type = usable ? IGVM_MEMORY_TYPE_MEMORY : IGVM_MEMORY_TYPE_PLATFORM_RESERVED,
        };
        memcpy(dst + count * sizeof(e), &e, sizeof(e));
        count++;
    }
    if (count + 1 > max)
        return -ENOSPC;
    memset(dst + count * sizeof(struct igvm_memory_map_entry), 0, sizeof(struct igvm_memory_map_entry));
    return (int)count;
}

int igvm_memmap_decode(const void *in, size_t cap, struct mem_range *out, size_t max,
                       uint32_t *dropped)
{
    const uint8_t *src = in;
    size_t count = 0;
    for (size_t off = 0; off + sizeof(struct igvm_memory_map_entry) <= cap;
         off += sizeof(struct igvm_memory_map_entry)) {
        struct igvm_memory_map_entry e;
        memcpy(&e, src + off, sizeof(e));
        if (e.number_of_pages == 0)
            break;
        const uint64_t max_pages = UINT64_MAX / IGVM_PAGE_SIZE;
        if (e.starting_gpa_page_number > max_pages || e.number_of_pages > max_pages - e.starting_gpa_page_number) {
            (*dropped)++;
            continue;
        }
        if (count == max)
            return -ENOSPC;
        out[count].base = e.starting_gpa_page_number * IGVM_PAGE_SIZE;
        out[count].size = e.number_of_pages * IGVM_PAGE_SIZE;
        out[count].type = (e.entry_type == IGVM_MEMORY_TYPE_MEMORY ||
                           e.entry_type == IGVM_MEMORY_TYPE_VTL2_PROTECTABLE) ? MEM_USABLE : MEM_RESERVED;
        count++;
    }
    return (int)count;
}

void igvm_cmdline_encode(const char *text, void *out, size_t cap)
{
    char *dst = out;
    size_t i = 0;
    if (cap == 0)
        return;
    for (; text[i] != '\0' && i + 1 < cap; i++)
        dst[i] = text[i];
    dst[i] = '\0';
}
