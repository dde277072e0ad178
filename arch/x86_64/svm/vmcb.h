/*
 * The VMCB, declared once (AMD APM vol. 2, Appendix B "Layout of VMCB": Table B-1
 * "VMCB Layout, Control Area" and Table B-2 "VMCB Layout, State Save Area" for guests
 * without SEV-ES). Reserved fields are named by their offset; every offset the code
 * uses is asserted. Register bits are masks.
 */
#ifndef MEZZ_ARCH_VMCB_H
#define MEZZ_ARCH_VMCB_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"

struct vmcb_segment {
    uint16_t selector;
    uint16_t attrib;        /* packed: descriptor bits 47:40 → 7:0, bits 55:52 → 11:8 */
    uint32_t limit;
    uint64_t base;
} PACKED;
STATIC_ASSERT_SIZE(struct vmcb_segment, 16);

struct vmcb_control {
    uint32_t intercept_cr;          /* +0x000 bits 15:0 reads, 31:16 writes */
    uint32_t intercept_dr;          /* +0x004 */
    uint32_t intercept_exceptions;  /* +0x008 one bit per vector */
    uint32_t intercept_misc1;       /* +0x00c INTERCEPT1_* */
    uint32_t intercept_misc2;       /* +0x010 INTERCEPT2_* */
    uint32_t intercept_misc3;       /* +0x014 */
    uint8_t reserved_0x018[0x03c - 0x018];
    uint16_t pause_filter_threshold;/* +0x03c */
    uint16_t pause_filter_count;    /* +0x03e */
    uint64_t iopm_base_pa;          /* +0x040 */
    uint64_t msrpm_base_pa;         /* +0x048 */
    uint64_t tsc_offset;            /* +0x050 */
    uint32_t guest_asid;            /* +0x058 */
    uint8_t tlb_control;            /* +0x05c */
    uint8_t reserved_0x05d[3];
    uint64_t vintr;                 /* +0x060 V_TPR, V_IRQ, V_INTR_MASKING, V_INTR_VECTOR */
    uint64_t interrupt_shadow;      /* +0x068 */
    uint64_t exit_code;             /* +0x070 */
    uint64_t exit_info1;            /* +0x078 */
    uint64_t exit_info2;            /* +0x080 */
    uint64_t exit_int_info;         /* +0x088 */
    uint64_t np_control;            /* +0x090 bit 0: nested paging */
    uint64_t avic_apic_bar;         /* +0x098 */
    uint64_t ghcb_pa;               /* +0x0a0 */
    uint64_t event_inject;          /* +0x0a8 */
    uint64_t n_cr3;                 /* +0x0b0 */
    uint64_t lbr_virt;              /* +0x0b8 */
    uint32_t clean_bits;            /* +0x0c0 */
    uint32_t reserved_0x0c4;
    uint64_t next_rip;              /* +0x0c8 (NRIPS only; TCG leaves it 0) */
    uint8_t insn_bytes_fetched;     /* +0x0d0 (decode assists only) */
    uint8_t insn_bytes[15];         /* +0x0d1 */
    uint8_t reserved_0x0e0[0x400 - 0x0e0];
} PACKED;
STATIC_ASSERT_SIZE(struct vmcb_control, 0x400);
STATIC_ASSERT_OFFSET(struct vmcb_control, intercept_misc1, 0x00c);
STATIC_ASSERT_OFFSET(struct vmcb_control, iopm_base_pa, 0x040);
STATIC_ASSERT_OFFSET(struct vmcb_control, guest_asid, 0x058);
STATIC_ASSERT_OFFSET(struct vmcb_control, tlb_control, 0x05c);
STATIC_ASSERT_OFFSET(struct vmcb_control, vintr, 0x060);
STATIC_ASSERT_OFFSET(struct vmcb_control, exit_code, 0x070);
STATIC_ASSERT_OFFSET(struct vmcb_control, exit_int_info, 0x088);
STATIC_ASSERT_OFFSET(struct vmcb_control, np_control, 0x090);
STATIC_ASSERT_OFFSET(struct vmcb_control, event_inject, 0x0a8);
STATIC_ASSERT_OFFSET(struct vmcb_control, n_cr3, 0x0b0);
STATIC_ASSERT_OFFSET(struct vmcb_control, next_rip, 0x0c8);

