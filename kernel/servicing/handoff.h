/*
 * The servicing handoff (SPEC section 9): the old instance checks the image the host
 * staged, loads it into the kernel slot it does not run from (its own stays intact for
 * rollback), writes the persisted page and enters the new image with a boot block that
 * marks servicing. Layout of the memory it uses: kernel/servicing/persisted.h.
 */
#ifndef MEZZ_KERNEL_SERVICING_HANDOFF_H
#define MEZZ_KERNEL_SERVICING_HANDOFF_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/hw/hpet.h"
#include "kernel/boot/igvm.h"
#include "kernel/servicing/persisted.h"
#include "mm/memmap.h"
#include "mm/vtl2_space.h"

#define HANDOFF_MAX_MODULES 6

struct handoff_module {
    const char *name;
    const void *data;
    size_t size;
};

/* What the composition root knows that the handoff needs (kernel/main.c). */
struct handoff_config {
    const struct vtl2_layout *vtl2;
    struct vtl2_space *space;
    const struct mem_range *mem;     /* the memory map as the loader gave it */
    uint32_t mem_count;
    const char *cmdline;
    unsigned running_slot;           /* 0 or 1 */
    uint64_t generation;             /* handoffs before this instance */
    struct hpet_nmi_timer *tick;     /* the host tick: stopped before the new image runs */
};

struct handoff {
    struct handoff_config cfg;
    struct igvm_plan plan;           /* the staged image, planned for the other slot */
    uint8_t encoded_map[8192];
    int encoded_entries;
    const uint8_t *image;            /* the checked image: staged, or the rollback's */
    size_t image_len;
    const char *why;                 /* the last refusal, static */
    char detail[160];
};

void handoff_init(struct handoff *h, const struct handoff_config *cfg);

/* Checks the staged image for the other slot. 0, or -EINVAL with h->why/detail. */
int handoff_check_staged(struct handoff *h);
/* Checks image (kept in VTL2 memory) for the other slot: the rollback's way back. */
int handoff_check_image(struct handoff *h, const uint8_t *image, size_t len);

/* Maps the trampoline page into the running tables (handoff_enter does it too): done
 * ahead, a later handoff_enter allocates nothing -- what the restore watchdog's rollback
 * needs, which may have cut into the page allocator. 0 or -EFAULT. */
int handoff_map_trampoline(struct handoff *h);

/*
 * Loads the checked image into the other slot, writes the persisted page (*persisted
 * filled by the caller: stop time, blob length...), carries the modules across and
 * enters the new image. Returns only on failure (-EFAULT, with h->why), before anything
 * of the running instance was touched.
 */
int handoff_enter(struct handoff *h, const struct servicing_persisted *persisted,
                  const struct handoff_module *modules, unsigned module_count);

#endif
