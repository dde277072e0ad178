/*
 * VTL0 partition: setup, architectural reset state, and the run loop that dispatches
 * #VMEXITs through one table (AMD APM vol. 2, "#VMEXIT", Appendix C exit codes).
 */
#include "kernel/vtl0/partition.h"

#include <errno.h>
#include <string.h>

#include "arch/x86_64/cpu/cpu.h"
#include "arch/x86_64/svm/svm.h"
#include "kernel/host/get_instance.h"
#include "kernel/core/inspect.h"
#include "kernel/lib/log.h"
#include "kernel/core/machine.h"
#include "kernel/lib/panic.h"
#include "kernel/vtl0/partition_priv.h"
#include "kernel/host/poll.h"
#include "mm/vtl2_space.h"

#define VTL0_ASID 1

/* Architectural reset values (APM vol. 2, "Processor Initialization State"). */
#define RESET_CR0           0x60000010ull     /* CD | NW | ET */
#define RESET_RFLAGS        0x2ull
#define RESET_RIP           0xFFF0ull
#define RESET_CS_SELECTOR   0xF000
#define RESET_CS_BASE       0xFFFF0000ull
#define RESET_DR6           0xFFFF0FF0ull
#define RESET_DR7           0x400ull
#define RESET_PAT           0x0007040600070406ull
#define SEG_ATTR_CODE16     0x009B           /* present, code, readable, accessed */
#define SEG_ATTR_DATA16     0x0093           /* present, data, writable, accessed */
#define SEG_ATTR_LDT        0x0082
#define SEG_ATTR_TSS16_BUSY 0x008B

static const char *const exit_kind_names[EXIT_KIND_COUNT] = {
    [EXIT_KIND_IOIO] = "ioio", [EXIT_KIND_NPF] = "npf", [EXIT_KIND_HLT] = "hlt",
    [EXIT_KIND_CPUID] = "cpuid", [EXIT_KIND_MSR] = "msr", [EXIT_KIND_INTR] = "intr",
    [EXIT_KIND_NMI] = "nmi", [EXIT_KIND_VINTR] = "vintr", [EXIT_KIND_SHUTDOWN] = "shutdown",
    [EXIT_KIND_INVALID] = "invalid", [EXIT_KIND_OTHER] = "other",
};

const char *exit_kind_name(enum exit_kind kind)
{
    return (unsigned)kind < EXIT_KIND_COUNT ? exit_kind_names[kind] : "?";
}

static const char *const halt_names[] = {
    [VTL0_HALT_NONE] = "none", [VTL0_HALT_POWER_OFF] = "power-off", [VTL0_HALT_RESET] = "reset",
    [VTL0_HALT_TRIPLE_FAULT] = "triple-fault", [VTL0_HALT_ERROR] = "error",
    [VTL0_HALT_HALTED] = "halted",
};

/* The host channels are polled from the run loop at most every POLL_INTERVAL_US: each
 * poll reads UART status registers, and polling on every exit added a fifth to the cost
 * of an exit (tools/bench/exits.py, docs/benchmarks.md). 100 us is far below any GET
 * timeout, and while VTL0 computes without exiting nothing polls anyway. */
#define POLL_INTERVAL_US 100

static inline void poll_host_channels(struct partition *p)
{
    uint64_t now = rdtsc();
    if (now - p->last_poll_tsc < p->poll_interval_tsc)
        return;
    p->last_poll_tsc = now;
    kernel_poll(p->host);
}

/* ---- memory for the VMCB and the permission maps -------------------------------- */

static void *alloc_pages(struct pmm *pmm, uint64_t pages, uint64_t *pa)
{
    return pmm_alloc(pmm, pages, PAGE_SIZE, pa) == 0 ? phys_to_virt(*pa) : NULL;
}

static void *alloc_zeroed(struct pmm *pmm, uint64_t pages, uint64_t *pa)
{
    void *va = alloc_pages(pmm, pages, pa);
    if (va != NULL)
        memset(va, 0, pages * PAGE_SIZE);
    return va;
}

