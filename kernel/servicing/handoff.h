/*
 * The servicing handoff (SPEC section 9): the old instance checks the image the host
 * staged, loads it into the kernel slot it does not run from (its own stays intact for
 * rollback), writes the persisted page and enters the new image with a boot block that
 * marks servicing. Layout of the memory it uses: kernel/servicing/persisted.h.
 */
#ifndef MEZZ_KERNEL_SERVICING_HANDOFF_H
#define MEZZ_KERNEL_SERVICING_HANDOFF_H

#include <stdbool.h>
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
    bool prepared;                   /* handoff_prepare done: the other slot is loaded */
    uint64_t next_pa;                /* where the next carried module goes */
    uint64_t cr3;                    /* the handoff's tables */
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
 * Before VTL0 stops (docs/servicing.md, "The flow"): loads the checked image into the
 * other slot (the plan applied, .bss zeroed, the parameters written), carries the
 * modules that do not change into the persisted part, fills the boot block and builds
 * the handoff's tables and trampoline, keeping late_room bytes for the modules that
 * come after the stop (the blob). Touches nothing the running instance uses: its own
 * slot stays intact, and if servicing goes no further the other slot is simply unused.
 * 0, or -EFAULT with h->why.
 */
int handoff_prepare(struct handoff *h, uint64_t tsc_hz, const struct handoff_module *modules,
                    unsigned module_count, size_t late_room);

/*
 * After the save: carries the late modules, writes the persisted page (*persisted filled
 * by the caller: stop time, blob length...) and enters the prepared image. Returns only
 * on failure (-EFAULT, with h->why), with the running instance untouched.
 */
int handoff_enter_prepared(struct handoff *h, const struct servicing_persisted *persisted,
                           const struct handoff_module *late, unsigned late_count);

/* Both in one go (the rollback's way back, where VTL0 is stopped already). */
int handoff_enter(struct handoff *h, const struct servicing_persisted *persisted,
                  const struct handoff_module *modules, unsigned module_count);

#endif
