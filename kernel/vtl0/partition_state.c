/*
 * Unit "partition": VTL0's virtual processor as saved state (schema
 * kernel/servicing/proto/partition.proto, docs/saved-state.md).
 *
 * Saved at an instruction boundary: between two VMRUNs every exit has been handled, so
 * RIP is the next instruction and an interrupted REP string instruction has its counts
 * updated, as after an interrupt. What a VMRUN of the restored state must not trip over
 * (APM vol. 2, "VMRUN", the canonicalization and consistency checks) is refused before
 * anything is applied, so a hostile or garbled blob can at worst be refused.
 */
#include <errno.h>
#include <string.h>

#include "arch/x86_64/cpu/cpu_bits.h"
#include "kernel/lib/pb_codec.h"
#include "kernel/lib/pb_write.h"
#include "kernel/vtl0/partition_priv.h"
#include "kernel/vtl0/partition_state.h"

typedef mezzanine_vtl0_partition_SavedState partition_msg;
typedef mezzanine_vtl0_partition_Segment segment_msg;

_Static_assert(sizeof(((partition_msg *)0)->gprs) / sizeof(uint64_t) == GPR_COUNT,
               "the schema holds every general register");
_Static_assert(sizeof(((partition_msg *)0)->irq_queue.bytes) == VTL0_IRQ_QUEUE,
               "the schema holds a full interrupt queue");
_Static_assert(sizeof(((partition_msg *)0)->mtrrs) / sizeof(uint64_t) == VTL0_MTRR_SHADOW_COUNT,
               "the schema holds the whole MTRR shadow");

#define SEGMENT_ATTRIB_MASK   0x0FFFu
#define CR0_RESERVED_HIGH     0xFFFFFFFF00000000ull
#define DR_RESERVED_HIGH      0xFFFFFFFF00000000ull
/* EFER bits a VMRUN accepts (APM vol. 2, "Extended Feature Enable Register"): SCE, LME,
 * LMA, NXE, SVME, LMSLE, FFXSR, TCE. */
#define EFER_VALID_BITS       (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME | \
                               (1ull << 13) | (1ull << 14) | (1ull << 15))
#define SEGMENT_ATTRIB_L      (1u << 9)    /* CS.L in the packed form (descriptor bit 53) */
#define SEGMENT_ATTRIB_DB     (1u << 10)   /* CS.D/B (descriptor bit 54) */
#define EVENT_TYPE_RESERVED_1 (1ull << EVENT_TYPE_SHIFT)   /* type 1 is reserved */
#define EVENT_RESERVED_BITS   0x000000007FFFF000ull   /* bits 30:12 of EVENTINJ */

static void put_segment(segment_msg *m, bool *has, const struct vmcb_segment *seg)
{
    *has = true;
    m->selector = seg->selector;
    m->attrib = seg->attrib;
    m->limit = seg->limit;
    m->base = seg->base;
}

static bool get_segment(struct vmcb_segment *seg, bool has, const segment_msg *m)
{
    if (!has) {
        memset(seg, 0, sizeof(*seg));
        return true;
    }
    if (m->selector > 0xFFFF || (m->attrib & ~SEGMENT_ATTRIB_MASK))
        return false;
    seg->selector = (uint16_t)m->selector;
    seg->attrib = (uint16_t)m->attrib;
    seg->limit = m->limit;
    seg->base = m->base;
    return true;
}

/*
 * The message written out (kernel/lib/pb_write.h) instead of by nanopb: this unit is
 * saved first with VTL0 stopped, and nanopb's walk of 38 fields and ten submessages (each
 * sized in a pass of its own) made it 0.08 ms of every servicing blackout under TCG; now
 * 0.06 ms, most of it the save path's first run. The bytes are nanopb's
 * (test_partition_state.c compares them for many states).
 */
#define K(field, wire) PB_KEY(mezzanine_vtl0_partition_SavedState_##field##_tag, PB_WIRE_##wire)
#define KSEG(field)    PB_KEY(mezzanine_vtl0_partition_Segment_##field##_tag, PB_WIRE_VARINT)

static size_t segment_len(const segment_msg *s)
{
    return pb_scalar_len(KSEG(selector), s->selector) + pb_scalar_len(KSEG(attrib), s->attrib) +
           pb_scalar_len(KSEG(limit), s->limit) + pb_scalar_len(KSEG(base), s->base);
}