static uint64_t npt_alloc(void *ctx)
{
    uint64_t pa;
    return pmm_alloc(ctx, 1, PAGE_SIZE, &pa) == 0 ? pa : 0;
}

static uint64_t *npt_table(void *ctx, uint64_t pa)
{
    (void)ctx;
    return phys_to_virt(pa);
}

static void npt_free(void *ctx, uint64_t pa)
{
    (void)pmm_free(ctx, pa, 1);
}

/* ---- state ---------------------------------------------------------------------- */

void partition_cpu_state(const struct partition *p, struct guest_cpu_state *out)
{
    const struct vmcb_save *s = &p->vmcb->save;
#define SEG(dst, src) (dst) = (struct guest_segment){ (src).selector, (src).attrib, (src).limit, (src).base }
    out->rip = s->rip;
    out->rflags = s->rflags;
    out->cr0 = s->cr0;
    out->cr2 = s->cr2;
    out->cr3 = s->cr3;
    out->cr4 = s->cr4;
    out->efer = s->efer & ~EFER_SVME;
    out->cpl = s->cpl;
    SEG(out->cs, s->cs);
    SEG(out->ss, s->ss);
    SEG(out->ds, s->ds);
    SEG(out->es, s->es);
    SEG(out->fs, s->fs);
    SEG(out->gs, s->gs);
#undef SEG
}

static void set_segment(struct vmcb_segment *seg, uint16_t selector, uint16_t attrib, uint64_t base)
{
    *seg = (struct vmcb_segment){ .selector = selector, .attrib = attrib, .limit = 0xFFFF, .base = base };
}

/* VTL0's CPU as after RESET: real mode at F000:FFF0 (linear 0xFFFFFFF0). */
static void reset_cpu(struct partition *p)
{
    struct vmcb_save *s = &p->vmcb->save;
    uint32_t a, b, c, d;

    memset(s, 0, sizeof(*s));
    set_segment(&s->cs, RESET_CS_SELECTOR, SEG_ATTR_CODE16, RESET_CS_BASE);
    set_segment(&s->ds, 0, SEG_ATTR_DATA16, 0);
    set_segment(&s->es, 0, SEG_ATTR_DATA16, 0);
    set_segment(&s->ss, 0, SEG_ATTR_DATA16, 0);
    set_segment(&s->fs, 0, SEG_ATTR_DATA16, 0);
    set_segment(&s->gs, 0, SEG_ATTR_DATA16, 0);
    set_segment(&s->gdtr, 0, 0, 0);
    set_segment(&s->idtr, 0, 0, 0);
    set_segment(&s->ldtr, 0, SEG_ATTR_LDT, 0);
    set_segment(&s->tr, 0, SEG_ATTR_TSS16_BUSY, 0);
    s->cr0 = RESET_CR0;
    s->rflags = RESET_RFLAGS;
    s->rip = RESET_RIP;
    s->dr6 = RESET_DR6;
    s->dr7 = RESET_DR7;
    s->g_pat = RESET_PAT;
    /* VMRUN requires EFER.SVME in the guest; VTL0 reads EFER with it hidden. */
    s->efer = EFER_SVME;

    memset(&p->gprs, 0, sizeof(p->gprs));
    cpu_cpuid(1, 0, &a, &b, &c, &d);
    p->gprs.gpr[GPR_RDX] = a;   /* EDX holds the processor signature after RESET */
}

static void setup_control(struct partition *p)
{
    struct vmcb_control *c = &p->vmcb->control;

    memset(c, 0, sizeof(*c));
    c->intercept_misc1 = INTERCEPT1_INTR | INTERCEPT1_NMI | INTERCEPT1_SMI | INTERCEPT1_INIT |
                         INTERCEPT1_CPUID | INTERCEPT1_HLT | INTERCEPT1_IOIO_PROT |
                         INTERCEPT1_MSR_PROT | INTERCEPT1_SHUTDOWN | INTERCEPT1_INVD |
                         INTERCEPT1_RSM;
    /* VMRUN must be intercepted or VMRUN fails; the rest keep SVM away from VTL0. */
    c->intercept_misc2 = INTERCEPT2_VMRUN | INTERCEPT2_VMMCALL | INTERCEPT2_VMLOAD |
                         INTERCEPT2_VMSAVE | INTERCEPT2_STGI | INTERCEPT2_CLGI |
                         INTERCEPT2_SKINIT;
    c->iopm_base_pa = p->iopm_pa;
    c->msrpm_base_pa = p->msrpm_pa;
    c->guest_asid = VTL0_ASID;
    c->tlb_control = TLB_CONTROL_FLUSH_ALL;
    c->vintr = VINTR_MASKING;
    c->np_control = NP_ENABLE;
    c->n_cr3 = p->npt.root;
}

