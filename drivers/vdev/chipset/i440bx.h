/*
 * The i440BX host-PCI bridge VTL0 sees at 00:00.0 (SPEC section 6), modelled on
 * OpenVMM's chipset_legacy i440bx_host_pci_bridge (reference/openvmm-facts.md 2.1-2.3):
 * its IDs, register table, reset values, hard-wired status/command read, SMRAM rules and
 * PAM decoding. Pure: the only effect is ops->adjust(range, state), called in OpenVMM's
 * order; a backend (GET-backed or local) turns it into GPA map changes.
 */
#ifndef MEZZ_DRIVERS_I440BX_H
#define MEZZ_DRIVERS_I440BX_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/vdev/chipset/pam.h"
#include "kernel/lib/compiler.h"

#define I440BX_VENDOR_ID        0x8086
#define I440BX_DEVICE_ID        0x7192
/* QEMU's i440FX PMC: the same PAM registers at the same offsets. SeaBIOS shadows itself
 * only behind this ID (or Q35's), so a SeaBIOS VTL0 needs the bridge to wear it. */
#define I440FX_DEVICE_ID        0x1237
#define I440BX_REVISION         0x03
#define I440BX_CLASS_BRIDGE     0x06
#define I440BX_SUBCLASS_HOST    0x00

/* Config offsets (dword aligned) of the register table. */
#define I440BX_VENDOR_DEVICE    0x00
#define I440BX_STATUS_COMMAND   0x04
#define I440BX_CLASS_REVISION   0x08
#define I440BX_HEADER           0x0C
#define I440BX_INTERRUPT        0x3C
#define I440BX_NBXCFG           0x50
#define I440BX_DRAMC            0x54
#define I440BX_PAM_REG1         PAM_REG1_OFFSET   /* DRAMT byte + PAM0..PAM2 */
#define I440BX_PAM_REG2         PAM_REG2_OFFSET   /* PAM3..PAM6 */
#define I440BX_DRB1             0x60
#define I440BX_DRB2             0x64
#define I440BX_FDHC             0x68
#define I440BX_SMRAM            0x70   /* SMRAM and ESMRAMC in bytes 0x72-0x73 */
#define I440BX_SDRAMC           0x74
#define I440BX_PGPOL            0x78
#define I440BX_SCRR2            0x7C
#define I440BX_BSPAD1           0xD0
#define I440BX_BSPAD2           0xD4
#define I440BX_MANUFACTURER_ID  0xF8

/* "Bug-for-bug" with Hyper-V: the status/command dword always reads this. */
#define I440BX_STATUS_COMMAND_VALUE 0x02000006u
#define I440BX_PGPOL_VALUE          0x380A0000u
#define I440BX_MANUFACTURER_VALUE   0x00000F20u

/* Reset values, "lifted straight from Hyper-V" (reference 2.1). */
#define I440BX_DRAM1_RESET      0x02020202u
#define I440BX_DRAM2_RESET      0x00000002u
#define I440BX_SMM_RESET        0x3802u

/* SMRAM word (0x72-0x73) rules. */
#define SMRAM_LOCK              0x0010u   /* D_LCK: no more writes */
#define SMRAM_UNSUPPORTED       0x8700u
#define SMRAM_KEEP_LOW          0x007Au
#define SMRAM_FORCED            0x3802u
#define SMRAM_CLEARED           ((1u << 14) | (1u << 6))

struct i440bx_ops {
    /* The ROM/RAM view of `range` must now follow `state`. */
    void (*adjust)(void *ctx, const struct pam_range *range, enum gpa_state state);
    void *ctx;
};

/* Plain state: the only part that is saved. */
struct i440bx_state {
    uint32_t dram1, dram2;
    uint32_t pam_reg1, pam_reg2;
    uint32_t bios_scratch1, bios_scratch2;
    uint16_t smm_config_word;
    uint8_t latency_timer;
    uint8_t interrupt_line;
};

struct i440bx_stats {
    uint64_t invalid_reads;     /* registers the table does not have: all-ones */
    uint64_t invalid_writes;    /* dropped */
    uint64_t ignored_writes;    /* registers that read fixed values */
    uint64_t pam_writes;
    uint64_t adjusts;
};

struct i440bx {
    uint16_t device_id;         /* static config: I440BX_DEVICE_ID, or I440FX_DEVICE_ID */
    struct i440bx_ops ops;      /* runtime glue */
    struct i440bx_state st;
    struct i440bx_stats stats;
};

/* Saved state (servicing): versioned, packed, one field per i440bx_state field. */
#define I440BX_SAVED_VERSION 1
struct i440bx_saved {
    uint32_t version;           /* +0x00 */
    uint32_t dram1;             /* +0x04 */
    uint32_t dram2;             /* +0x08 */
    uint32_t pam_reg1;          /* +0x0c */
    uint32_t pam_reg2;          /* +0x10 */
    uint32_t bios_scratch1;     /* +0x14 */
    uint32_t bios_scratch2;     /* +0x18 */
    uint16_t smm_config_word;   /* +0x1c */
    uint8_t latency_timer;      /* +0x1e */
    uint8_t interrupt_line;     /* +0x1f */
} PACKED;
STATIC_ASSERT_SIZE(struct i440bx_saved, 0x20);
STATIC_ASSERT_OFFSET(struct i440bx_saved, pam_reg1, 0x0c);
STATIC_ASSERT_OFFSET(struct i440bx_saved, smm_config_word, 0x1c);

/*
 * Construction. Not restoring: reset values, then adjust(A0000-BFFFF, Mmio) ("VGA
 * decoding hard-coded on") and the 13 PAM ranges in table order. Restoring: no adjust
 * calls (restore() makes them).
 */
void i440bx_init(struct i440bx *b, uint16_t device_id, const struct i440bx_ops *ops,
                 bool restoring);

/* Device reset: registers back to their reset values, then the 13 ranges (not VGA). */
void i440bx_reset(struct i440bx *b);

/* A config access at byte `offset` (0-255) of size 1, 2 or 4; a write changes only the
 * bytes it covers. */
uint32_t i440bx_config_read(struct i440bx *b, unsigned offset, unsigned size);
void i440bx_config_write(struct i440bx *b, unsigned offset, unsigned size, uint32_t value);

void i440bx_save(const struct i440bx *b, struct i440bx_saved *out);
/* Validates, sets the state, then adjusts all 13 ranges. Returns 0 or -EINVAL (unknown
 * version: nothing changed). */
int i440bx_restore(struct i440bx *b, const struct i440bx_saved *in);

#endif