static uint8_t *put_segment_field(uint8_t *p, uint32_t key, bool has, const segment_msg *s)
{
    if (!has)
        return p;
    p = pb_put_nested(p, key, segment_len(s));
    p = pb_put_scalar(p, KSEG(selector), s->selector);
    p = pb_put_scalar(p, KSEG(attrib), s->attrib);
    p = pb_put_scalar(p, KSEG(limit), s->limit);
    return pb_put_scalar(p, KSEG(base), s->base);
}

int partition_state_encode(const partition_msg *m, uint8_t *buf, size_t cap, size_t *len)
{
    if (m->gprs_count > GPR_COUNT || m->irq_queue.size > VTL0_IRQ_QUEUE ||
        m->mtrrs_count > VTL0_MTRR_SHADOW_COUNT)
        return -EINVAL;
    /* Written whole into a buffer of the largest encoding, then copied: the message is
     * small, and one pass needs no sizing of its own. */
    uint8_t out[mezzanine_vtl0_partition_SavedState_size];
    uint8_t *p = out;
    p = put_segment_field(p, K(es, LEN), m->has_es, &m->es);
    p = put_segment_field(p, K(cs, LEN), m->has_cs, &m->cs);
    p = put_segment_field(p, K(ss, LEN), m->has_ss, &m->ss);
    p = put_segment_field(p, K(ds, LEN), m->has_ds, &m->ds);
    p = put_segment_field(p, K(fs, LEN), m->has_fs, &m->fs);
    p = put_segment_field(p, K(gs, LEN), m->has_gs, &m->gs);
    p = put_segment_field(p, K(gdtr, LEN), m->has_gdtr, &m->gdtr);
    p = put_segment_field(p, K(ldtr, LEN), m->has_ldtr, &m->ldtr);
    p = put_segment_field(p, K(idtr, LEN), m->has_idtr, &m->idtr);
    p = put_segment_field(p, K(tr, LEN), m->has_tr, &m->tr);
    p = pb_put_scalar(p, K(cpl, VARINT), m->cpl);
    p = pb_put_scalar(p, K(efer, VARINT), m->efer);
    p = pb_put_scalar(p, K(cr0, VARINT), m->cr0);
    p = pb_put_scalar(p, K(cr2, VARINT), m->cr2);
    p = pb_put_scalar(p, K(cr3, VARINT), m->cr3);
    p = pb_put_scalar(p, K(cr4, VARINT), m->cr4);
    p = pb_put_scalar(p, K(dr6, VARINT), m->dr6);
    p = pb_put_scalar(p, K(dr7, VARINT), m->dr7);
    p = pb_put_scalar(p, K(rflags, VARINT), m->rflags);
    p = pb_put_scalar(p, K(rip, VARINT), m->rip);
    p = pb_put_packed_u64(p, K(gprs, LEN), m->gprs, m->gprs_count);
    p = pb_put_scalar(p, K(star, VARINT), m->star);
    p = pb_put_scalar(p, K(lstar, VARINT), m->lstar);
    p = pb_put_scalar(p, K(cstar, VARINT), m->cstar);
    p = pb_put_scalar(p, K(sfmask, VARINT), m->sfmask);
    p = pb_put_scalar(p, K(kernel_gs_base, VARINT), m->kernel_gs_base);
    p = pb_put_scalar(p, K(sysenter_cs, VARINT), m->sysenter_cs);
    p = pb_put_scalar(p, K(sysenter_esp, VARINT), m->sysenter_esp);
    p = pb_put_scalar(p, K(sysenter_eip, VARINT), m->sysenter_eip);
    p = pb_put_scalar(p, K(g_pat, VARINT), m->g_pat);
    p = pb_put_scalar(p, K(event_inject, VARINT), m->event_inject);
    p = pb_put_scalar(p, K(interrupt_shadow, VARINT), m->interrupt_shadow);
    p = pb_put_bytes(p, K(irq_queue, LEN), m->irq_queue.bytes, m->irq_queue.size);
    p = pb_put_scalar(p, K(nmi_pending, VARINT), m->nmi_pending);
    p = pb_put_scalar(p, K(intr_deferred, VARINT), m->intr_deferred);
    p = pb_put_packed_u64(p, K(mtrrs, LEN), m->mtrrs, m->mtrrs_count);
    p = pb_put_scalar(p, K(run_state, VARINT), (uint64_t)m->run_state);
    p = pb_put_scalar(p, K(tsc_aux, VARINT), m->tsc_aux);
    size_t n = (size_t)(p - out);
    if (n > cap)
        return -ENOSPC;
    memcpy(buf, out, n);
    *len = n;
    return 0;
}