/* Rebuilds the NPT whenever the GPA map changed; the NPT is never edited elsewhere. */
void vtl0_sync_npt(struct partition *p)
{
    if (p->npt.root != 0 && p->npt_generation == p->gpa.generation)
        return;
    const struct pt_ops ops = { .alloc_table = npt_alloc, .table_ptr = npt_table, .ctx = p->pmm,
                                .free_table = npt_free };
    struct page_table fresh;
    /* Table entries get U: QEMU walks the NPT as user accesses (svm-under-tcg.md). */
    int err = pt_init(&fresh, &ops, PTE_W | PTE_U);
    if (!err)
        err = gpa_map_build_npt(&p->gpa, &fresh);
    if (err) {
        pt_destroy(&fresh);
        panic("npt: cannot build VTL0's nested page table (error %d)", err);
    }
    pt_destroy(&p->npt);
    p->npt = fresh;
    p->npt_generation = p->gpa.generation;
    p->vmcb->control.n_cr3 = p->npt.root;
    p->vmcb->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
}

static void place_firmware(struct partition *p)
{
    /* The image sits at the top of VTL0's first RAM block (SPEC section 1): its last
     * 64 KiB at rom_bios_offset + 0xF0000. */
    memcpy(phys_to_virt(p->low_ram_end - p->firmware_size), p->firmware, p->firmware_size);
}

static int setup_gpa_map(struct partition *p)
{
    int err = gpa_map_init(&p->gpa, p->low_ram_end);
    uint64_t low_window = p->firmware_size < KiB(128) ? p->firmware_size : KiB(128);

    /* The firmware's reset-vector alias below 4 GiB, and its last 128 KiB below 1 MiB,
     * as QEMU's isa-bios alias; both read-only and shown only where RAM is unmapped. */
    if (!err)
        err = gpa_map_add_rom(&p->gpa, GiB(4) - p->firmware_size, p->firmware_size,
                              p->low_ram_end - p->firmware_size);
    p->firmware_low_start = MiB(1) - low_window;
    if (!err)
        err = gpa_map_add_rom(&p->gpa, p->firmware_low_start, low_window,
                              p->low_ram_end - low_window);
    if (!err && p->ram_above_4g)
        err = gpa_map_add_ram_block(&p->gpa, GiB(4), p->ram_above_4g);
    /* The local APIC and I/O APIC stay VTL0's: neither can write memory outside the
     * interrupt range, and VTL0's firmware needs them. */
    if (!err)
        err = gpa_map_add_passthrough(&p->gpa, VTL0_LAPIC_BASE, PAGE_4K);
    if (!err)
        err = gpa_map_add_passthrough(&p->gpa, VTL0_IOAPIC_BASE, PAGE_4K);
    if (!err)
        err = gpa_map_set_visibility(&p->gpa, VGA_WINDOW_START, VGA_WINDOW_END, GPA_UNMAPPED);
    return err;
}

int vtl0_add_device(struct partition *p, struct vtl0_device *dev)
{
    int err = vtl0_device_register(&p->devices, dev);
    if (err)
        log_error("vtl0", "device %s not registered (error %d)", dev->name ? dev->name : "?", err);
    return err;
}

/* Unit "partition": VTL0's CPU back to its power-on state (registers at the reset
 * vector, no event or interrupt pending). The real interrupt controllers are
 * partition_reset's: they are VTL0's hardware, not state of the model. */