struct vmcb_save {
    struct vmcb_segment es, cs, ss, ds, fs, gs;   /* +0x000 .. +0x05f */
    struct vmcb_segment gdtr, ldtr, idtr, tr;     /* +0x060 .. +0x09f */
    uint8_t reserved_0x0a0[0x0cb - 0x0a0];
    uint8_t cpl;                    /* +0x0cb */
    uint32_t reserved_0x0cc;
    uint64_t efer;                  /* +0x0d0 */
    uint8_t reserved_0x0d8[0x148 - 0x0d8];
    uint64_t cr4;                   /* +0x148 */
    uint64_t cr3;                   /* +0x150 */
    uint64_t cr0;                   /* +0x158 */
    uint64_t dr7;                   /* +0x160 */
    uint64_t dr6;                   /* +0x168 */
    uint64_t rflags;                /* +0x170 */
    uint64_t rip;                   /* +0x178 */
    uint8_t reserved_0x180[0x1d8 - 0x180];
    uint64_t rsp;                   /* +0x1d8 */
    uint64_t s_cet;                 /* +0x1e0 */
    uint64_t ssp;                   /* +0x1e8 */
    uint64_t isst_addr;             /* +0x1f0 */
    uint64_t rax;                   /* +0x1f8 */
    uint64_t star;                  /* +0x200 */
    uint64_t lstar;                 /* +0x208 */
    uint64_t cstar;                 /* +0x210 */
    uint64_t sfmask;                /* +0x218 */
    uint64_t kernel_gs_base;        /* +0x220 */
    uint64_t sysenter_cs;           /* +0x228 */
    uint64_t sysenter_esp;          /* +0x230 */
    uint64_t sysenter_eip;          /* +0x238 */
    uint64_t cr2;                   /* +0x240 */
    uint8_t reserved_0x248[0x268 - 0x248];
    uint64_t g_pat;                 /* +0x268 */
    uint64_t dbgctl;                /* +0x270 */
    uint64_t br_from;               /* +0x278 */
    uint64_t br_to;                 /* +0x280 */
    uint64_t last_excp_from;        /* +0x288 */
    uint64_t last_excp_to;          /* +0x290 */
    uint8_t reserved_0x298[0xc00 - 0x298];
} PACKED;
STATIC_ASSERT_SIZE(struct vmcb_save, 0xc00);
STATIC_ASSERT_OFFSET(struct vmcb_save, cs, 0x010);
STATIC_ASSERT_OFFSET(struct vmcb_save, tr, 0x090);
STATIC_ASSERT_OFFSET(struct vmcb_save, cpl, 0x0cb);
STATIC_ASSERT_OFFSET(struct vmcb_save, efer, 0x0d0);
STATIC_ASSERT_OFFSET(struct vmcb_save, cr4, 0x148);
STATIC_ASSERT_OFFSET(struct vmcb_save, cr0, 0x158);
STATIC_ASSERT_OFFSET(struct vmcb_save, rflags, 0x170);
STATIC_ASSERT_OFFSET(struct vmcb_save, rip, 0x178);
STATIC_ASSERT_OFFSET(struct vmcb_save, rsp, 0x1d8);
STATIC_ASSERT_OFFSET(struct vmcb_save, rax, 0x1f8);
STATIC_ASSERT_OFFSET(struct vmcb_save, cr2, 0x240);
STATIC_ASSERT_OFFSET(struct vmcb_save, g_pat, 0x268);

struct vmcb {
    struct vmcb_control control;    /* +0x000 */
    struct vmcb_save save;          /* +0x400 */
} PACKED;
STATIC_ASSERT_SIZE(struct vmcb, 0x1000);
STATIC_ASSERT_OFFSET(struct vmcb, save, 0x400);

/* intercept_misc1 (vector 3 in the APM's numbering). */
#define INTERCEPT1_INTR        (1u << 0)
#define INTERCEPT1_NMI         (1u << 1)
#define INTERCEPT1_SMI         (1u << 2)
#define INTERCEPT1_INIT        (1u << 3)
#define INTERCEPT1_VINTR       (1u << 4)
#define INTERCEPT1_RDPMC       (1u << 15)
#define INTERCEPT1_CPUID       (1u << 18)
#define INTERCEPT1_RSM         (1u << 19)
#define INTERCEPT1_INVD        (1u << 22)
#define INTERCEPT1_HLT         (1u << 24)
#define INTERCEPT1_INVLPGA     (1u << 26)
#define INTERCEPT1_IOIO_PROT   (1u << 27)
#define INTERCEPT1_MSR_PROT    (1u << 28)
#define INTERCEPT1_TASK_SWITCH (1u << 29)
#define INTERCEPT1_SHUTDOWN    (1u << 31)

/* intercept_misc2 (vector 4). VMRUN must be intercepted or VMRUN fails. */
#define INTERCEPT2_VMRUN       (1u << 0)
#define INTERCEPT2_VMMCALL     (1u << 1)
#define INTERCEPT2_VMLOAD      (1u << 2)
#define INTERCEPT2_VMSAVE      (1u << 3)
#define INTERCEPT2_STGI        (1u << 4)
#define INTERCEPT2_CLGI        (1u << 5)
#define INTERCEPT2_SKINIT      (1u << 6)
#define INTERCEPT2_XSETBV      (1u << 13)

/* vintr */
#define VINTR_TPR_MASK         0xFFull
#define VINTR_IRQ              (1ull << 8)
#define VINTR_PRIO_SHIFT       16
#define VINTR_IGN_TPR          (1ull << 20)
#define VINTR_MASKING          (1ull << 24)   /* guest IF masks only virtual interrupts */
#define VINTR_VECTOR_SHIFT     32

