/*
 * The IGVM loader library (SPEC section 8): one pure reader for Mezzanine's image, used
 * by the multiboot boot shim, the UEFI app, the kernel's servicing handoff and the host
 * tests. igvm_plan_load() validates the whole file (every bound and ordering rule, the
 * header CRC and the page-data digest) and returns a load plan; nothing is written
 * anywhere until a loader applies the plan with igvm_plan_apply().
 *
 * The plan is relative to a load base: the image's relocatable region (the kernel's
 * slot) is placed wherever the caller says, so the same image loads into slot0 at boot
 * and into the other slot when servicing.
 */
#ifndef MEZZ_KERNEL_BOOT_IGVM_H
#define MEZZ_KERNEL_BOOT_IGVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/boot/igvm_format.h"

#define IGVM_MAX_PAGES        1024          /* a 4 MiB kernel slot */
#define IGVM_MAX_PARAM_AREAS  4
#define IGVM_MAX_PARAM_AREA_SIZE 65536u
#define IGVM_MAX_VP_REGISTERS 16
#define IGVM_MAX_FILE_SIZE    (64u << 20)
/* load_base for "place the image at the addresses it names" (no relocation). */
#define IGVM_LOAD_AT_IMAGE_ADDRESS UINT64_MAX

/* Why an image was refused: `check` names the rule (a static string), `detail` says
 * what was wrong and `value` where (a file offset or an address) when has_value. */
struct igvm_error {
    const char *check;
    const char *detail;
    uint64_t value;
    bool has_value;
};

struct igvm_plan_page {
    uint64_t gpa;             /* where the page goes, after relocation */
    uint32_t file_offset;     /* its 4096 bytes in the file; 0: a zero page */
};

struct igvm_plan_area {
    uint32_t index;
    uint64_t size;
    uint64_t gpa;             /* where it was inserted, after relocation */
    bool inserted;
    bool has_memory_map, has_command_line;
    uint32_t memory_map_offset;    /* byte offsets of the parameters in the area */
    uint32_t command_line_offset;
};

/* The boot processor's entry state from VP_CONTEXT; a loader provides the rest (CR3 of
 * page tables it builds, segments) as docs/image.md says. */
struct igvm_entry_state {
    uint64_t rip, rsp, rsi, rdi, cr0, cr4, efer;
};

struct igvm_plan {
    uint32_t compatibility_mask;
    uint8_t highest_vtl;
    bool relocatable;
    uint64_t region_gpa, region_size, region_alignment;  /* as the image names them */
    uint64_t region_min_gpa, region_max_gpa;
    uint64_t load_base;                /* where region_gpa lands */
    uint64_t required_gpa, required_size;   /* REQUIRED_MEMORY, relocated like the rest */
    uint64_t image_low, image_high;    /* span of pages and inserted areas, relocated */
    struct igvm_plan_page pages[IGVM_MAX_PAGES];
    uint32_t page_count, data_page_count;
    struct igvm_plan_area areas[IGVM_MAX_PARAM_AREAS];
    uint32_t area_count;
    const struct igvm_plan_area *memory_map_area;    /* NULL if the image has none */
    const struct igvm_plan_area *command_line_area;
    struct igvm_entry_state entry;
    struct mezz_image_info info;       /* version and build id NUL terminated */
    uint32_t tlv_count, ignored_tlv_count;
};

/*
 * Parses and validates `size` bytes at `image` and fills *plan for placing the image's
 * relocatable region at load_base (or IGVM_LOAD_AT_IMAGE_ADDRESS). Returns 0, or
 * -EINVAL (-E2BIG for limits) with *error naming the failed check; on error the plan is
 * not usable.
 */
int igvm_plan_load(const uint8_t *image, size_t size, uint64_t load_base, struct igvm_plan *plan,
                   struct igvm_error *error);

/* Gives a writable pointer to physical [gpa, gpa + len), or NULL if the loader cannot
 * reach it. */
typedef void *(*igvm_phys_fn)(void *ctx, uint64_t gpa, uint64_t len);

/*
 * Copies every page of a validated plan to its place and zeroes every inserted
 * parameter area (loaders then fill them). `image` must be the bytes the plan was made
 * from. Returns 0 or -EFAULT if a destination is unreachable (nothing is entered then).
 */
int igvm_plan_apply(const struct igvm_plan *plan, const uint8_t *image, igvm_phys_fn phys,
                    void *ctx);

/*
 * The same result, but a page that already holds its bytes is read, not written: the
 * servicing handoff reloads the slot where the same image ran two handoffs ago, and
 * under QEMU TCG a code page that is not written keeps its translations (a write, even
 * of equal bytes, discards them and the new instance pays for translating its code
 * again while VTL0 is stopped; docs/servicing.md).
 */
int igvm_plan_apply_changed(const struct igvm_plan *plan, const uint8_t *image, igvm_phys_fn phys,
                            void *ctx);

/* A one-line reason, "CHECK: DETAIL (at 0xVALUE)", for logs; out is always terminated. */
void igvm_error_format(const struct igvm_error *error, char *out, size_t cap);

#endif
