/* Inspect node "partition": VTL0's state as tests and operators see it (exit counts by
 * reason, the GPA map as it drives the NPT, the emulation counters). */
#include <stdio.h>

#include "kernel/core/inspect.h"
#include "kernel/vtl0/emuplat/bridge.h"
#include "kernel/lib/log.h"
#include "kernel/vtl0/cpu_model.h"
#include "kernel/vtl0/partition_priv.h"

static const char *const run_state_names[] = { "running", "stopped" };

static void inspect_gpa_map(struct inspect_writer *w, const struct partition *p)
{
    struct gpa_extent extents[GPA_MAX_EXTENTS];
    int n = gpa_map_extents(&p->gpa, extents, GPA_MAX_EXTENTS);
    char name[24];

    inspect_begin(w, "gpa_map");
    inspect_hex(w, "low_ram_end", p->gpa.low_ram_end);
    inspect_u64(w, "generation", p->gpa.generation);
    inspect_begin(w, "regions");
    for (unsigned i = 0; i < GPA_LEGACY_REGIONS; i++) {
        snprintf(name, sizeof(name), "%05llx", (unsigned long long)p->gpa.regions[i].start);
        inspect_str(w, name, gpa_visibility_name(p->gpa.regions[i].visibility));
    }
    inspect_end(w);
    inspect_begin(w, "extents");
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "%llx", (unsigned long long)extents[i].gpa);
        inspect_begin(w, name);
        inspect_hex(w, "size", extents[i].size);
        inspect_hex(w, "backing", extents[i].backing);
        inspect_bool(w, "writable", extents[i].writable);
        inspect_str(w, "kind", gpa_kind_name(extents[i].kind));
        inspect_end(w);
    }
    inspect_end(w);
    inspect_end(w);
}

/* "partition/pam": the bridge's PAM registers, each range's state, the backend, and
 * (GET-backed) the slots as Mezzanine sees them. */
static void inspect_pam(struct inspect_writer *w, const struct partition *p)
{
    if (p->bridge == NULL)
        return;
    const struct vtl0_bridge *b = p->bridge;
    enum gpa_state states[PAM_RANGE_COUNT];
    char name[24];

    pam_decode(b->dev.st.pam_reg1, b->dev.st.pam_reg2, states);
    inspect_begin(w, "pam");
    inspect_str(w, "backend", pam_backend_name(b));
    inspect_hex(w, "reg1", b->dev.st.pam_reg1);
    inspect_hex(w, "reg2", b->dev.st.pam_reg2);
    inspect_begin(w, "ranges");
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++) {
        snprintf(name, sizeof(name), "%05llx", (unsigned long long)pam_ranges[i].start);
        inspect_str(w, name, gpa_state_name(states[i]));
    }
    inspect_end(w);
    inspect_begin(w, "slots");
    vtl0_bridge_inspect_slots(w, b);
    inspect_end(w);
    inspect_begin(w, "counters");
    inspect_u64(w, "pam_writes", b->dev.stats.pam_writes);
    inspect_u64(w, "adjusts", b->dev.stats.adjusts);
    inspect_u64(w, "invalid_reads", b->dev.stats.invalid_reads);
    inspect_u64(w, "invalid_writes", b->dev.stats.invalid_writes);
    inspect_u64(w, "creates", b->get.stats.creates);
    inspect_u64(w, "create_failures", b->get.stats.create_failures);
    inspect_u64(w, "create_timeouts", b->get.stats.create_timeouts);
    inspect_u64(w, "last_refusal_status", b->get.stats.last_status);
    inspect_u64(w, "resets", b->get.stats.resets);
    inspect_u64(w, "reset_failures", b->get.stats.reset_failures);
    inspect_u64(w, "skipped", b->get.stats.skipped);
    inspect_u64(w, "write_only", b->get.stats.write_only);
    inspect_u64(w, "map_errors", b->map_errors);
    uint64_t mhz = log_tsc_hz() / 1000000u;
    inspect_u64(w, "get_call_us", mhz ? b->get_call_tsc / mhz : 0);
    inspect_end(w);
    inspect_end(w);
}