int partition_cpu_save(const void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
    const struct partition *p = ctx;
    const struct vmcb_save *s = &p->vmcb->save;
    const struct vmcb_control *c = &p->vmcb->control;
    partition_msg m = mezzanine_vtl0_partition_SavedState_init_zero;

    put_segment(&m.es, &m.has_es, &s->es);
    put_segment(&m.cs, &m.has_cs, &s->cs);
    put_segment(&m.ss, &m.has_ss, &s->ss);
    put_segment(&m.ds, &m.has_ds, &s->ds);
    put_segment(&m.fs, &m.has_fs, &s->fs);
    put_segment(&m.gs, &m.has_gs, &s->gs);
    put_segment(&m.gdtr, &m.has_gdtr, &s->gdtr);
    put_segment(&m.ldtr, &m.has_ldtr, &s->ldtr);
    put_segment(&m.idtr, &m.has_idtr, &s->idtr);
    put_segment(&m.tr, &m.has_tr, &s->tr);
    m.cpl = s->cpl;
    m.efer = s->efer;
    m.cr0 = s->cr0;
    m.cr2 = s->cr2;
    m.cr3 = s->cr3;
    m.cr4 = s->cr4;
    m.dr6 = s->dr6;
    m.dr7 = s->dr7;
    m.rflags = s->rflags;
    m.rip = s->rip;
    /* Between exits RAX and RSP live in p->gprs (partition_step), like the others. */
    m.gprs_count = GPR_COUNT;
    for (unsigned i = 0; i < GPR_COUNT; i++)
        m.gprs[i] = p->gprs.gpr[i];
    m.star = s->star;
    m.lstar = s->lstar;
    m.cstar = s->cstar;
    m.sfmask = s->sfmask;
    m.kernel_gs_base = s->kernel_gs_base;
    m.sysenter_cs = s->sysenter_cs;
    m.sysenter_esp = s->sysenter_esp;
    m.sysenter_eip = s->sysenter_eip;
    m.g_pat = s->g_pat;
    m.event_inject = c->event_inject;
    m.interrupt_shadow = (c->interrupt_shadow & INTERRUPT_SHADOW_ACTIVE) != 0;
    m.irq_queue.size = (pb_size_t)p->irq_count;
    for (unsigned i = 0; i < p->irq_count; i++)
        m.irq_queue.bytes[i] = p->irq_queue[(p->irq_head + i) % VTL0_IRQ_QUEUE];
    m.nmi_pending = p->nmi_pending;
    m.intr_deferred = p->intr_deferred;
    m.mtrrs_count = VTL0_MTRR_SHADOW_COUNT;
    for (unsigned i = 0; i < VTL0_MTRR_SHADOW_COUNT; i++)
        m.mtrrs[i] = p->mtrr_shadow[i];
    m.tsc_aux = (uint32_t)p->tsc_aux;
    m.run_state = p->state == VTL0_STOPPED ? mezzanine_vtl0_partition_RunState_RUN_STATE_STOPPED
                                           : mezzanine_vtl0_partition_RunState_RUN_STATE_RUNNING;
    return partition_state_encode(&m, buf, cap, len);
}

/* Would VMRUN take this state? The checks VMRUN makes (APM vol. 2, "VMRUN": illegal
 * guest state) plus the ones Mezzanine's own code relies on. */
static bool cpu_state_ok(const partition_msg *m)
{
    if (m->cpl > 3 || m->gprs_count != GPR_COUNT)
        return false;
    if (!(m->efer & EFER_SVME) || (m->efer & ~EFER_VALID_BITS))
        return false;
    if ((m->cr0 & CR0_RESERVED_HIGH) || ((m->cr0 & CR0_NW) && !(m->cr0 & CR0_CD)))
        return false;
    if ((m->cr0 & CR0_PG) && !(m->cr0 & CR0_PE))
        return false;
    if ((m->dr6 & DR_RESERVED_HIGH) || (m->dr7 & DR_RESERVED_HIGH))
        return false;
    if ((m->cr4 & CR4_LA57) || (m->cr3 >> 52) != 0)
        return false;
    bool long_mode = (m->efer & EFER_LME) && (m->cr0 & CR0_PG);
    if (long_mode && !(m->cr4 & CR4_PAE))
        return false;
    if (long_mode && m->has_cs && (m->cs.attrib & SEGMENT_ATTRIB_L) && (m->cs.attrib & SEGMENT_ATTRIB_DB))
        return false;
    if (m->event_inject & EVENT_VALID) {
        uint64_t type = m->event_inject & EVENT_TYPE_MASK;
        if (type == EVENT_TYPE_RESERVED_1 || (m->event_inject & EVENT_RESERVED_BITS))
            return false;
    }
    if (m->mtrrs_count != 0 && m->mtrrs_count != VTL0_MTRR_SHADOW_COUNT)
        return false;
    if (m->run_state != mezzanine_vtl0_partition_RunState_RUN_STATE_RUNNING &&
        m->run_state != mezzanine_vtl0_partition_RunState_RUN_STATE_STOPPED)
        return false;
    return true;
}

