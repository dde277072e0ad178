/*
 * VTL0 memory as VTL0 sees it: reads and writes through the GPA map, instruction fetch
 * through VTL0's own paging, and the nested page fault path. A #NPF is an access the
 * NPT does not allow: a GPA nothing maps, or a write to a read-only mapping. Mezzanine
 * decodes the instruction itself (no decode assists under TCG) and emulates it: reads of
 * unmapped GPA give all-ones, writes there and to ROM are dropped, each counted.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86_64/decode/guest_walk.h"
#include "arch/x86_64/decode/insn_decode.h"
#include "arch/x86_64/decode/insn_mmio.h"
#include "kernel/lib/log.h"
#include "kernel/vtl0/partition_priv.h"
#include "mm/vtl2_space.h"

#define MMIO_LOG_LIMIT 32

static int access_gpa(struct partition *p, uint64_t gpa, void *buf, size_t n, bool write)
{
    uint8_t *bytes = buf;
    while (n > 0) {
        struct gpa_extent e;
        size_t chunk = PAGE_4K - (gpa & (PAGE_4K - 1));
        if (chunk > n)
            chunk = n;
        if (!gpa_map_lookup(&p->gpa, gpa, &e) || e.kind == GPA_KIND_PASSTHROUGH)
            return -EFAULT;
        if (write && !e.writable)
            return -EPERM;
        uint8_t *host = phys_to_virt(e.backing + (gpa & (PAGE_4K - 1)));
        if (write)
            memcpy(host, bytes, chunk);
        else
            memcpy(bytes, host, chunk);
        gpa += chunk;
        bytes += chunk;
        n -= chunk;
    }
    return 0;
}

int vtl0_read_gpa(struct partition *p, uint64_t gpa, void *buf, size_t n)
{
    return access_gpa(p, gpa, buf, n, false);
}

int vtl0_write_gpa(struct partition *p, uint64_t gpa, const void *buf, size_t n)
{
    return access_gpa(p, gpa, (void *)buf, n, true);
}

int vtl0_walk_read(void *ctx, uint64_t gpa, void *buf, size_t n)
{
    return vtl0_read_gpa(ctx, gpa, buf, n);
}

int vtl0_decode_insn(struct partition *p, struct guest_cpu_state *cpu, struct insn_bytes *bytes,
                     struct insn *insn)
{
    partition_cpu_state(p, cpu);
    bytes->len = 0;   /* stays 0 when the fetch fails: vtl0_insn_error() tells them apart */
    memset(bytes->bytes, 0, sizeof(bytes->bytes));
    int err = guest_fetch_insn(cpu, vtl0_walk_read, p, bytes->bytes, &bytes->len);
    if (err) {
        bytes->len = 0;
        return err;
    }
    return insn_decode(bytes->bytes, bytes->len, cpu_mode_of(cpu), insn);
}

void vtl0_insn_error(struct partition *p, const struct guest_cpu_state *cpu,
                     const struct insn_bytes *bytes, int err, char *buf, size_t size)
{
    if (bytes->len != 0)
        snprintf(buf, size, "cannot decode the instruction %02x %02x %02x %02x (error %d)",
                 bytes->bytes[0], bytes->bytes[1], bytes->bytes[2], bytes->bytes[3], err);
    else
        guest_fetch_explain(cpu, err, vtl0_walk_read, p, buf, size);
}

void vtl0_set_next_rip(struct partition *p, enum cpu_mode mode, unsigned length)
{
    uint64_t next = p->vmcb->save.rip + length;
    if (mode == CPU_MODE_REAL16 || mode == CPU_MODE_PROT16)
        next &= 0xFFFF;
    else if (mode == CPU_MODE_PROT32)
        next &= 0xFFFFFFFFull;
    p->vmcb->save.rip = next;
}

