/*
 * The VTL0 partition: one vCPU run under AMD SVM with nested paging, its GPA map, the
 * devices it reaches through Mezzanine, and the run loop (SPEC section 5).
 */
#ifndef MEZZ_KERNEL_PARTITION_H
#define MEZZ_KERNEL_PARTITION_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/svm/guest_regs.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/svm/vmcb.h"
#include "arch/x86_64/cpu/idt.h"
#include "drivers/vdev/chipset/cmos_view.h"
#include "drivers/vdev/chipset/fwcfg_view.h"
#include "drivers/vdev/chipset/legacy_ports.h"
#include "drivers/vdev/chipset/pam.h"
#include "drivers/vdev/chipset/pci_proxy.h"
#include "drivers/vdev/testdev/testdev.h"
#include "kernel/vtl0/device.h"
#include "kernel/host/poll.h"
#include "mm/gpa_map.h"
#include "mm/pmm.h"

#define VTL0_FIRMWARE_MAX   KiB(256)
#define VTL0_FIRMWARE_MIN   KiB(64)
#define VTL0_LAPIC_BASE     0xFEE00000ull
#define VTL0_IOAPIC_BASE    0xFEC00000ull
#define VTL0_IRQ_QUEUE      16
#define VTL0_MAX_PCI_FUNCTIONS 4
#define VTL0_MAX_MMIO_DEVICES  4
#define VTL0_MAX_PORT_DEVICES  4
/* The MTRRs VTL0 sees (variable pairs, fixed ranges, default type), kept by Mezzanine. */
#define VTL0_MTRR_SHADOW_COUNT 28
#define VTL0_MSR_REFUSED_KINDS 16

struct vtl0_bridge;

/*
 * Seams for emulated devices (display, i440BX): every callback gets its device's ctx.
 * PCI config accesses are at byte `offset` (0-255) of the function, size 1, 2 or 4;
 * MMIO accesses are at `offset` into the registered range; port accesses at the port.
 * Callbacks never fail: what they do not decode they drop (writes) or read as all-ones,
 * counting it themselves.
 */
struct vtl0_pci_function {
    uint32_t bdf;                         /* PCI_BDF(bus, dev, fn) */
    uint32_t (*read)(void *ctx, unsigned offset, unsigned size);
    void (*write)(void *ctx, unsigned offset, unsigned size, uint32_t value);
    void *ctx;
};

struct vtl0_mmio_device {
    bool active;
    uint64_t gpa, size;                   /* may move: vtl0_mmio_move() */
    uint64_t (*read)(void *ctx, uint64_t offset, unsigned size);
    void (*write)(void *ctx, uint64_t offset, unsigned size, uint64_t value);
    void *ctx;
};

struct vtl0_port_device {
    uint16_t first, count;
    void (*io)(void *ctx, uint16_t port, unsigned size, bool is_write, uint32_t *value);
    void *ctx;
};

/* Why VTL0 stopped running. */
enum vtl0_halt {
    VTL0_HALT_NONE = 0,
    VTL0_HALT_POWER_OFF,
    VTL0_HALT_RESET,
    VTL0_HALT_TRIPLE_FAULT,
    VTL0_HALT_ERROR,        /* an exit Mezzanine cannot handle: VTL0 stopped, dumped */
    VTL0_HALT_HALTED,       /* VTL0 stopped itself: HLT with IF = 0 and nothing pending */
};

enum vtl0_run_state {
    VTL0_RUNNING = 0,
    VTL0_STOPPED,           /* triple fault, unhandled exit, or halted with IF = 0 */
};

/* Exit counters, by kind (inspect "partition/exits"). */
enum exit_kind {
    EXIT_KIND_IOIO, EXIT_KIND_NPF, EXIT_KIND_HLT, EXIT_KIND_CPUID, EXIT_KIND_MSR,
    EXIT_KIND_INTR, EXIT_KIND_NMI, EXIT_KIND_VINTR, EXIT_KIND_SHUTDOWN, EXIT_KIND_INVALID,
    EXIT_KIND_OTHER, EXIT_KIND_COUNT,
};

