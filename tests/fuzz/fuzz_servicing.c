/*
 * libFuzzer target: what a new Mezzanine instance reads, before and while it restores,
 * after the servicing handoff entered it (docs/servicing.md) -- every byte of it the host
 * could have written into guest memory or its RESTORE answers:
 *
 *   input[0, MEM_SIZE)   physical memory at PERSISTED_PA, as the old instance left the
 *                        persisted part: the persisted page at +0, the boot block the
 *                        image is entered with at +0x1000 (kernel/servicing/persisted.h),
 *                        and whatever the block points to (memory map, command line);
 *                        short inputs are zero padded, reads outside fail
 *   input[MEM_SIZE, end) the blob, as servicing_restore() gets it from the host (or, on a
 *                        rollback, as the carried module)
 *
 * The path of kmain() and servicing_restore(): boot_block_parse() of the block, the
 * memory map sanitised and the VTL2 region laid out where the block says, the persisted
 * page copied and checked (servicing_persisted_ok()) and its strings logged; then the
 * blob restored into every unit in the kernel registry's order (tests/unit/state_adapters.c).
 * Nothing may crash (ASan/UBSan), everything accepted must be well formed (terminated
 * strings, bounded counts), a refused blob names its error and an envelope refusal
 * changes no device, an accepted one is a save/restore fixed point.
 * Seeds (tests/fuzz/corpus/servicing): a real handoff's layout with the golden blob
 * tests/vectors/servicing/testfw-v1.bin, a rollback, and broken variants.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/boot/boot_block.h"
#include "kernel/boot/loader_parse.h"
#include "kernel/servicing/envelope.h"
#include "kernel/servicing/persisted.h"
#include "mm/memmap.h"
#include "tests/unit/state_adapters.h"

#define PERSISTED_PA 0x1BC00000ull      /* the VTL2 region's base in a 512 MiB VM */
#define MEM_SIZE     0x2000u
#define BLOB_MAX     16384u             /* kernel/servicing/servicing.h's before[] */
#define MAX_UNITS    16
#define VTL2_SIZE    (64ull << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fake_memory {
    uint8_t bytes[MEM_SIZE];
};

static int read_fake(void *ctx, uint64_t pa, void *dst, size_t n)
{
    const struct fake_memory *m = ctx;
    if (pa < PERSISTED_PA || pa - PERSISTED_PA > MEM_SIZE || n > MEM_SIZE - (pa - PERSISTED_PA))
        return -EFAULT;
    memcpy(dst, m->bytes + (pa - PERSISTED_PA), n);
    return 0;
}

static void require(bool ok)
{
    if (!ok)
        abort();
}

static bool terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

/* kmain(): the boot block, the memory map, the VTL2 region, the persisted page. */
static void boot_path(struct fake_memory *mem)
{
    static struct boot_params params;     /* 1.5 KiB+ of command line: off the stack */
    int err = boot_block_parse(PERSISTED_PA + 0x1000, read_fake, mem, &params);
    if (err) {
        require(err < 0);
        return;
    }
    require(terminated(params.cmdline, sizeof(params.cmdline)));
    require(terminated(params.loader_name, sizeof(params.loader_name)));
    require(params.mem_count <= MEMMAP_MAX_RANGES && params.module_count <= BOOT_MODULES_MAX);
    for (uint32_t i = 0; i < params.module_count; i++) {
        const struct boot_module *m = &params.modules[i];
        require(m->size != 0 && m->phys_base + m->size >= m->phys_base);
        require(terminated(m->name, sizeof(m->name)));
    }
    struct mem_range map[MEMMAP_MAX_RANGES];
    int count = memmap_sanitize(params.mem, params.mem_count, map, MEMMAP_MAX_RANGES);
    if (count > 0) {
        struct vtl2_layout layout;
        if (boot_place_vtl2(&params, map, (size_t)count, VTL2_SIZE, &layout) == 0)
            require(layout.slot_size != 0 && layout.base + layout.size > layout.base);
    }
    if (!params.servicing)
        return;
    require(params.persisted_pa != 0 && (params.persisted_pa & 0xFFF) == 0 &&
            params.persisted_pa < (1ull << 32));
    struct servicing_persisted pp;      /* copied, then checked, as kmain() does */
    if (read_fake(mem, params.persisted_pa, &pp, sizeof(pp)) != 0 || !servicing_persisted_ok(&pp))
        return;
    servicing_persisted_settle(&pp);
    require(pp.size == sizeof(pp) || (pp.saved_state_crc == 0 && pp.restore_budget_ms == 0 &&
                                      pp.rollback_reason == 0 && pp.rollback_error == 0));
    require(pp.tsc_hz != 0 && pp.old_slot <= 1 && pp.new_slot == (pp.old_slot ^ 1u));
    require(terminated(pp.old_version, sizeof(pp.old_version)));
    require(terminated(pp.old_build_id, sizeof(pp.old_build_id)));
    char line[160];     /* the log lines of kmain() and servicing_restore() */
    snprintf(line, sizeof(line), "entered by the handoff from %s (%s) in slot%u", pp.old_version,
             pp.old_build_id, pp.old_slot);
}

