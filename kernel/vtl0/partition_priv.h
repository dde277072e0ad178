/* Internals shared by the partition's files (partition.c, vtl0_*.c). */
#ifndef MEZZ_KERNEL_PARTITION_PRIV_H
#define MEZZ_KERNEL_PARTITION_PRIV_H

#include "arch/x86_64/cpu/cpu.h"
#include "arch/x86_64/decode/insn_decode.h"
#include "kernel/vtl0/partition.h"

struct insn;

/*
 * Exit handler contract (one for every file): return EXIT_RESUME to re-enter VTL0,
 * EXIT_STOP to stop VTL0 (it has already been reported). A handler that advances RIP
 * does so itself; nothing a handler does may panic Mezzanine for anything VTL0 did.
 */
enum exit_action {
    EXIT_RESUME = 0,
    EXIT_STOP = 1,
};

/* Bytes of the instruction at VTL0's CS:RIP, as far as they could be fetched. */
struct insn_bytes {
    uint8_t bytes[15];
    size_t len;
};

/* A port access of size 1, 2 or 4 on the real hardware (accesses VTL0 is let through). */
static inline uint32_t host_port_in(uint16_t port, unsigned size)
{
    return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

static inline void host_port_out(uint16_t port, unsigned size, uint32_t value)
{
    if (size == 1)
        outb(port, (uint8_t)value);
    else if (size == 2)
        outw(port, (uint16_t)value);
    else
        outl(port, value);
}

/* vtl0_io.c */
void vtl0_io_init(struct partition *p);
enum exit_action vtl0_handle_ioio(struct partition *p);
void vtl0_io_set_intercept(struct partition *p, uint16_t port, unsigned count, bool on);
void vtl0_pm_base_changed(void *ctx, uint16_t base, bool enabled);

/* vtl0_pci.c: the PCI proxy glue and the table of emulated functions. */
void vtl0_pci_init(struct partition *p);

/* vtl0_cpu.c */
void vtl0_msr_init(struct partition *p);
void vtl0_cpu_reset(struct partition *p);          /* TSC_AUX back to 0 */
void vtl0_set_tsc_aux(struct partition *p, uint32_t value);   /* VTL0's copy and the CPU's */
enum exit_action vtl0_handle_cpuid(struct partition *p);
enum exit_action vtl0_handle_msr(struct partition *p);

/* vtl0_irq.c */
void vtl0_irq_reset(struct partition *p);           /* the model: queue, NMI, deferral */
void vtl0_irq_reset_hardware(struct partition *p);  /* VTL0's PIC, PIT and LAPIC */
void vtl0_irq_collect(struct partition *p);      /* open the interrupt window once */
bool vtl0_interruptible(const struct partition *p); /* IF set, no shadow, no event pending */
void vtl0_irq_prepare_entry(struct partition *p); /* inject or request a window */
enum exit_action vtl0_handle_hlt(struct partition *p);

/* vtl0_mem.c */
int vtl0_walk_read(void *ctx, uint64_t gpa, void *buf, size_t n);   /* read_gpa_fn; ctx = p */
/* Fetches and decodes the instruction at VTL0's CS:RIP; *cpu is VTL0's CPU state it was
 * decoded in, *bytes what could be fetched. Returns 0 or the fetch or decode error. */
int vtl0_decode_insn(struct partition *p, struct guest_cpu_state *cpu, struct insn_bytes *bytes,
                     struct insn *insn);
/* Says in words why vtl0_decode_insn() failed with err: the walk's real cause (5-level
 * paging, a #PF, a non-canonical RIP, page tables outside RAM) or the bytes that did
 * not decode. */
void vtl0_insn_error(struct partition *p, const struct guest_cpu_state *cpu,
                     const struct insn_bytes *bytes, int err, char *buf, size_t size);
enum exit_action vtl0_handle_npf(struct partition *p);
void vtl0_set_next_rip(struct partition *p, enum cpu_mode mode, unsigned length);

/* segment_load.c: a write #NPF at gpa that is the CPU setting a descriptor's accessed bit
 * in a read-only page, for the instruction insn: finishes the segment load (RIP moved on)
 * and returns true; false if it is not that. */
bool vtl0_rom_descriptor_load(struct partition *p, const struct guest_cpu_state *cpu,
                              const struct insn *insn, uint64_t gpa);
int vtl0_advance_rip(struct partition *p);        /* past the current instruction */
void vtl0_sync_npt(struct partition *p);

/* partition_state.c: unit "partition" (vtl0_device_ops save/restore) */
int partition_cpu_save(const void *ctx, uint8_t *buf, size_t cap, size_t *len);
int partition_cpu_restore(void *ctx, const uint8_t *buf, size_t len);

/* partition_inspect.c */
void partition_inspect_register(struct partition *p);

/* partition.c */
void vtl0_inject_exception(struct partition *p, uint8_t vector, bool has_error, uint32_t error);
void vtl0_request_halt(struct partition *p, enum vtl0_halt halt, const char *why);
void vtl0_report_error(struct partition *p, const char *what);

#endif
