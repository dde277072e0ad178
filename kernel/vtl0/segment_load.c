/*
 * Segment loads from a read-only descriptor table (SPEC section 5, "Hardware would not
 * stop"): the CPU's accessed-bit write goes nowhere on ROM and the load completes.
 * See docs/partition.md, "MMIO".
 */
#include "arch/x86_64/decode/guest_walk.h"
#include "arch/x86_64/decode/insn_decode.h"
#include "kernel/lib/log.h"
#include "kernel/vtl0/partition_priv.h"

/*
 * The CPU's own write of a descriptor's accessed bit (APM vol. 2, "Descriptor Tables":
 * the processor sets A when it loads a descriptor whose A is clear) to a read-only page:
 * on a PC with the GDT in ROM the write goes nowhere and the load completes. Under
 * nested paging it is a write #NPF on the instruction that loads the segment, which
 * only exits after the CPU's own checks passed. Emulated for the forms seen in boot
 * code: MOV Sreg, r16 (8E /r, register form) and JMP ptr16:16/32 (EA). Returns true if
 * the fault was this and has been handled (RIP advanced).
 */
bool vtl0_rom_descriptor_load(struct partition *p, const struct guest_cpu_state *cpu,
                                const struct insn *insn, uint64_t gpa)
{
    struct vmcb_save *s = &p->vmcb->save;
    struct vmcb_segment *target;
    uint16_t selector;
    uint64_t new_rip = 0;
    bool far_jump = false;

    if (!(cpu->cr0 & CR0_PE) || (cpu->rflags & RFLAGS_VM) || insn->map != INSN_MAP_ONE)
        return false;
    if (insn->opcode == 0x8E && MODRM_MOD(insn->modrm) == 3) {
        static const unsigned sreg_ok = (1u << 0) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5);
        unsigned sreg = MODRM_REG(insn->modrm);
        if (!(sreg_ok & (1u << sreg)))
            return false;
        struct vmcb_segment *segs[6] = { &s->es, NULL, &s->ss, &s->ds, &s->fs, &s->gs };
        target = segs[sreg];
        selector = (uint16_t)p->gprs.gpr[insn_modrm_rm(insn)];
    } else if (insn->opcode == 0xEA && cpu_mode_of(cpu) != CPU_MODE_LONG64) {
        target = &s->cs;
        selector = (uint16_t)insn->imm2;
        new_rip = insn->imm & (insn->opsize == 2 ? 0xFFFFull : 0xFFFFFFFFull);
        far_jump = true;
    } else {
        return false;
    }
    if ((selector & ~7u) == 0)
        return false;   /* a null selector reads no descriptor */
    uint64_t table = (selector & 4) ? s->ldtr.base : s->gdtr.base;
    uint64_t linear = (table + (selector & ~7u)) & 0xFFFFFFFFull;
    if (cpu_mode_of(cpu) == CPU_MODE_LONG64 || (cpu->efer & EFER_LMA))
        linear = table + (selector & ~7u);
    struct guest_paging pg;
    uint64_t desc_gpa;
    uint32_t pf_error;
    guest_paging_from_cpu(cpu, &pg);
    if (guest_translate(&pg, linear, GW_READ, vtl0_walk_read, p, &desc_gpa, &pf_error) != 0)
        return false;
    if ((gpa & ~7ull) != (desc_gpa & ~7ull) && (gpa & ~3ull) != desc_gpa + 4)
        return false;   /* the write was not to this descriptor */
    uint64_t d = 0;
    if (vtl0_read_gpa(p, desc_gpa, &d, 8) != 0)
        return false;
    uint32_t limit = (uint32_t)((d & 0xFFFF) | ((d >> 32) & 0xF0000));
    if (d & (1ull << 55))
        limit = (limit << 12) | 0xFFF;
    target->selector = selector;
    target->base = ((d >> 16) & 0xFFFFFF) | (((d >> 56) & 0xFF) << 24);
    target->limit = limit;
    /* The loaded attributes carry A = 1, as after the CPU's own update. */
    target->attrib = (uint16_t)((((d >> 40) & 0xFF) | (((d >> 52) & 0xF) << 8)) | 1u);
    p->stats.rom_writes_dropped++;
    p->stats.rom_descriptor_loads++;
    if (far_jump) {
        s->rip = new_rip;
    } else {
        if (target == &s->ss)
            p->vmcb->control.interrupt_shadow |= INTERRUPT_SHADOW_ACTIVE;   /* MOV SS */
        vtl0_set_next_rip(p, cpu_mode_of(cpu), insn->length);
    }
    log_debug("vtl0", "segment load from a read-only descriptor at GPA 0x%llx: accessed-bit "
              "write dropped", (unsigned long long)desc_gpa);
    return true;
}