static void cpu_unit_reset(void *ctx)
{
    struct partition *p = ctx;
    reset_cpu(p);
    setup_control(p);
    p->state = VTL0_RUNNING;
    p->pending_halt = VTL0_HALT_NONE;
    vtl0_irq_reset(p);
    vtl0_cpu_reset(p);
}

/* Beyond the model, a VTL0 power cycle re-copies the pristine firmware and puts the real
 * interrupt controllers VTL0 owns in their reset state (a chipset reset). */
static void cpu_unit_power_cycle(void *ctx)
{
    struct partition *p = ctx;
    place_firmware(p);
    vtl0_irq_reset_hardware(p);
}

/* The restored state is plain data (partition_state.c); TSC_AUX must also be in the CPU
 * while VTL0 runs (docs/cpu-model.md). */
static int cpu_unit_restore(void *ctx, const uint8_t *buf, size_t len)
{
    struct partition *p = ctx;
    int err = partition_cpu_restore(ctx, buf, len);
    if (err == 0)
        vtl0_set_tsc_aux(p, (uint32_t)p->tsc_aux);
    return err;
}

static const struct vtl0_device_ops cpu_unit_ops = {
    .reset = cpu_unit_reset, .power_cycle = cpu_unit_power_cycle,
    .save = partition_cpu_save, .restore = cpu_unit_restore,
};

void partition_reset(struct partition *p)
{
    vtl0_devices_power_cycle(&p->devices);
    vtl0_sync_npt(p);
}

int partition_init(struct partition *p, const struct partition_config *cfg, struct pmm *pmm)
{
    struct svm_features features;
    const char *why = "";
    uint64_t pa;
    int err;

    memset(p, 0, sizeof(*p));
    p->pmm = pmm;
    p->host = cfg->host;
    p->idt = cfg->idt;
    p->lapic = cfg->space ? (volatile uint8_t *)vtl2_map_mmio(cfg->space, VTL0_LAPIC_BASE, PAGE_SIZE)
                          : NULL;
    p->get = cfg->host->get;
    p->low_ram_end = cfg->low_ram_end;
    p->rom_bios_offset = cfg->low_ram_end - MiB(1);
    p->ram_above_4g = cfg->ram_above_4g;
    p->restoring = cfg->restoring;
    p->fwcfg_carried = cfg->restoring ? cfg->fwcfg_carried : NULL;
    p->poll_interval_tsc = log_tsc_hz() / (1000000 / POLL_INTERVAL_US);

    if (cfg->firmware_size < VTL0_FIRMWARE_MIN || cfg->firmware_size > VTL0_FIRMWARE_MAX ||
        !IS_ALIGNED(cfg->firmware_size, KiB(64))) {
        log_error("vtl0", "firmware image of %llu bytes: must be 64 KiB to 256 KiB in 64 KiB steps",
                  (unsigned long long)cfg->firmware_size);
        return -EINVAL;
    }
    err = svm_probe(&features, &why);
    if (err) {
        log_error("svm", "cannot run VTL0: %s", why);
        return err;
    }
    log_info("svm", "SVM revision %u, %u ASIDs, features 0x%x (nested paging)",
             features.revision, features.num_asids, features.features);

    void *hsave = alloc_zeroed(pmm, 1, &pa);
    void *host_vmcb = alloc_zeroed(pmm, 1, &p->host_vmcb_pa);
    p->vmcb = alloc_zeroed(pmm, 1, &p->vmcb_pa);
    p->iopm = alloc_zeroed(pmm, IOPM_SIZE / PAGE_SIZE, &p->iopm_pa);
    p->msrpm = alloc_zeroed(pmm, MSRPM_SIZE / PAGE_SIZE, &p->msrpm_pa);
    uint64_t fw_pa, script_pa = 0;
    /* Not zeroed: the firmware copy below fills every page (a multiple of 64 KiB). */
    uint8_t *fw = alloc_pages(pmm, cfg->firmware_size / PAGE_SIZE, &fw_pa);
    uint8_t *script = NULL;
    if (cfg->test_script_len)
        script = alloc_zeroed(pmm, ALIGN_UP(cfg->test_script_len, (size_t)PAGE_SIZE) / PAGE_SIZE, &script_pa);
    if (!hsave || !host_vmcb || !p->vmcb || !p->iopm || !p->msrpm || !fw ||
        (cfg->test_script_len && !script)) {
        log_error("vtl0", "out of VTL2 memory for the partition");
        return -ENOMEM;
    }
    memcpy(fw, cfg->firmware, cfg->firmware_size);
    p->firmware = fw;
    p->firmware_size = cfg->firmware_size;
    if (script) {
        memcpy(script, cfg->test_script, cfg->test_script_len);
        p->test_script = script;
        p->test_script_len = cfg->test_script_len;
    }
    svm_enable(pa, p->host_vmcb_pa);

    err = setup_gpa_map(p);
    if (err) {
        log_error("vtl0", "bad GPA map configuration (error %d)", err);
        return err;
    }
    vtl0_device_registry_init(&p->devices);
    p->cpu_unit = (struct vtl0_device){
        .name = "partition", .type_url = "type.googleapis.com/mezzanine.vtl0.partition.SavedState",
        .ops = &cpu_unit_ops, .ctx = p };
    err = vtl0_add_device(p, &p->cpu_unit);
    if (err)
        return err;
    vtl0_io_init(p);
    vtl0_msr_init(p);
    vtl0_pci_init(p);
    if (p->restoring) {
        /* The models only (no power cycle: VTL0's firmware and interrupt controllers are
         * as VTL0 left them); the restore overwrites them. No NPT yet: the devices and
         * the restore change the GPA map, so it is built once, from the restored map,
         * before the restore ends (partition_sync_npt, docs/servicing.md). */
        vtl0_devices_reset(&p->devices);
    } else {
        partition_reset(p);
    }
    partition_inspect_register(p);
    if (inspect_register("devices", vtl0_devices_inspect, &p->devices) != 0)
        log_warn("vtl0", "inspect node \"devices\" not registered");
    log_info("vtl0", "partition ready: RAM 0x0-0x%llx, rom_bios_offset 0x%llx, firmware %llu KiB",
             (unsigned long long)(p->low_ram_end - 1), (unsigned long long)p->rom_bios_offset,
             (unsigned long long)(p->firmware_size >> 10));
    return 0;
}