int partition_cpu_restore(void *ctx, const uint8_t *buf, size_t len)
{
    struct partition *p = ctx;
    partition_msg m;
    struct vmcb_save s;

    if (pb_codec_decode(mezzanine_vtl0_partition_SavedState_fields, &m, buf, len) != 0)
        return -EINVAL;
    if (!cpu_state_ok(&m))
        return -EINVAL;
    /* Build the whole save area aside: a bad segment leaves the VMCB untouched. */
    memcpy(&s, &p->vmcb->save, sizeof(s));
    if (!get_segment(&s.es, m.has_es, &m.es) || !get_segment(&s.cs, m.has_cs, &m.cs) ||
        !get_segment(&s.ss, m.has_ss, &m.ss) || !get_segment(&s.ds, m.has_ds, &m.ds) ||
        !get_segment(&s.fs, m.has_fs, &m.fs) || !get_segment(&s.gs, m.has_gs, &m.gs) ||
        !get_segment(&s.gdtr, m.has_gdtr, &m.gdtr) || !get_segment(&s.ldtr, m.has_ldtr, &m.ldtr) ||
        !get_segment(&s.idtr, m.has_idtr, &m.idtr) || !get_segment(&s.tr, m.has_tr, &m.tr))
        return -EINVAL;
    s.cpl = (uint8_t)m.cpl;
    s.efer = m.efer;
    s.cr0 = m.cr0;
    s.cr2 = m.cr2;
    s.cr3 = m.cr3;
    s.cr4 = m.cr4;
    s.dr6 = m.dr6;
    s.dr7 = m.dr7;
    s.rflags = m.rflags;
    s.rip = m.rip;
    s.star = m.star;
    s.lstar = m.lstar;
    s.cstar = m.cstar;
    s.sfmask = m.sfmask;
    s.kernel_gs_base = m.kernel_gs_base;
    s.sysenter_cs = m.sysenter_cs;
    s.sysenter_esp = m.sysenter_esp;
    s.sysenter_eip = m.sysenter_eip;
    s.g_pat = m.g_pat;

    /* Everything checked: apply. */
    memcpy(&p->vmcb->save, &s, sizeof(s));
    for (unsigned i = 0; i < GPR_COUNT; i++)
        p->gprs.gpr[i] = m.gprs[i];
    p->vmcb->save.rax = p->gprs.gpr[GPR_RAX];
    p->vmcb->save.rsp = p->gprs.gpr[GPR_RSP];
    struct vmcb_control *c = &p->vmcb->control;
    c->event_inject = m.event_inject;
    c->interrupt_shadow = m.interrupt_shadow ? INTERRUPT_SHADOW_ACTIVE : 0;
    /* The interrupt window is asked for again on the way in if anything waits. */
    c->vintr &= ~VINTR_IRQ;
    c->intercept_misc1 &= ~INTERCEPT1_VINTR;
    c->tlb_control = TLB_CONTROL_FLUSH_ALL;   /* CR3 and paging mode may have changed */
    p->irq_head = 0;
    p->irq_count = m.irq_queue.size;
    for (unsigned i = 0; i < m.irq_queue.size; i++)
        p->irq_queue[i] = m.irq_queue.bytes[i];
    p->nmi_pending = m.nmi_pending;
    p->intr_deferred = m.intr_deferred;
    if (m.mtrrs_count == VTL0_MTRR_SHADOW_COUNT) {
        for (unsigned i = 0; i < VTL0_MTRR_SHADOW_COUNT; i++)
            p->mtrr_shadow[i] = m.mtrrs[i];
    }
    p->tsc_aux = m.tsc_aux;   /* the glue (partition.c) puts it into the CPU */
    p->state = m.run_state == mezzanine_vtl0_partition_RunState_RUN_STATE_STOPPED ? VTL0_STOPPED
                                                                                    : VTL0_RUNNING;
    p->pending_halt = VTL0_HALT_NONE;
    return 0;
}
