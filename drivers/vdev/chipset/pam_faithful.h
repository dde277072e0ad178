/*
 * The faithful GET-backed PAM rules (SPEC section 6, docs/pam.md): what OpenHCL's source
 * leaves as "in the future, we should implement PAM registers faithfully". For every
 * range and state VTL0 is to see what OpenVMM's local backend (RamVisibility, reference
 * 2.5; pam_local_visibility) gives it, but expressed as one host-made GPA range per slot:
 *
 *   local view                          faithful slot
 *   ReadWrite                           none: the catch-all RAM serves
 *   ReadOnly                            read-only range over the same RAM (identity, ROM)
 *   Unmapped, the firmware's low window ROM range over the firmware copy
 *     shows the firmware there          (rom_bios_offset + start, which is exactly the
 *                                       window's backing)
 *   Unmapped, nothing behind it         read-only range over the same RAM: a GPA range
 *     (reads all-ones, writes dropped)  cannot read as unmapped; writes are dropped as
 *                                       locally, reads give RAM (docs/pam.md lists these)
 *
 * WriteOnly is what the local backend makes of it: the same as Mmio. The slot discipline
 * (slot = base_slot + index, skip if unchanged, reset before create, a failed create
 * leaves the slot empty) is pam_get.c's, shared with OpenHCL's rules. Pure.
 */
#ifndef MEZZ_DRIVERS_PAM_FAITHFUL_H
#define MEZZ_DRIVERS_PAM_FAITHFUL_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/vdev/chipset/pam.h"

/*
 * The slot range `range` needs in `state`. firmware_low_start is where the firmware's
 * read-only window below 1 MiB begins (it ends at 1 MiB; the partition shows the
 * image's last min(size, 128 KiB) there, QEMU's isa-bios alias): a range at or above it
 * that the local backend leaves unmapped shows the firmware, below it nothing.
 */
struct pam_handle pam_faithful_desired(const struct pam_range *range, enum gpa_state state,
                                       uint64_t rom_bios_offset, uint64_t firmware_low_start);

/* Can the faithful slot for (range, state) show exactly the local view? False for the
 * ranges the local backend leaves unmapped with nothing behind them (docs/pam.md). */
bool pam_faithful_exact(const struct pam_range *range, enum gpa_state state,
                        uint64_t firmware_low_start);

#endif