struct devices {
    void *dev[MAX_UNITS], *copy[MAX_UNITS];
    struct state_unit units[MAX_UNITS];
};

static uint8_t first[BLOB_MAX], second[BLOB_MAX];
/* The machine's configuration where it bounds a restore: the longest script the test
 * device takes, the display's 8 MiB of VRAM (never written by a restore). */
static uint8_t script[TESTDEV_SCRIPT_MAX], vram[FB_VRAM_SIZE];

/* servicing_restore(): every unit, in the registry's order, from fresh devices (a new
 * instance builds its devices in restoring mode before it pulls the blob). */
static void restore_path(const uint8_t *blob, size_t len)
{
    struct devices d;
    if (len > BLOB_MAX)          /* the GET's RESTORE and the rollback refuse larger blobs */
        return;
    for (size_t i = 0; i < nadapters; i++) {
        const struct adapter *a = &adapters[adapters_registry_order[i]];
        d.dev[i] = calloc(1, a->size);
        d.copy[i] = malloc(a->size);
        require(d.dev[i] != NULL && d.copy[i] != NULL);
        a->fresh(d.dev[i]);
        if (strcmp(a->name, TESTDEV_STATE_UNIT) == 0)
            adapter_testdev_use_script(d.dev[i], script, sizeof(script));
        else if (strcmp(a->name, FRAMEBUFFER_STATE_UNIT) == 0)
            adapter_framebuffer_use_vram(d.dev[i], vram, sizeof(vram));
        memcpy(d.copy[i], d.dev[i], a->size);
        d.units[i] = (struct state_unit){ a->name, a->type_url, a->save, a->restore, d.dev[i] };
    }
    struct state_error e;
    size_t n1 = 0, n2 = 0;
    int err = state_restore(d.units, nadapters, blob, len, &e);
    if (err) {
        require(e.err == err && e.what != NULL && terminated(e.unit, sizeof(e.unit)));
        /* The envelope is checked whole before any unit is touched. */
        if (err != -EINVAL || strcmp(e.what, "state refused") != 0) {
            for (size_t i = 0; i < nadapters; i++)
                require(memcmp(d.dev[i], d.copy[i], adapters[adapters_registry_order[i]].size) == 0);
        }
    } else {
        require(state_save(d.units, nadapters, first, sizeof(first), &n1, &e) == 0 &&
                state_restore(d.units, nadapters, first, n1, &e) == 0 &&
                state_save(d.units, nadapters, second, sizeof(second), &n2, &e) == 0 &&
                n1 == n2 && memcmp(first, second, n1) == 0);
    }
    for (size_t i = 0; i < nadapters; i++) {
        free(d.dev[i]);
        free(d.copy[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fake_memory mem;
    if (size == 0 || nadapters > MAX_UNITS)
        return 0;
    size_t mem_len = size < MEM_SIZE ? size : MEM_SIZE;
    memset(mem.bytes, 0, sizeof(mem.bytes));
    memcpy(mem.bytes, data, mem_len);
    boot_path(&mem);
    restore_path(data + mem_len, size - mem_len);
    return 0;
}
