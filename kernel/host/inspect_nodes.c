/* The "version", "memory" and "log" inspect nodes; see inspect_nodes.h. */
#include "kernel/host/inspect_nodes.h"

#include <stdio.h>

#include "arch/x86_64/cpu/idt.h"
#include "kernel/boot/boot_info.h"
#include "kernel/core/inspect.h"
#include "kernel/lib/log.h"
#include "kernel/version.h"

static void inspect_version(struct inspect_writer *w, void *ctx)
{
    (void)ctx;
    inspect_str(w, "version", MEZZ_VERSION);
    inspect_str(w, "gitrev", MEZZ_GITREV);
    inspect_u64(w, "uptime_us", log_uptime_us());
    inspect_u64(w, "tsc_hz", log_tsc_hz());
    /* Every NMI this instance took (its host tick's among them): the tick is alive. */
    inspect_u64(w, "nmis", trap_nmi_count());
}

static void region(struct inspect_writer *w, const char *name, uint64_t base, uint64_t size)
{
    inspect_begin(w, name);
    inspect_hex(w, "base", base);
    inspect_hex(w, "size", size);
    inspect_end(w);
}

static void inspect_memory(struct inspect_writer *w, void *ctx)
{
    (void)ctx;
    const struct mem_range *map;
    size_t n = boot_memory_map(&map);
    inspect_begin(w, "map");
    for (size_t i = 0; i < n; i++) {
        char name[8];
        snprintf(name, sizeof(name), "%zu", i);
        inspect_begin(w, name);
        inspect_hex(w, "base", map[i].base);
        inspect_hex(w, "size", map[i].size);
        inspect_str(w, "type", mem_type_name(map[i].type));
        inspect_end(w);
    }
    inspect_end(w);
    const struct vtl2_layout *v = boot_vtl2_layout();
    inspect_begin(w, "vtl2");
    inspect_hex(w, "base", v->base);
    inspect_hex(w, "size", v->size);
    region(w, "persisted", v->persisted_base, v->persisted_size);
    region(w, "slot0", v->slot_base[0], v->slot_size);
    region(w, "slot1", v->slot_base[1], v->slot_size);
    region(w, "vram", v->vram_base, v->vram_size);
    region(w, "staging", v->staging_base, v->staging_size);
    region(w, "heap", v->heap_base, v->heap_size);
    inspect_end(w);
    inspect_begin(w, "vtl0");
    inspect_hex(w, "low_end", v->base);
    inspect_hex(w, "rom_bios_offset", v->base - MiB(1));
    inspect_end(w);
}

static void inspect_log(struct inspect_writer *w, void *ctx)
{
    (void)ctx;
    const struct log_ring *ring = log_get_ring();
    inspect_u64(w, "written", ring->written);
    inspect_u64(w, "ring_size", LOG_RING_SIZE);
    inspect_u64(w, "held", ring->written < LOG_RING_SIZE ? ring->written : LOG_RING_SIZE);
}

void inspect_nodes_register(void)
{
    if (inspect_register("version", inspect_version, NULL) ||
        inspect_register("memory", inspect_memory, NULL) ||
        inspect_register("log", inspect_log, NULL))
        log_warn("inspect", "could not register the kernel's nodes");
}