int vtl0_advance_rip(struct partition *p)
{
    struct guest_cpu_state cpu;
    struct insn_bytes bytes;
    struct insn insn;
    int err = vtl0_decode_insn(p, &cpu, &bytes, &insn);
    if (err) {
        char why[200];
        vtl0_insn_error(p, &cpu, &bytes, err, why, sizeof(why));
        vtl0_report_error(p, why);
        return err;
    }
    vtl0_set_next_rip(p, cpu_mode_of(&cpu), insn.length);
    return 0;
}

/* ---- MMIO -------------------------------------------------------------------------- */

int vtl0_mmio_add(struct partition *p, const struct vtl0_mmio_device *dev)
{
    for (int i = 0; i < VTL0_MAX_MMIO_DEVICES; i++) {
        if (p->mmio_devices[i].read == NULL) {
            p->mmio_devices[i] = *dev;
            return i;
        }
    }
    return -ENOSPC;
}

void vtl0_mmio_move(struct partition *p, int id, bool active, uint64_t gpa)
{
    if (id < 0 || id >= VTL0_MAX_MMIO_DEVICES || p->mmio_devices[id].read == NULL)
        return;
    p->mmio_devices[id].active = active;
    p->mmio_devices[id].gpa = gpa;
}

/* The device that decodes [gpa, gpa + size), if any (first match wins). */
static struct vtl0_mmio_device *mmio_device_at(struct partition *p, uint64_t gpa, unsigned size)
{
    for (int i = 0; i < VTL0_MAX_MMIO_DEVICES; i++) {
        struct vtl0_mmio_device *d = &p->mmio_devices[i];
        if (d->active && d->read != NULL && gpa >= d->gpa && gpa - d->gpa + size <= d->size)
            return d;
    }
    return NULL;
}

/* What the MMIO callbacks work in: the partition and VTL0's paging at the exit. */
struct npf_ctx {
    struct partition *p;
    struct guest_paging paging;
    unsigned user;                   /* GW_USER at CPL 3 */
};

static int mmio_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
    struct partition *p = ((struct npf_ctx *)ctx)->p;
    struct vtl0_mmio_device *d = mmio_device_at(p, gpa, size);
    if (d != NULL) {
        *val = d->read(d->ctx, gpa - d->gpa, size);
        return 0;
    }
    uint64_t v = 0;
    if (vtl0_read_gpa(p, gpa, &v, size) == 0) {
        *val = v;   /* RAM or ROM: a read-modify-write of ROM reads the ROM; MOVS from RAM */
        return 0;
    }
    p->stats.unmapped_reads++;
    *val = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
    return 0;
}

static int mmio_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
    struct partition *p = ((struct npf_ctx *)ctx)->p;
    struct vtl0_mmio_device *d = mmio_device_at(p, gpa, size);
    if (d != NULL) {
        d->write(d->ctx, gpa - d->gpa, size, val);
        return 0;
    }
    int err = vtl0_write_gpa(p, gpa, &val, size);   /* RAM: MOVS from MMIO into RAM */
    if (err == 0)
        return 0;
    if (err == -EPERM)
        p->stats.rom_writes_dropped++;
    else
        p->stats.unmapped_writes++;
    return 0;
}

static int string_translate(void *ctx, uint64_t linear, bool write, uint64_t *gpa, uint32_t *pf_error)
{
    struct npf_ctx *n = ctx;
    return guest_translate(&n->paging, linear, (write ? GW_WRITE : GW_READ) | n->user,
                           vtl0_walk_read, n->p, gpa, pf_error);
}

/* Segment bases for MOVS/CMPS: the source is DS or the override, the destination is
 * always ES; in 64-bit mode only FS and GS have a base (APM vol. 3, "MOVS"). */
static uint64_t string_source_base(const struct vmcb_save *s, unsigned seg, bool long64)
{
    switch (seg) {
    case INSN_SEG_FS: return s->fs.base;
    case INSN_SEG_GS: return s->gs.base;
    default: break;
    }
    if (long64)
        return 0;
    switch (seg) {
    case INSN_SEG_ES: return s->es.base;
    case INSN_SEG_CS: return s->cs.base;
    case INSN_SEG_SS: return s->ss.base;
    default: return s->ds.base;
    }
}