struct partition_stats {
    uint64_t exits[EXIT_KIND_COUNT];
    uint64_t rom_writes_dropped;     /* writes to read-only GPA (ROM, write-protected RAM) */
    uint64_t unmapped_reads;         /* reads of GPA nothing maps: all-ones */
    uint64_t unmapped_writes;        /* writes to GPA nothing maps: dropped */
    uint64_t mmio_unsupported;       /* MMIO instructions Mezzanine does not decode */
    uint64_t mmio_strings;           /* MOVS/CMPS/SCAS exits emulated */
    uint64_t rom_descriptor_loads;   /* segment loads whose accessed-bit write hit ROM */
    uint64_t io_dropped;             /* port accesses refused (Mezzanine-only ports, DMA) */
    uint64_t io_string;              /* INS/OUTS emulated */
    uint64_t cpuid_filtered;
    uint64_t msr_unknown;            /* accesses to MSRs VTL0 does not get: #GP injected */
    struct {
        uint32_t msr;
        uint32_t reads, writes;
    } msr_refused[VTL0_MSR_REFUSED_KINDS];   /* the first distinct refused MSRs, counted */
    uint64_t msr_refused_other;      /* refusals of MSRs beyond that list */
    uint64_t interrupts_injected;
    uint64_t interrupts_overflowed;  /* arrived in one window past its slots: lost */
    uint64_t nmis_injected;
    uint64_t host_ticks;             /* NMI exits that were Mezzanine's own HPET tick */
    uint64_t exceptions_injected;
    uint64_t resets;
};

struct partition {
    /* static config */
    uint64_t low_ram_end;            /* end of VTL0's first RAM block (= VTL2 base) */
    uint64_t rom_bios_offset;        /* low_ram_end - 1 MiB */
    uint64_t ram_above_4g;
    uint64_t firmware_size;
    const uint8_t *firmware;         /* pristine copy in VTL2 memory */
    uint64_t firmware_low_start;     /* its read-only window below 1 MiB: [this, 1 MiB) */
    const uint8_t *test_script;
    size_t test_script_len;
    bool restoring;                  /* partition_config.restoring, until the restore ends */
    const struct fwcfg_carry *fwcfg_carried;   /* partition_config's, until vtl0_io_init */

    /* runtime glue (never saved) */
    struct pmm *pmm;
    struct host_channels *host;      /* polled while VTL0 runs or waits */
    const struct idt_tables *idt;    /* for interrupt windows (arch/x86_64/cpu/idt.h) */
    volatile uint8_t *lapic;         /* VTL0's local APIC registers, for its reset; may be NULL */
    struct get_instance *get;        /* = host->get: halts and ranges go to the host here */
    struct vmcb *vmcb;
    uint64_t vmcb_pa;
    uint64_t host_vmcb_pa;           /* Mezzanine's VMSAVE state, restored after #VMEXIT */
    uint8_t *iopm, *msrpm;
    uint64_t iopm_pa, msrpm_pa;
    struct page_table npt;
    uint64_t npt_generation;         /* gpa.generation the NPT was built from */
    uint8_t port_owner[0x10000];     /* which handler owns each port (ports.c) */
    uint64_t poll_interval_tsc;      /* host channels polled at most this often */
    uint64_t last_poll_tsc;

    /* plain state */
    enum vtl0_run_state state;
    enum vtl0_halt pending_halt;
    struct guest_gprs gprs;
    struct gpa_map gpa;
    struct vtl0_bridge *bridge;      /* the host bridge (devices.c), for inspect; may be NULL */
    uint8_t irq_queue[VTL0_IRQ_QUEUE];
    unsigned irq_head, irq_count;
    bool nmi_pending;
    bool intr_deferred;              /* a physical interrupt waits for VTL0 to take it */
    struct legacy_ports legacy;      /* KBC command, port 0x92, debugcon, the PM base */
    uint64_t tsc_aux;                /* VTL0's TSC_AUX (RDTSCP, RDPID; docs/cpu-model.md) */
    struct pci_proxy pci;
    struct fwcfg_view fwcfg;
    struct cmos_view cmos;
    struct testdev testdev;
    uint64_t mtrr_shadow[VTL0_MTRR_SHADOW_COUNT];   /* in the order of mtrr_index() */
    struct partition_stats stats;
    bool host_idle;                  /* the host tick runs at its idle pace */

    /* emulated devices (runtime glue) */
    struct vtl0_pci_function pci_functions[VTL0_MAX_PCI_FUNCTIONS];
    unsigned pci_function_count;
    struct vtl0_mmio_device mmio_devices[VTL0_MAX_MMIO_DEVICES];
    struct vtl0_port_device port_devices[VTL0_MAX_PORT_DEVICES];
    unsigned port_device_count;

