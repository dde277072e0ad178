/*
 * Every device core behind one adapter table, with fake backends that count their calls
 * inside the wrapper object (so a byte comparison of the wrapper also proves "no call"):
 * shared by the generic saved-state suite (test_saved_state.c) and the saved-state fuzz
 * target (tests/fuzz/fuzz_saved_state.c). Not cmocka: a broken fixture aborts.
 */
#ifndef MEZZ_TESTS_STATE_ADAPTERS_H
#define MEZZ_TESTS_STATE_ADAPTERS_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/vdev/chipset/cmos_view.h"
#include "drivers/vdev/chipset/fwcfg_view.h"
#include "drivers/vdev/chipset/i440bx.h"
#include "drivers/vdev/chipset/legacy_ports.h"
#include "drivers/vdev/chipset/pam_get.h"
#include "drivers/vdev/chipset/pci_proxy.h"
#include "drivers/vdev/display/bochs_display.h"
#include "drivers/vdev/display/framebuffer.h"
#include "drivers/vdev/testdev/testdev.h"
#include "kernel/vtl0/partition.h"

struct fake {
    unsigned calls;
    uint16_t fwcfg_key;         /* fw_cfg: the selected item */
    uint32_t fwcfg_pos;
};

#define FB_TEST_VRAM 0x10000u
#define BOCHS_TEST_VRAM 0x10000u

struct w_i440bx { struct i440bx dev; struct fake f; };
struct w_pam_get { struct pam_get dev; struct fake f; };
struct w_pci { struct pci_proxy dev; struct fake f; };
struct w_cmos { struct cmos_view dev; struct fake f; };
struct w_fwcfg { struct fwcfg_view dev; struct fake f; };
struct w_fb { struct framebuffer dev; struct fake f; uint8_t vram[FB_TEST_VRAM]; };
struct w_bochs { struct bochs_display dev; struct fake f; };
struct w_testdev { struct testdev dev; struct fake f; };
struct w_legacy { struct legacy_ports dev; struct fake f; };
/* The partition unit is kernel glue over VTL0's VMCB (kernel/vtl0/partition_state.c); its
 * adapter owns a VMCB and points a zeroed partition at it. */
struct w_partition { struct partition dev; struct vmcb vmcb; struct fake f; };

struct adapter {
    const char *name, *type_url;
    size_t size;
    void (*fresh)(void *w);
    void (*mutate)(void *w);        /* a state-changing operation */
    void (*reset)(void *w);
    int (*save)(const void *w, uint8_t *buf, size_t cap, size_t *len);
    int (*restore)(void *w, const uint8_t *buf, size_t len);
};

/* In unit order: i440bx, pam_get, pci_proxy, cmos_view, fwcfg_view, framebuffer,
 * bochs_display, testdev, legacy_ports, partition. */
extern const struct adapter adapters[];
extern const size_t nadapters;
/* The same units in the kernel registry's order (partition, ports, PCI, bridge, display;
 * pam_get before i440bx, framebuffer before bochs_display): the order a running
 * Mezzanine saves and restores them in, indexes into adapters[]. */
extern const size_t adapters_registry_order[];

/* Configuration that bounds what a restore accepts, set as a real machine has it (the
 * golden servicing blob's, tests/vectors/servicing): the test device's script (the
 * cursor is checked against its length) and the framebuffer's VRAM (a mapping must lie
 * inside). The adapter's fakes stay. */
void adapter_testdev_use_script(void *w_testdev, const uint8_t *script, size_t len);
void adapter_framebuffer_use_vram(void *w_fb, uint8_t *vram, uint64_t size);

#endif