/* ---- events into VTL0 -------------------------------------------------------------- */

void vtl0_inject_exception(struct partition *p, uint8_t vector, bool has_error, uint32_t error)
{
    uint64_t ev = vector | EVENT_TYPE_EXCEPTION | EVENT_VALID;
    if (has_error)
        ev |= EVENT_ERROR_VALID | ((uint64_t)error << EVENT_ERROR_SHIFT);
    p->vmcb->control.event_inject = ev;
    p->stats.exceptions_injected++;
}

static void dump_vtl0(struct partition *p)
{
    const struct vmcb_save *s = &p->vmcb->save;
    const uint64_t *g = p->gprs.gpr;
    log_error("vtl0", "  RIP=%016llx RFLAGS=%016llx CS=%04x:%016llx attr %03x CPL %u",
              (unsigned long long)s->rip, (unsigned long long)s->rflags, s->cs.selector,
              (unsigned long long)s->cs.base, s->cs.attrib, s->cpl);
    log_error("vtl0", "  RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx",
              (unsigned long long)s->rax, (unsigned long long)g[GPR_RBX],
              (unsigned long long)g[GPR_RCX], (unsigned long long)g[GPR_RDX]);
    log_error("vtl0", "  RSI=%016llx RDI=%016llx RBP=%016llx RSP=%016llx",
              (unsigned long long)g[GPR_RSI], (unsigned long long)g[GPR_RDI],
              (unsigned long long)g[GPR_RBP], (unsigned long long)s->rsp);
    log_error("vtl0", "  CR0=%016llx CR3=%016llx CR4=%016llx EFER=%016llx",
              (unsigned long long)s->cr0, (unsigned long long)s->cr3,
              (unsigned long long)s->cr4, (unsigned long long)(s->efer & ~EFER_SVME));
    log_error("vtl0", "  exit code 0x%llx (%s) info1=0x%llx info2=0x%llx intinfo=0x%llx",
              (unsigned long long)p->vmcb->control.exit_code,
              svm_exit_name(p->vmcb->control.exit_code),
              (unsigned long long)p->vmcb->control.exit_info1,
              (unsigned long long)p->vmcb->control.exit_info2,
              (unsigned long long)p->vmcb->control.exit_int_info);
}