/* "partition/msr_refused": each MSR VTL0 was refused, by number, with its counts and
 * whether the CPU model lists it (docs/cpu-model.md); refusals beyond the list in
 * "other". */
static void inspect_msr_refused(struct inspect_writer *w, const struct partition_stats *st)
{
    char name[16];
    inspect_begin(w, "msr_refused");
    for (unsigned i = 0; i < VTL0_MSR_REFUSED_KINDS; i++) {
        if (st->msr_refused[i].reads + st->msr_refused[i].writes == 0)
            break;
        snprintf(name, sizeof(name), "%x", st->msr_refused[i].msr);
        inspect_begin(w, name);
        inspect_u64(w, "reads", st->msr_refused[i].reads);
        inspect_u64(w, "writes", st->msr_refused[i].writes);
        inspect_bool(w, "in_model", cpu_model_msr(st->msr_refused[i].msr) != NULL);
        inspect_end(w);
    }
    inspect_u64(w, "other", st->msr_refused_other);
    inspect_end(w);
}

static void inspect_partition(struct inspect_writer *w, void *ctx)
{
    const struct partition *p = ctx;
    const struct partition_stats *st = &p->stats;

    inspect_str(w, "state", run_state_names[p->state == VTL0_RUNNING ? 0 : 1]);
    inspect_hex(w, "rip", p->vmcb->save.rip);
    inspect_hex(w, "rom_bios_offset", p->rom_bios_offset);
    inspect_u64(w, "firmware_size", p->firmware_size);
    inspect_hex(w, "pm_base", p->legacy.st.pm_base);

    inspect_begin(w, "exits");
    uint64_t total = 0;
    for (unsigned k = 0; k < EXIT_KIND_COUNT; k++) {
        inspect_u64(w, exit_kind_name((enum exit_kind)k), st->exits[k]);
        total += st->exits[k];
    }
    inspect_u64(w, "total", total);
    inspect_end(w);

    inspect_begin(w, "counters");
    inspect_u64(w, "rom_writes_dropped", st->rom_writes_dropped);
    inspect_u64(w, "unmapped_reads", st->unmapped_reads);
    inspect_u64(w, "unmapped_writes", st->unmapped_writes);
    inspect_u64(w, "mmio_unsupported", st->mmio_unsupported);
    inspect_u64(w, "mmio_strings", st->mmio_strings);
    inspect_u64(w, "rom_descriptor_loads", st->rom_descriptor_loads);
    inspect_u64(w, "io_dropped", st->io_dropped);
    inspect_u64(w, "io_string", st->io_string);
    inspect_u64(w, "cpuid", st->cpuid_filtered);
    inspect_u64(w, "msr_refused", st->msr_unknown);
    inspect_u64(w, "interrupts_injected", st->interrupts_injected);
    inspect_u64(w, "interrupts_overflowed", st->interrupts_overflowed);
    inspect_u64(w, "nmis_injected", st->nmis_injected);
    inspect_u64(w, "host_ticks", st->host_ticks);
    inspect_u64(w, "exceptions_injected", st->exceptions_injected);
    inspect_u64(w, "resets", st->resets);
    inspect_u64(w, "bus_master_blocked", p->pci.stats.bus_master_blocked);
    inspect_u64(w, "ide_bmiba_writes_dropped", p->pci.stats.bmiba_writes_dropped);
    inspect_u64(w, "fw_cfg_dma_refused", p->fwcfg.stats.dma_refused);
    inspect_u64(w, "cmos_memory_writes_dropped", p->cmos.memory_writes_dropped);
    inspect_end(w);

    inspect_hex(w, "tsc_aux", p->tsc_aux);
    inspect_msr_refused(w, st);

    inspect_pam(w, p);

    inspect_gpa_map(w, p);
}

void partition_inspect_register(struct partition *p)
{
    inspect_register("partition", inspect_partition, p);
}
