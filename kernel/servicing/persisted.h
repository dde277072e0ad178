/*
 * The servicing handoff's memory in VTL2's persisted part (the first 2 MiB of the VTL2
 * region, mm/memmap.h; OpenHCL keeps its persisted state at the bottom of its VTL2
 * range too, reference/openvmm-facts.md section 1.13). The old instance writes it just
 * before entering the new image; the new instance reads it first thing. Untrusted by the
 * new instance like any loader data: copied, checked, then used. docs/servicing.md.
 *
 *   +0x00000  the persisted page (struct servicing_persisted)
 *   +0x00800  the host channels' rings (struct servicing_rings), with flag RINGS
 *   +0x01000  the boot block the new image is entered with (kernel/boot/boot_block.h)
 *   +0x02000  the handoff's page tables: identity map of 0-4 GiB and the kernel window
 *   +0x0A000  the trampoline page (code and its GDT), identity mapped
 *   +0x0B000  the trampoline's stack page
 *   +0x0C000  QEMU's fw_cfg directory as the old instance's view holds it (struct
 *             fwcfg_carry, drivers/vdev/chipset/fwcfg_view.h)
 *   +0x10000  the modules carried across (VTL0 firmware, test script, VGA BIOS; the
 *             images "igvm" and "igvm-previous"; the "blob" on a rollback)
 *
 * The staging area (mm/memmap.h) holds the new image the host wrote, behind a header.
 */
#ifndef MEZZ_KERNEL_SERVICING_PERSISTED_H
#define MEZZ_KERNEL_SERVICING_PERSISTED_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/host/host_ring.h"
#include "kernel/lib/compiler.h"

#define SERVICING_PERSISTED_MAGIC   0x50535A4Du   /* "MZSP" */
#define SERVICING_PERSISTED_VERSION 1u

#define SERVICING_PERSISTED_PAGE_OFF  0x00000u
#define SERVICING_RINGS_OFF           0x00800u   /* inside the persisted page */
#define SERVICING_BOOT_BLOCK_OFF      0x01000u
#define SERVICING_TABLES_OFF          0x02000u   /* PML4, PDPT low, 4 PDs, PDPT high, PD kernel */
#define SERVICING_TABLES_PAGES        8u
#define SERVICING_TRAMPOLINE_OFF      0x0A000u   /* code, GDT at +0x800, its descriptor at +0x7F0 */
#define SERVICING_TRAMPOLINE_STACK_OFF 0x0B000u  /* the trampoline's stack page */
#define SERVICING_FWCFG_OFF           0x0C000u   /* struct fwcfg_carry, 2 pages */
#define SERVICING_MODULES_OFF         0x10000u

struct servicing_persisted {
    uint32_t magic;
    uint16_t version;
    uint16_t size;                  /* sizeof(struct servicing_persisted) */
    uint64_t tsc_hz;                /* the old instance's TSC frequency: no calibration */
    uint64_t stop_tsc;              /* when VTL0 stopped (TSC), for blackout_time_us */
    uint64_t handoff_tsc;           /* when the old instance entered the new image */
    uint64_t boot_tsc;              /* the first instance's boot: uptime continues */
    uint32_t old_slot;              /* the slot the old image stays intact in */
    uint32_t new_slot;
    uint64_t saved_state_len;       /* the blob the host holds */
    uint64_t generation;            /* servicing count: 1 after the first handoff */
    uint64_t capabilities_flags;    /* from the host's SAVE request */
    char old_version[32];           /* NUL padded */
    char old_build_id[32];
    uint64_t flags;                 /* SERVICING_PERSISTED_* */
    /* Since size 160 (a page of 144 bytes has none of these: servicing_persisted_ok) */
    uint32_t saved_state_crc;       /* CRC-32C of the blob: the host's copy must match */
    uint32_t restore_budget_ms;     /* the new instance's restore watchdog; 0: default */
    uint32_t rollback_reason;       /* with ROLLBACK: SERVICING_ROLLBACK_* */
    int32_t rollback_error;         /* with ROLLBACK: the failed restore's negative errno */
} PACKED;
STATIC_ASSERT_OFFSET(struct servicing_persisted, tsc_hz, 8);
STATIC_ASSERT_OFFSET(struct servicing_persisted, stop_tsc, 16);
STATIC_ASSERT_OFFSET(struct servicing_persisted, old_slot, 40);
STATIC_ASSERT_OFFSET(struct servicing_persisted, saved_state_len, 48);
STATIC_ASSERT_OFFSET(struct servicing_persisted, old_version, 72);
STATIC_ASSERT_OFFSET(struct servicing_persisted, flags, 136);
STATIC_ASSERT_OFFSET(struct servicing_persisted, saved_state_crc, 144);
STATIC_ASSERT_OFFSET(struct servicing_persisted, rollback_error, 156);
STATIC_ASSERT_SIZE(struct servicing_persisted, 160);
/* The first layout (no CRC, budget or rollback reason): still read, those taken as 0. */
#define SERVICING_PERSISTED_SIZE_V1 144u

