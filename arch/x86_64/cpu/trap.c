/*
 * C side of exception entry. Every exception in VTL2 is a Mezzanine bug, so it is
 * dumped and ends in panic(); an NMI is counted and execution continues.
 */
#include "arch/x86_64/cpu/cpu.h"
#include "arch/x86_64/cpu/idt.h"
#include "arch/x86_64/cpu/trap_dump.h"
#include "kernel/lib/log.h"
#include "kernel/lib/panic.h"

void trap_handle(struct trap_frame *frame);

static volatile int in_trap;
static uint64_t nmi_count;

uint64_t trap_nmi_count(void)
{
    return __atomic_load_n(&nmi_count, __ATOMIC_RELAXED);
}

static void emit_line(void *ctx, const char *line)
{
    (void)ctx;
    log_raw_line(line);
}

void trap_handle(struct trap_frame *frame)
{
    if (frame->vector == X86_VEC_NMI) {
        /* Mezzanine's own HPET tick is an NMI every few hundred microseconds (docs/get.md):
         * count them, log only the first. */
        if (nmi_count++ == 0)
            log_info("trap", "first NMI at RIP=0x%016llx", (unsigned long long)frame->rip);
        trap_nmi_hook(frame);
        return;
    }
    if (in_trap++) {
        /* A fault inside the dump itself: nothing formatted, one raw line, stop. */
        log_raw_line("EXCEPTION while handling an exception");
        outl(DEBUG_EXIT_PORT, MEZZ_EXIT_PANIC);
        cpu_halt_forever();
    }

    struct trap_cregs cregs = {
        .cr0 = read_cr0(), .cr2 = read_cr2(), .cr3 = read_cr3(), .cr4 = read_cr4(),
        .efer = rdmsr(MSR_EFER),
    };
    trap_dump(frame, &cregs, emit_line, NULL);
    const char *mn = exception_mnemonic(frame->vector);
    panic("unhandled exception %s%s (vector %llu) at RIP=0x%016llx",
          mn ? "#" : "", mn ? mn : "interrupt", (unsigned long long)frame->vector,
          (unsigned long long)frame->rip);
}