#define STRING_ELEMENTS_PER_EXIT 4096u

enum exit_action vtl0_handle_npf(struct partition *p)
{
    const struct vmcb_control *c = &p->vmcb->control;
    uint64_t gpa = c->exit_info2;
    uint64_t info = c->exit_info1;
    struct guest_cpu_state cpu;
    struct insn_bytes bytes;
    struct insn insn;
    struct mmio_access access;

    if (info & NPF_GUEST_PT_WALK) {
        vtl0_report_error(p, "VTL0's page tables lie outside its RAM");
        return EXIT_STOP;
    }
    if (info & NPF_FETCH) {
        vtl0_report_error(p, "VTL0 executes from a GPA that is not RAM or ROM");
        return EXIT_STOP;
    }
    int err = vtl0_decode_insn(p, &cpu, &bytes, &insn);
    if (!err)
        err = insn_mmio_info(&insn, &access);
    if (err && bytes.len != 0 && (info & NPF_WRITE) && vtl0_rom_descriptor_load(p, &cpu, &insn, gpa))
        return EXIT_RESUME;
    if (err) {
        char why[200];
        p->stats.mmio_unsupported++;
        vtl0_insn_error(p, &cpu, &bytes, err, why, sizeof(why));
        log_error("vtl0", "MMIO at 0x%llx: %s", (unsigned long long)gpa, why);
        vtl0_report_error(p, "unsupported MMIO instruction");
        return EXIT_STOP;
    }
    struct npf_ctx nctx = { .p = p, .user = cpu.cpl == 3 ? GW_USER : 0 };
    guest_paging_from_cpu(&cpu, &nctx.paging);
    bool long64 = cpu_mode_of(&cpu) == CPU_MODE_LONG64;
    struct mmio_string_env strings = {
        .src_base = string_source_base(&p->vmcb->save, insn.seg, long64),
        .dst_base = long64 ? 0 : p->vmcb->save.es.base,
        .linear_mask = long64 ? ~0ull : 0xFFFFFFFFull,
        .max_elements = STRING_ELEMENTS_PER_EXIT,
        .translate = string_translate,
    };
    const struct mmio_ops ops = { mmio_read, mmio_write, &nctx, &strings };
    uint64_t rflags = p->vmcb->save.rflags;
    int done = mmio_emulate(&insn, &access, &p->gprs, &rflags, gpa, &ops);
    if (done < 0) {
        p->stats.mmio_unsupported++;
        vtl0_report_error(p, done == -ENOTSUP ? "MMIO access straddles a page"
                                              : "MMIO emulation failed");
        return EXIT_STOP;
    }
    p->vmcb->save.rflags = rflags;
    if (p->stats.unmapped_reads + p->stats.unmapped_writes + p->stats.rom_writes_dropped <= MMIO_LOG_LIMIT)
        log_debug("vtl0", "MMIO %s at 0x%llx, rip 0x%llx", (info & NPF_WRITE) ? "write" : "read",
                  (unsigned long long)gpa, (unsigned long long)p->vmcb->save.rip);
    if (access.kind == MMIO_MOVS || access.kind == MMIO_CMPS || access.kind == MMIO_SCAS)
        p->stats.mmio_strings++;
    if (done == MMIO_EMUL_FAULT) {
        /* An element faulted: the exception at the instruction, the elements before it done. */
        if (strings.fault_vector == 14)
            p->vmcb->save.cr2 = strings.fault_linear;
        vtl0_inject_exception(p, strings.fault_vector, true, strings.fault_error);
        return EXIT_RESUME;
    }
    if (done == MMIO_EMUL_DONE)
        vtl0_set_next_rip(p, cpu_mode_of(&cpu), insn.length);
    return EXIT_RESUME;
}
