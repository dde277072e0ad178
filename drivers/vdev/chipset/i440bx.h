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
#include <stddef.h>
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

/* Which PAM backend carries out the ranges (SPEC section 6): static config of the bridge,
 * carried in its saved state so that a blob is never restored under another backend.
 * The values are those of the schema's PamBackend (kernel/servicing/proto/i440bx.proto). */
enum i440bx_pam_backend {
    I440BX_PAM_UNSPECIFIED = 0,
    I440BX_PAM_OPENHCL = 1,     /* GET-backed, OpenHCL's rules */
    I440BX_PAM_FAITHFUL = 2,    /* GET-backed, faithful */
    I440BX_PAM_LOCAL = 3,       /* local RAM visibility */
};

struct i440bx {
    uint16_t device_id;         /* static config: I440BX_DEVICE_ID, or I440FX_DEVICE_ID */
    enum i440bx_pam_backend pam_backend;   /* static config; UNSPECIFIED after init */
    struct i440bx_ops ops;      /* runtime glue */
    struct i440bx_state st;
    struct i440bx_stats stats;
};

/*
 * Construction. Not restoring: reset values, then adjust(A0000-BFFFF, Mmio) ("VGA
 * decoding hard-coded on") and the 13 PAM ranges in table order. Restoring: no adjust
 * calls (restore() makes them).
 */
void i440bx_init(struct i440bx *b, uint16_t device_id, const struct i440bx_ops *ops,
                 bool restoring);

/* Device reset: registers back to their reset values, then the 13 ranges (not VGA). */
void i440bx_reset(struct i440bx *b);

/* Takes st (already validated: i440bx_restore_state()) and adjusts all 13 ranges. */
void i440bx_set_state(struct i440bx *b, const struct i440bx_state *st);

/* A config access at byte `offset` (0-255) of size 1, 2 or 4; a write changes only the
 * bytes it covers. */
uint32_t i440bx_config_read(struct i440bx *b, unsigned offset, unsigned size);
void i440bx_config_write(struct i440bx *b, unsigned offset, unsigned size, uint32_t value);

/*
 * Saved state (docs/saved-state.md): unit "i440bx", schema
 * chipset.i440bx.host_pci_bridge.SavedState (OpenVMM's, plus the PAM backend).
 * save: encodes the plain state and the backend into buf[0, cap); 0 with *len, or
 * -ENOSPC. restore: decodes into a temporary and validates all of it (field ranges; a
 * backend that differs from this bridge's, both being specified) -- -EINVAL changes
 * nothing and makes no call -- then takes the state and adjusts all 13 ranges.
 */
#define I440BX_STATE_UNIT     "i440bx"
#define I440BX_STATE_TYPE_URL "type.googleapis.com/chipset.i440bx.host_pci_bridge.SavedState"
#define I440BX_STATE_MAX_LEN  64
int i440bx_save_state(const struct i440bx *b, uint8_t *buf, size_t cap, size_t *len);
int i440bx_restore_state(struct i440bx *b, const uint8_t *buf, size_t len);

#endif