void vtl0_request_halt(struct partition *p, enum vtl0_halt halt, const char *why)
{
    if (p->pending_halt == VTL0_HALT_NONE)
        p->pending_halt = halt;
    log_info("vtl0", "halt reason=%s rip=0x%llx (%s)", halt_names[halt],
             (unsigned long long)p->vmcb->save.rip, why);
}

void vtl0_report_error(struct partition *p, const char *what)
{
    log_error("vtl0", "stopping VTL0: %s", what);
    dump_vtl0(p);
    p->pending_halt = VTL0_HALT_ERROR;
}

/* ---- exits ------------------------------------------------------------------------- */

typedef enum exit_action (*exit_handler)(struct partition *p);

static enum exit_action handle_intr(struct partition *p)
{
    /* Acknowledge (take through the window) only what VTL0 can take right now; an
     * interrupt VTL0 is not ready for stays in its interrupt controller, where VTL0 may
     * still mask it or reprogram the controller, as on hardware. */
    if (vtl0_interruptible(p))
        vtl0_irq_collect(p);
    else
        p->intr_deferred = true;
    return EXIT_RESUME;
}

static enum exit_action handle_nmi(struct partition *p)
{
    /* The NMI stays pending until GIF is set again; Mezzanine's NMI handler takes it
     * after the exit (svm_enter sets GIF). The host tick's NMI is Mezzanine's: look at
     * the host channels now. Any other NMI since the last count (this one, or one taken
     * while Mezzanine ran) is VTL0's (its APIC, LINT1) and is forwarded to it. */
    if (kernel_nmis_for_vtl0(p->host) == 0) {
        p->stats.host_ticks++;
        p->last_poll_tsc = rdtsc();
        kernel_poll(p->host);
        return EXIT_RESUME;
    }
    p->nmi_pending = true;
    return EXIT_RESUME;
}

static enum exit_action handle_vintr(struct partition *p)
{
    /* VTL0 can take an interrupt now: drop the request; a deferred physical interrupt
     * exits again at once (host IF is back) and is taken then; a queued one is injected
     * on the way in. */
    p->vmcb->control.vintr &= ~VINTR_IRQ;
    p->vmcb->control.intercept_misc1 &= ~INTERCEPT1_VINTR;
    p->intr_deferred = false;
    return EXIT_RESUME;
}

static enum exit_action handle_shutdown(struct partition *p)
{
    log_error("vtl0", "triple fault (SHUTDOWN intercept)");
    dump_vtl0(p);
    vtl0_request_halt(p, VTL0_HALT_TRIPLE_FAULT, "shutdown");
    return EXIT_STOP;
}

static enum exit_action handle_init(struct partition *p)
{
    vtl0_request_halt(p, VTL0_HALT_RESET, "INIT signal");
    return EXIT_RESUME;
}

static enum exit_action handle_ignore(struct partition *p)
{
    (void)p;   /* SMI: VTL0 has no SMM */
    return EXIT_RESUME;
}

static enum exit_action handle_invd(struct partition *p)
{
    /* Caches are coherent under TCG and VTL0 may not discard VTL2's lines: no-op. */
    return vtl0_advance_rip(p) == 0 ? EXIT_RESUME : EXIT_STOP;
}

static enum exit_action handle_svm_insn(struct partition *p)
{
    /* VTL0 has no SVM (CPUID hides it): the instruction is #UD. */
    vtl0_inject_exception(p, 6, false, 0);
    return EXIT_RESUME;
}

static enum exit_action handle_unexpected(struct partition *p)
{
    vtl0_report_error(p, "unexpected #VMEXIT");
    return EXIT_STOP;
}