/*
 * Is this a persisted page this version reads? Magic, version, a size of this layout or
 * the first (SERVICING_PERSISTED_SIZE_V1); a TSC frequency;
 * slots 0 and 1, one each; the old version and build id NUL-terminated within their
 * fields (they are logged and shown in inspect as strings). The caller copied the page
 * out of VTL2 memory first (kernel/servicing/persisted.c; fuzzed by
 * tests/fuzz/fuzz_servicing.c).
 */
bool servicing_persisted_ok(const struct servicing_persisted *pp);
/* A checked page of the first, shorter layout (SERVICING_PERSISTED_SIZE_V1): the fields
 * it lacks become 0 (no CRC check, the default restore budget). */
void servicing_persisted_settle(struct servicing_persisted *pp);

/* flags: a rollback -- the new image failed its restore and entered the previous image
 * again, which restores from the blob carried as module "blob" (the host gave it out
 * already) instead of asking the host. */
#define SERVICING_PERSISTED_ROLLBACK 0x1ull
/* flags: the host channels' rings are carried (struct servicing_rings at
 * SERVICING_RINGS_OFF): the new instance takes them over instead of offering new ones
 * over the UARTs. An image that does not know the bit offers, as at a cold boot. */
#define SERVICING_PERSISTED_RINGS    0x2ull

#define SERVICING_RINGS_MAGIC 0x53474E52u   /* "RNGS" */
#define SERVICING_RINGS_GET   0x1u          /* channels: the record holds rings */
#define SERVICING_RINGS_DIAG  0x2u

struct servicing_rings {
    uint32_t magic;
    uint32_t channels;              /* SERVICING_RINGS_* */
    struct host_ring_carry get;
    struct host_ring_carry diag;
} PACKED;
STATIC_ASSERT_OFFSET(struct servicing_rings, get, 8);
STATIC_ASSERT_OFFSET(struct servicing_rings, diag, 32);
STATIC_ASSERT_SIZE(struct servicing_rings, 56);

/* flags, with ROLLBACK: the failed instance could not tell the host (its restore was
 * stopped by the watchdog, or its GET was down), so the rollback instance sends the
 * RESTORE_COMPLETED(failure) on its behalf before its own. */
#define SERVICING_PERSISTED_UNREPORTED 0x4ull

/* rollback_reason */
#define SERVICING_ROLLBACK_RESTORE_FAILED 1u   /* the restore returned an error */
#define SERVICING_ROLLBACK_RESTORE_STUCK  2u   /* the restore passed its deadline */
#define SERVICING_ROLLBACK_NO_HOST        3u   /* no GET, or DPS not a servicing scenario */

/* The restore watchdog (docs/servicing.md): half the host's timeout hint, so the
 * rollback is over long before the host gives up, and at most the default (also used
 * when the hint says none); at least the minimum, so a normal restore (~0.1 s) fits. */
#define SERVICING_RESTORE_BUDGET_DEFAULT_MS 10000u
#define SERVICING_RESTORE_BUDGET_MIN_MS     1000u

/* The staging area: the host writes this header at its start and the IGVM file at
 * SERVICING_STAGING_IMAGE_OFF (tests/harness/servicing.py). */
#define SERVICING_STAGING_MAGIC     0x47545353u   /* "SSTG" */
#define SERVICING_STAGING_IMAGE_OFF 0x1000u

struct servicing_staging_header {
    uint32_t magic;
    uint32_t version;               /* 1 */
    uint64_t image_len;
} PACKED;
STATIC_ASSERT_SIZE(struct servicing_staging_header, 16);

/* Capability flag bits of the SAVE request Mezzanine reads beyond OpenHCL's (bit 0 NVMe,
 * bit 1 MANA keepalive): the host asks the new instance to read its TIME before VTL0
 * resumes, so it can hash VTL0's memory at the last moment VTL0 is stopped. */
#define SERVICING_CAP_HOST_BARRIER  (1ull << 32)

#endif
