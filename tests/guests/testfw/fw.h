/*
 * The test firmware's C side. The same C files are compiled three times, for real mode
 * (-m16, FW_BITS 16), protected mode (FW_BITS 32) and long mode (FW_BITS 64), and linked
 * into three slots of the image (layout.h); a mode switch jumps from one build to the
 * next. What must survive a switch lives in struct fw_shared at a fixed address.
 */
#ifndef TESTFW_FW_H
#define TESTFW_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/vdev/testdev/testdev.h"
#include "tests/guests/testfw/layout.h"

#if FW_BITS == 16
#define FW_MODE TESTDEV_MODE_REAL
#elif FW_BITS == 32
#define FW_MODE TESTDEV_MODE_PROT
#elif FW_BITS == 64
#define FW_MODE TESTDEV_MODE_LONG
#else
#error "FW_BITS must be 16, 32 or 64"
#endif

#define NORETURN __attribute__((noreturn))

/* Where the script comes from and where reports go (fw_shared.flags). */
#define FW_SRC_BUILTIN   0x1   /* the built-in default script, not the device's */
#define FW_SINK_DEBUGCON 0x2   /* no test device: run the model here, print on 0x402 */

#define FW_SHARED_MAGIC  0x5346544Du   /* "MTFS" */

/* At FW_SHARED; the same layout in all three builds (asserted in main.c). */
struct fw_shared {
    uint32_t magic;
    uint32_t flags;
    uint32_t script_len;
    uint32_t cursor;        /* next script byte (mirrors the device's cursor) */
    uint32_t tag;           /* the operation running; TESTDEV_TAG_NONE between */
    uint32_t target_mode;   /* where a MODE operation is going */
    uint32_t in_exception;  /* an exception report is under way: do not recurse */
    uint32_t reserved;
    uint64_t last_value;    /* first value of the last VALUE report, for EXPECT */
};

/* Every build reaches the shared block at its linear address; real mode through DS. */
#if FW_BITS == 16
#define FW_STATE ((struct fw_shared *)FW_SHARED_OFF)
#else
#define FW_STATE ((struct fw_shared *)(uintptr_t)FW_SHARED)
#endif

/* ---- report.c: events to the test device, or to the debug console ---- */
void report_init(void);                    /* on every entry to a mode */
void report_event(uint8_t kind, const uint32_t *args, unsigned nargs,
                  const char *text, unsigned text_len);
void report_boot(void);
void report_done(void);
void report_mode(uint32_t tag, uint32_t mode);
void report_pass(uint32_t tag);
void report_fail(uint32_t tag, uint32_t reason, const uint64_t *values, unsigned n);
void report_fail1(uint32_t tag, uint32_t reason, uint64_t value);
void report_values(uint32_t tag, const uint64_t *values, unsigned n);
void report_log(uint32_t tag, const char *text, unsigned len);

/* ---- source.c: the script ---- */
void source_detect(void);                  /* cold boot: choose device or built-in */
uint32_t source_begin_op(void);            /* cursor of the next operation */
bool source_read(void *out, unsigned n);   /* false: the script ended inside */

/* ---- interp.c ---- */
NORETURN void interp_run(void);

/* ---- per-mode pieces (probe_*.c, cpu.c, halt.c, mode_*.c) ---- */
/* Memory access at a physical address; returns 0 or TESTDEV_FAIL_UNSUPPORTED. */
int probe_read(uint64_t addr, unsigned bytes, uint64_t *value);
int probe_write(uint64_t addr, unsigned bytes, uint64_t value);

void cpu_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);
uint64_t cpu_rdmsr(uint32_t msr);
uint64_t cpu_rdtsc(void);
void cpu_wrmsr(uint32_t msr, uint64_t value);
uint32_t port_in(uint16_t port, unsigned bytes);
void port_out(uint16_t port, unsigned bytes, uint32_t value);
NORETURN void cpu_halt_forever(void);

void halt_power_off(void);                 /* these return only if nothing happened */
void halt_reset_cf9(void);
void halt_reset_kbc(void);
void halt_triple_fault(void);

/* paging.c: long-mode identity tables (32-bit build) and the probe window (64-bit). */
void paging_build(void);
int paging_window_map(uint64_t addr);      /* 0, or -1 above MAXPHYADDR */
void paging_window_unmap(uint64_t addr);

/* One step toward FW_STATE->target_mode; never returns. */
NORETURN void mode_step(void);
/* Exceptions: install this mode's handlers; the handlers call fw_exception. */
void exceptions_init(void);
NORETURN void fw_exception(uint32_t vector, uint32_t error, uint64_t ip);

/* Interrupt gates (exceptions.c): one vector at a time gets a handler of ours, and
 * irq_gate_restore() puts back what was there. Vectors below irq_gate_limit(). */
unsigned irq_gate_limit(void);
void irq_gate_install(unsigned vector, uintptr_t handler);
void irq_gate_restore(void);

/* irq.c: the TIMER_IRQ operation. timer_vector_base() checks (and defaults, for 0) a
 * PIC vector base, giving 0 if it is unusable here; timer_ticks() returns the ticks and
 * the TSC cycles the waits took. */
uint8_t timer_vector_base(uint8_t requested);
uint32_t timer_ticks(uint8_t base, uint32_t halts, uint64_t *tsc_elapsed);

/* pci.c: configuration mechanism #1; addresses as written to 0xCF8, plus the register.
 * pci_find gives the address of a function's register 0, or PCI_NO_FUNCTION. */
#define PCI_NO_FUNCTION 0xFFFFFFFFu
uint32_t pci_cfg_read(uint32_t address, unsigned bytes);
void pci_cfg_write(uint32_t address, unsigned bytes, uint32_t value);
uint32_t pci_find(uint32_t id);

/* draw.c: the DRAW pattern into a 32-bpp framebuffer at base (pitch bytes per line):
 * lines [first, first + lines), pixels [0, width). 0 or TESTDEV_FAIL_UNSUPPORTED. */
int draw_pattern(uint64_t base, uint32_t pitch, uint32_t width, uint32_t first,
                 uint32_t lines, uint32_t seed);

/* string.c: a string instruction (op 0 MOVS, 1 STOS, 2 CMPS, 3 LODS; size 1/2/4/8;
 * flags STR_*: 1 REP, 2 DF, 4 the 67h prefix) from src to dst; out: rCX, the change of
 * rSI and rDI, eAX | arithmetic flags << 32. 0 or a TESTDEV_FAIL_* reason. */
int string_op(uint8_t op, uint8_t size, uint8_t flags, uint64_t src, uint64_t dst,
              uint32_t count, uint64_t value, uint64_t out[4]);

/* segload.c: FS (and in protected mode CS, by a far JMP) loaded from a GDT in the ROM
 * image whose descriptors have the accessed bit clear; desc_high[] = their high dwords as
 * read afterwards, *n how many. 0 or a reason. */
int segload_rom(uint64_t desc_high[2], unsigned *n);

/* cpu.c: RDTSCP's ECX, RDPID's register. */
uint32_t cpu_rdtscp_aux(void);
uint64_t cpu_rdpid(void);

/* mem.c: what the compiler may call. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);

#endif