static const exit_handler exit_handlers[0x100] = {
    [VMEXIT_INTR] = handle_intr,
    [VMEXIT_NMI] = handle_nmi,
    [VMEXIT_SMI] = handle_ignore,
    [VMEXIT_INIT] = handle_init,
    [VMEXIT_VINTR] = handle_vintr,
    [VMEXIT_CPUID] = vtl0_handle_cpuid,
    [VMEXIT_RSM] = handle_svm_insn,
    [VMEXIT_INVD] = handle_invd,
    [VMEXIT_HLT] = vtl0_handle_hlt,
    [VMEXIT_IOIO] = vtl0_handle_ioio,
    [VMEXIT_MSR] = vtl0_handle_msr,
    [VMEXIT_SHUTDOWN] = handle_shutdown,
    [VMEXIT_VMRUN] = handle_svm_insn,
    [VMEXIT_VMMCALL] = handle_svm_insn,
    [VMEXIT_VMLOAD] = handle_svm_insn,
    [VMEXIT_VMSAVE] = handle_svm_insn,
    [VMEXIT_STGI] = handle_svm_insn,
    [VMEXIT_CLGI] = handle_svm_insn,
    [VMEXIT_SKINIT] = handle_svm_insn,
};

static enum exit_kind kind_of(uint64_t code)
{
    switch (code) {
    case VMEXIT_IOIO: return EXIT_KIND_IOIO;
    case VMEXIT_NPF: return EXIT_KIND_NPF;
    case VMEXIT_HLT: return EXIT_KIND_HLT;
    case VMEXIT_CPUID: return EXIT_KIND_CPUID;
    case VMEXIT_MSR: return EXIT_KIND_MSR;
    case VMEXIT_INTR: return EXIT_KIND_INTR;
    case VMEXIT_NMI: return EXIT_KIND_NMI;
    case VMEXIT_VINTR: return EXIT_KIND_VINTR;
    case VMEXIT_SHUTDOWN: return EXIT_KIND_SHUTDOWN;
    case VMEXIT_INVALID: return EXIT_KIND_INVALID;
    default: return EXIT_KIND_OTHER;
    }
}

static inline enum exit_action dispatch_exit(struct partition *p)
{
    struct vmcb_control *c = &p->vmcb->control;
    uint64_t code = c->exit_code;

    /* An event that was being delivered when the exit happened must be delivered again
     * ("Event Injection": EXITINTINFO). */
    if (c->exit_int_info & EVENT_VALID) {
        c->event_inject = c->exit_int_info;
        c->exit_int_info = 0;
    }
    /* Port I/O is the most frequent exit by far (SeaBIOS: 9 in 10): straight there. */
    if (code == VMEXIT_IOIO) {
        p->stats.exits[EXIT_KIND_IOIO]++;
        return vtl0_handle_ioio(p);
    }
    p->stats.exits[kind_of(code)]++;
    if (code == VMEXIT_NPF)
        return vtl0_handle_npf(p);
    if (code == VMEXIT_INVALID) {
        vtl0_report_error(p, "VMRUN refused the VMCB (VMEXIT_INVALID)");
        return EXIT_STOP;
    }
    if (code < ARRAY_SIZE(exit_handlers) && exit_handlers[code] != NULL)
        return exit_handlers[code](p);
    return handle_unexpected(p);
}

/* How long the host gets to end the VM after VTL0's power-off before Mezzanine ends
 * the machine itself (no host, or a host that does not act). */
#define HOST_POWER_OFF_GRACE_US 2000000u

static NORETURN void power_off(struct partition *p)
{
    /* As OpenHCL: tell the host, which tears the VM down. */
    get_notify_power_off(p->get, false);
    uint64_t start = log_uptime_us();
    while (log_uptime_us() - start < HOST_POWER_OFF_GRACE_US) {
        kernel_poll(p->host);
        __asm__ volatile("pause");
    }
    log_warn("vtl0", "the host did not end the VM after POWER_OFF: powering off");
    machine_power_off();
}