#define INTERRUPT_SHADOW_ACTIVE (1ull << 0)

#define TLB_CONTROL_NONE       0
#define TLB_CONTROL_FLUSH_ALL  1            /* the only value QEMU TCG acts on */

#define NP_ENABLE              (1ull << 0)

/* EVENTINJ and EXITINTINFO ("Event Injection"). */
#define EVENT_VECTOR_MASK      0xFFull
#define EVENT_TYPE_SHIFT       8
#define EVENT_TYPE_MASK        (7ull << EVENT_TYPE_SHIFT)
#define EVENT_TYPE_INTR        (0ull << EVENT_TYPE_SHIFT)
#define EVENT_TYPE_NMI         (2ull << EVENT_TYPE_SHIFT)
#define EVENT_TYPE_EXCEPTION   (3ull << EVENT_TYPE_SHIFT)
#define EVENT_TYPE_SOFT_INT    (4ull << EVENT_TYPE_SHIFT)
#define EVENT_ERROR_VALID      (1ull << 11)
#define EVENT_VALID            (1ull << 31)
#define EVENT_ERROR_SHIFT      32

/* Exit codes ("SVM Intercept Exit Codes", Appendix C). */
#define VMEXIT_EXCEPTION_BASE  0x040ull
#define VMEXIT_INTR            0x060ull
#define VMEXIT_NMI             0x061ull
#define VMEXIT_SMI             0x062ull
#define VMEXIT_INIT            0x063ull
#define VMEXIT_VINTR           0x064ull
#define VMEXIT_RDPMC           0x06full
#define VMEXIT_CPUID           0x072ull
#define VMEXIT_RSM             0x073ull
#define VMEXIT_INVD            0x076ull
#define VMEXIT_HLT             0x078ull
#define VMEXIT_INVLPGA         0x07aull
#define VMEXIT_IOIO            0x07bull
#define VMEXIT_MSR             0x07cull
#define VMEXIT_TASK_SWITCH     0x07dull
#define VMEXIT_SHUTDOWN        0x07full
#define VMEXIT_VMRUN           0x080ull
#define VMEXIT_VMMCALL         0x081ull
#define VMEXIT_VMLOAD          0x082ull
#define VMEXIT_VMSAVE          0x083ull
#define VMEXIT_STGI            0x084ull
#define VMEXIT_CLGI            0x085ull
#define VMEXIT_SKINIT          0x086ull
#define VMEXIT_XSETBV          0x08dull
#define VMEXIT_NPF             0x400ull
#define VMEXIT_INVALID         0xFFFFFFFFFFFFFFFFull

/* IOIO EXITINFO1 ("IOIO Intercept"). */
#define IOIO_TYPE_IN           (1ull << 0)
#define IOIO_STR               (1ull << 2)
#define IOIO_REP               (1ull << 3)
#define IOIO_SZ8               (1ull << 4)
#define IOIO_SZ16              (1ull << 5)
#define IOIO_SZ32              (1ull << 6)
#define IOIO_A16               (1ull << 7)
#define IOIO_A32               (1ull << 8)
#define IOIO_A64               (1ull << 9)
#define IOIO_SEG_SHIFT         10
#define IOIO_SEG_MASK          (7ull << IOIO_SEG_SHIFT)
#define IOIO_PORT_SHIFT        16
#define IOIO_PORT_MASK         (0xFFFFull << IOIO_PORT_SHIFT)

/* NPF EXITINFO1 (the #PF error code bits, plus where the fault happened). */
#define NPF_P                  (1ull << 0)
#define NPF_WRITE              (1ull << 1)
#define NPF_USER               (1ull << 2)
#define NPF_RSVD               (1ull << 3)
#define NPF_FETCH              (1ull << 4)
#define NPF_FINAL_GPA          (1ull << 32)
#define NPF_GUEST_PT_WALK      (1ull << 33)

/* MSR EXITINFO1. */
#define MSR_EXIT_WRITE         1ull

/* Permission maps ("I/O Permissions Map", "MSR Permissions Map"). */
#define IOPM_SIZE              0x3000      /* 12 KiB: one bit per port, plus the spill-over */
#define MSRPM_SIZE             0x2000      /* 8 KiB: two bits (read, write) per MSR */

/* MSRs that control SVM itself. */
#define MSR_VM_CR              0xC0010114u
#define MSR_VM_HSAVE_PA        0xC0010117u
#define VM_CR_SVMDIS           (1ull << 4)

static inline unsigned ioio_port(uint64_t info1) { return (unsigned)((info1 & IOIO_PORT_MASK) >> IOIO_PORT_SHIFT); }
static inline unsigned ioio_size(uint64_t info1)
{
    return (info1 & IOIO_SZ32) ? 4 : (info1 & IOIO_SZ16) ? 2 : 1;
}

#endif