    /* The device registry (device.h) and the units the partition itself owns. */
    struct vtl0_device_registry devices;
    struct vtl0_device cpu_unit;         /* "partition": VTL0's CPU state */
    struct vtl0_device pci_unit;         /* "chipset.pci_proxy" */
    struct vtl0_device cmos_unit;        /* "chipset.cmos_view" */
    struct vtl0_device fwcfg_unit;       /* "chipset.fw_cfg_view" */
    struct vtl0_device legacy_unit;      /* "chipset.legacy_ports": KBC, 0x92, PM1a, debugcon */
    struct vtl0_device testdev_unit;     /* "testdev" */
};

struct partition_config {
    struct host_channels *host;      /* the GET and diag, served from the run loop */
    const struct idt_tables *idt;    /* Mezzanine's IDTs, for interrupt windows */
    struct vtl2_space *space;        /* the address space Mezzanine runs on (device mappings) */
    uint64_t low_ram_end;
    uint64_t ram_above_4g;           /* VTL0 RAM at 4 GiB and up (identity) */
    const uint8_t *firmware;         /* the multiboot module; copied */
    uint64_t firmware_size;
    const uint8_t *test_script;      /* optional; copied */
    size_t test_script_len;
    /* A new instance after servicing: VTL0's memory and the host's state are VTL0's
     * already; building the partition and its devices must not touch them (no firmware
     * copy, no VRAM clear, no GET call): the restore of the units sets everything. */
    bool restoring;
    /* Restoring: the fw_cfg directory the old instance handed over (NULL: none), so the
     * real device is not read again (drivers/vdev/chipset/fwcfg_view.h). */
    const struct fwcfg_carry *fwcfg_carried;
};

/* Checks SVM, allocates the VMCB, permission maps and NPT, copies the firmware and puts
 * VTL0 in its reset state. Returns 0 or a negative errno (logged). */
int partition_init(struct partition *p, const struct partition_config *cfg, struct pmm *pmm);

/* One round of the run loop: enter VTL0, handle the exit (or, with VTL0 stopped, serve
 * the host channels once). */
void partition_step(struct partition *p);

/* Runs VTL0 until Mezzanine is told to stop; never returns. */
NORETURN void partition_run(struct partition *p);

/* Puts VTL0 back in its reset state: firmware re-copied, chipset state reset, VMCB at
 * the reset vector (a VTL0 power cycle: vtl0_devices_power_cycle). */
void partition_reset(struct partition *p);

/*
 * Stops VTL0 where it is, at an instruction boundary: the run loop is between two
 * VMRUNs whenever anything else runs (every exit handled in full), so pausing only keeps
 * it from entering VTL0 again. The devices go asleep (device.h): their state may be
 * saved and restored. -EALREADY if VTL0 is already paused.
 */
int partition_pause(struct partition *p);
/* Lets VTL0 run again (the NPT follows any GPA map change first). -EALREADY if not paused. */
int partition_resume(struct partition *p);

/* Builds VTL0's NPT from the GPA map as it stands, unless it is built and current (the
 * run loop would otherwise do it before the next VMRUN). */
void partition_sync_npt(struct partition *p);

/* Reads / writes VTL0 guest-physical memory the way VTL0 would see it (through the GPA
 * map). Writes honour read-only mappings. Return 0, -EFAULT (unmapped) or -EPERM. */
int vtl0_read_gpa(struct partition *p, uint64_t gpa, void *buf, size_t n);
int vtl0_write_gpa(struct partition *p, uint64_t gpa, const void *buf, size_t n);

/*
 * Device registration, before partition_run (from a device's init, after partition_init).
 * Each returns 0, -ENOSPC when its table is full, or -EEXIST for a bdf or port range
 * already taken. vtl0_mmio_add returns the device's id (>= 0).
 */
int vtl0_pci_add_function(struct partition *p, const struct vtl0_pci_function *fn);
int vtl0_mmio_add(struct partition *p, const struct vtl0_mmio_device *dev);
/* A BAR moved: the device now answers at gpa (active) or nowhere (!active). */
void vtl0_mmio_move(struct partition *p, int id, bool active, uint64_t gpa);
int vtl0_port_add(struct partition *p, const struct vtl0_port_device *dev);
/* Adds a device to the registry (device.h); its ports, MMIO and PCI functions go on the
 * buses above. A device that cannot register is absent for VTL0 (logged). */
int vtl0_add_device(struct partition *p, struct vtl0_device *dev);

/* Snapshot of VTL0's CPU state from the VMCB. */
void partition_cpu_state(const struct partition *p, struct guest_cpu_state *out);

const char *exit_kind_name(enum exit_kind kind);

#endif