static void finish_halt(struct partition *p)
{
    enum vtl0_halt halt = p->pending_halt;
    struct guest_cpu_state cpu;
    p->pending_halt = VTL0_HALT_NONE;
    switch (halt) {
    case VTL0_HALT_NONE:
        return;
    case VTL0_HALT_POWER_OFF:
        power_off(p);
    case VTL0_HALT_RESET:
        /* The host is told; VTL0 restarts here with a chipset reset (SPEC section 5). */
        get_notify_reset(p->get);
        p->stats.resets++;
        log_info("vtl0", "restarting VTL0 from the reset vector (reset #%llu)",
                 (unsigned long long)p->stats.resets);
        partition_reset(p);
        return;
    case VTL0_HALT_TRIPLE_FAULT:
        partition_cpu_state(p, &cpu);
        get_notify_triple_fault(p->get, &p->gprs, &cpu);
        p->state = VTL0_STOPPED;
        log_info("vtl0", "VTL0 stopped; Mezzanine keeps running");
        return;
    case VTL0_HALT_HALTED:
        /* Nothing will wake it: say so to the host (docs/get.md, EXT_VTL0_HALTED), which
         * ends the VM as for a power-off; without a host VTL0 just stays stopped. */
        get_notify_vtl0_halted(p->get, p->vmcb->save.rip);
        p->state = VTL0_STOPPED;
        log_info("vtl0", "VTL0 stopped itself; Mezzanine keeps running");
        return;
    case VTL0_HALT_ERROR:
        p->state = VTL0_STOPPED;
        log_info("vtl0", "VTL0 stopped; Mezzanine keeps running");
        return;
    }
}

int partition_pause(struct partition *p)
{
    return vtl0_devices_stop(&p->devices);
}

void partition_sync_npt(struct partition *p)
{
    vtl0_sync_npt(p);
}

int partition_resume(struct partition *p)
{
    vtl0_sync_npt(p);
    return vtl0_devices_start(&p->devices);
}

void partition_step(struct partition *p)
{
    if (p->state != VTL0_RUNNING || p->devices.state != VTL0_DEVICE_ACTIVE) {
        if (!p->host_idle) {
            p->host_idle = true;
            kernel_tick_idle(p->host, true);
        }
        kernel_poll(p->host);
        kernel_wait(p->host);
        return;
    }
    /* Fast-path checks stay inline: under TCG every call and return is an indirect
     * branch to look up, which is most of the cost of a cheap exit (benchmarks.md). */
    if (p->npt_generation != p->gpa.generation)
        vtl0_sync_npt(p);
    if (p->host_idle) {                 /* back from a halted or stopped VTL0 */
        p->host_idle = false;
        kernel_tick_idle(p->host, false);
    }
    if (p->irq_count != 0 || p->nmi_pending || p->intr_deferred ||
        (p->vmcb->control.intercept_misc1 & INTERCEPT1_VINTR))
        vtl0_irq_prepare_entry(p);
    /* From the exit until here RAX and RSP live in p->gprs (handlers, reset): back they go. */
    p->vmcb->save.rax = p->gprs.gpr[GPR_RAX];
    p->vmcb->save.rsp = p->gprs.gpr[GPR_RSP];
    /* An interrupt VTL0 cannot take yet stays pending in its controller: no host IF
     * for VMRUN (no INTR exit over and over) until the VINTR exit says VTL0 can. */
    svm_enter(p->vmcb_pa, p->host_vmcb_pa, &p->gprs, !p->intr_deferred);
    p->gprs.gpr[GPR_RAX] = p->vmcb->save.rax;
    p->gprs.gpr[GPR_RSP] = p->vmcb->save.rsp;
    p->vmcb->control.tlb_control = TLB_CONTROL_NONE;
    p->vmcb->control.event_inject = 0;

    if (dispatch_exit(p) == EXIT_STOP && p->pending_halt == VTL0_HALT_NONE)
        p->pending_halt = VTL0_HALT_ERROR;
    if (p->pending_halt != VTL0_HALT_NONE)
        finish_halt(p);
    poll_host_channels(p);
}

NORETURN void partition_run(struct partition *p)
{
    log_info("vtl0", "starting VTL0 at %04x:%04llx", p->vmcb->save.cs.selector,
             (unsigned long long)p->vmcb->save.rip);
    (void)vtl0_devices_start(&p->devices);
    for (;;)
        partition_step(p);
}
