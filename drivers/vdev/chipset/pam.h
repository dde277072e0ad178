/*
 * i440BX PAM decoding and OpenVMM's local RAM-visibility rules (reference sections 2.2
 * and 2.5). Pure. The i440BX bridge model (drivers/vdev/chipset/i440bx.c) decodes the registers; the
 * local backend in kernel/vtl0/emuplat/bridge.c applies the visibility rules to the GPA map.
 */
#ifndef MEZZ_DRIVERS_PAM_H
#define MEZZ_DRIVERS_PAM_H

#include <stdint.h>

#include "mm/gpa_map.h"

#define PAM_RANGE_COUNT 13
#define PAM_REG1_OFFSET 0x58      /* dword: DRAMT byte, then PAM0..PAM2 */
#define PAM_REG2_OFFSET 0x5C      /* dword: PAM3..PAM6 */
#define PAM_REG1_RESET  0x00000003u
#define PAM_REG2_RESET  0x00000000u

#define VGA_WINDOW_START 0xA0000ull
#define VGA_WINDOW_END   0xC0000ull

/* OpenVMM's GpaState: what reads and writes of a PAM range reach. */
enum gpa_state {
    GPA_STATE_MMIO = 0,             /* reads and writes go to MMIO (ROM) */
    GPA_STATE_WRITE_PROTECTED = 1,  /* reads RAM, writes MMIO */
    GPA_STATE_WRITE_ONLY = 2,       /* reads ROM, writes RAM */
    GPA_STATE_WRITABLE = 3,         /* reads and writes RAM */
};

struct pam_range {
    uint64_t start, end;
};

/* In OpenVMM's table order: F0000 first, then C0000 ... EC000. */
extern const struct pam_range pam_ranges[PAM_RANGE_COUNT];

/* Range i's state is bits 1:0 of nibble (i + 3) of (reg2 << 32 | reg1). */
void pam_decode(uint32_t reg1, uint32_t reg2, enum gpa_state out[PAM_RANGE_COUNT]);

/* OpenVMM's local mapping of a range state to RAM visibility. */
enum gpa_visibility pam_local_visibility(const struct pam_range *range, enum gpa_state state);

const char *gpa_state_name(enum gpa_state state);

/* One host slot's mapping as a GET-backed backend creates it (OpenHCL's HandleMetadata):
 * what both rule sets (pam_get.h, pam_faithful.h) compute for a range. */
struct pam_handle {
    bool valid;
    uint64_t gpa, len, gpa_offset;
    bool rom;
};

#endif
