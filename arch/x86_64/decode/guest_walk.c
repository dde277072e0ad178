/*
 * VTL0 page-table walker and instruction fetch; see guest_walk.h.
 *
 * Facts from AMD APM vol. 2, chapter 5 "Page Translation and Protection": "Legacy-Mode
 * Page Translation" (32-bit 4 KiB and 4 MiB pages with PSE, PSE-36 address bits 39:32 in
 * PDE bits 20:13; PAE 4 KiB and 2 MiB pages), "Long-Mode Page Translation" (4-level,
 * 2 MiB and 1 GiB pages), "Page-Translation-Table Entry Fields" (reserved/MBZ bits),
 * "Page-Protection Checks" (R/W, U/S, CR0.WP, NX, SMEP, SMAP) and "Page-Fault Error
 * Code"; Intel SDM vol. 3A sections 4.3-4.7 for the same, including when I/D is set.
 */
#include "arch/x86_64/decode/guest_walk.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "arch/x86_64/cpu/cpu_bits.h"
#include "arch/x86_64/decode/insn_decode.h"
#include "arch/x86_64/paging.h"

#define PDE32_PS_RSVD     (1ull << 21)            /* 4 MiB PDE bit 21 */
#define PAE_PDPTE_RSVD    0x1E6ull                /* PDPTE bits 8:5 and 2:1 */
#define LARGE_2M_RSVD     0x1FE000ull             /* 2 MiB entry bits 20:13 */
#define LARGE_1G_RSVD     0x3FFFE000ull           /* 1 GiB entry bits 29:13 */

struct walk {
    const struct guest_paging *pg;
    unsigned access;
    read_gpa_fn read_gpa;
    void *ctx;
    bool nx_on;           /* EFER.NXE in PAE / long mode */
    uint64_t rsvd_high;   /* entry bits maxphyaddr..51 */
    /* accumulated over the walk */
    bool writable, user, nx;
    int level;            /* the level being read: the one that faulted, on -EFAULT */
    bool pae_pdpte;       /* the level being read is a PAE PDPTE */
};

/* The #PF error code for a fault with the given extra bits (P, RSVD). */
static uint32_t pf_code(const struct walk *w, uint32_t bits)
{
    uint32_t code = bits | (w->access & (PF_ERR_W | PF_ERR_U));
    if ((w->access & GW_FETCH) && (w->nx_on || (w->pg->cr4 & CR4_SMEP)))
        code |= PF_ERR_ID;
    return code;
}

static int read_entry(const struct walk *w, uint64_t addr, unsigned size, uint64_t *e)
{
    uint64_t v = 0;
    uint8_t b[8];
    int err = w->read_gpa(w->ctx, addr, b, size);
    if (err)
        return err;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)b[i] << (8 * i);
    *e = v;
    return 0;
}

/* Checks an entry's presence and reserved bits (`rsvd`): 0 or -EFAULT with *pf_error. */
static int check_entry(const struct walk *w, uint64_t e, uint64_t rsvd, uint32_t *pf_error)
{
    if (!(e & PTE_P)) {
        *pf_error = pf_code(w, 0);
        return -EFAULT;
    }
    if (e & rsvd) {
        *pf_error = pf_code(w, PF_ERR_P | PF_ERR_RSVD);
        return -EFAULT;
    }
    return 0;
}

/* Folds an entry's R/W, U/S and NX into the walk: the access rights are the most
 * restrictive over all levels. */
static void fold(struct walk *w, uint64_t e)
{
    w->writable = w->writable && (e & PTE_W);
    w->user = w->user && (e & PTE_U);
    w->nx = w->nx || (w->nx_on && (e & PTE_NX));
}

/* "Page-Protection Checks", once the leaf is found. */
static int check_access(const struct walk *w, uint32_t *pf_error)
{
    const struct guest_paging *pg = w->pg;
    bool user = w->access & GW_USER, write = w->access & GW_WRITE;
    bool fetch = w->access & GW_FETCH;
    bool ok = true;

    if (user && !w->user)
        ok = false;
    if (write && !w->writable && (user || (pg->cr0 & CR0_WP)))
        ok = false;
    if (fetch && w->nx)
        ok = false;
    if (!user && w->user) {
        if (fetch && (pg->cr4 & CR4_SMEP))
            ok = false;
        if (!fetch && (pg->cr4 & CR4_SMAP) && !(pg->rflags & RFLAGS_AC))
            ok = false;
    }
    if (ok)
        return 0;
    *pf_error = pf_code(w, PF_ERR_P);
    return -EFAULT;
}

/* 32-bit paging: CR3 -> PD (1024 x 4 bytes) -> PT or 4 MiB page. */
static int walk_32(struct walk *w, uint64_t linear, uint64_t *gpa, uint32_t *pf_error)
{
    uint64_t pde, pte;
    uint64_t pd = w->pg->cr3 & 0xFFFFF000ull;
    /* PSE-36: PDE bits 20:13 are physical bits 39:32; those above maxphyaddr are reserved. */
    unsigned m = w->pg->maxphyaddr ? w->pg->maxphyaddr : 40;
    m = m < 32 ? 32 : (m > 40 ? 40 : m);
    uint64_t pse36_rsvd = ((1ull << 21) - 1) & ~((1ull << (13 + m - 32)) - 1);

    w->level = 2;
    int err = read_entry(w, pd + ((linear >> 22) & 0x3FF) * 4, 4, &pde);
    if (err)
        return err;
    /* Without CR4.PSE the PS bit is ignored; only a 4 MiB PDE has reserved bits. */
    bool large = (w->pg->cr4 & CR4_PSE) && (pde & PTE_PS);
    err = check_entry(w, pde, large ? PDE32_PS_RSVD | pse36_rsvd : 0, pf_error);
    if (err)
        return err;
    fold(w, pde);
    if (large) {
        err = check_access(w, pf_error);
        if (err)
            return err;
        *gpa = (pde & 0xFFC00000ull) | (((pde >> 13) & 0xFF) << 32) | (linear & 0x3FFFFF);
        return 0;
    }

    w->level = 1;
    err = read_entry(w, (pde & 0xFFFFF000ull) + ((linear >> 12) & 0x3FF) * 4, 4, &pte);
    if (err)
        return err;
    err = check_entry(w, pte, 0, pf_error);
    if (err)
        return err;
    fold(w, pte);
    err = check_access(w, pf_error);
    if (err)
        return err;
    *gpa = (pte & 0xFFFFF000ull) | (linear & 0xFFF);
    return 0;
}

/*
 * The 8-byte-entry levels shared by PAE and long mode, from `level` (4 = PML4,
 * 3 = PDPT, 2 = PD, 1 = PT) down, starting at table physical address `table`.
 */
static int walk_8(struct walk *w, uint64_t table, int level, uint64_t linear, uint64_t *gpa,
                  uint32_t *pf_error)
{
    uint64_t base_rsvd = w->rsvd_high | (w->nx_on ? 0 : PTE_NX);
    for (; level >= 1; level--) {
        unsigned shift = 12 + 9 * (unsigned)(level - 1);
        uint64_t addr = table + ((linear >> shift) & 0x1FF) * 8;
        uint64_t e, rsvd = base_rsvd;

        w->level = level;
        w->pae_pdpte = false;
        int err = read_entry(w, addr, 8, &e);
        if (err)
            return err;
        bool large = (level == 2 || level == 3) && (e & PTE_PS);
        if (level == 4)
            rsvd |= PTE_PS;
        else if (large)
            rsvd |= level == 3 ? LARGE_1G_RSVD : LARGE_2M_RSVD;
        err = check_entry(w, e, rsvd, pf_error);
        if (err)
            return err;
        fold(w, e);
        if (level == 1 || large) {
            err = check_access(w, pf_error);
            if (err)
                return err;
            uint64_t page_mask = (1ull << shift) - 1;
            *gpa = (e & PTE_ADDR_MASK & ~page_mask) | (linear & page_mask);
            return 0;
        }
        table = e & PTE_ADDR_MASK;
    }
    return -EINVAL;   /* not reached */
}

void guest_paging_from_cpu(const struct guest_cpu_state *cpu, struct guest_paging *pg)
{
    pg->cr0 = cpu->cr0;
    pg->cr3 = cpu->cr3;
    pg->cr4 = cpu->cr4;
    pg->efer = cpu->efer;
    pg->rflags = cpu->rflags;
    pg->maxphyaddr = 0;
}

static int translate(struct walk *w, uint64_t linear, uint64_t *gpa, uint32_t *pf_error);

int guest_translate(const struct guest_paging *pg, uint64_t linear, unsigned access,
                    read_gpa_fn read_gpa, void *ctx, uint64_t *gpa, uint32_t *pf_error)
{
    struct walk w = { .pg = pg, .access = access, .read_gpa = read_gpa, .ctx = ctx };
    return translate(&w, linear, gpa, pf_error);
}

/* The table level names, by paging mode and level number. */
static const char *level_name(const struct guest_paging *pg, int level, bool pae_pdpte)
{
    if (pae_pdpte)
        return "PDPTE";
    switch (level) {
    case 4: return "PML4E";
    case 3: return "PDPTE";
    case 2: return "PDE";
    case 1: return "PTE";
    default: return (pg->cr4 & CR4_LA57) ? "PML5E" : "entry";
    }
}

void guest_fetch_explain(const struct guest_cpu_state *cpu, int err, read_gpa_fn read_gpa,
                         void *ctx, char *buf, size_t size)
{
    struct guest_paging pg;
    guest_paging_from_cpu(cpu, &pg);
    uint64_t linear = guest_insn_linear(cpu);
    if (err == -ENOTSUP && (pg.efer & EFER_LMA) && (pg.cr4 & CR4_LA57)) {
        snprintf(buf, size, "cannot fetch the instruction: VTL0 uses 5-level paging (CR4.LA57), "
                 "which Mezzanine's guest page walk does not support (CPUID does not offer it)");
        return;
    }
    if (err == -EINVAL) {
        snprintf(buf, size, "cannot fetch the instruction: RIP 0x%llx is not canonical",
                 (unsigned long long)linear);
        return;
    }
    if (err != -EFAULT) {
        snprintf(buf, size, "cannot fetch the instruction at linear 0x%llx: reading VTL0 memory "
                 "failed (error %d: page tables or code outside VTL0's RAM)",
                 (unsigned long long)linear, err);
        return;
    }
    struct walk w = { .pg = &pg, .access = GW_FETCH | (cpu->cpl == 3 ? GW_USER : 0),
                      .read_gpa = read_gpa, .ctx = ctx };
    uint64_t gpa = 0;
    uint32_t pf_error = 0;
    int walk = translate(&w, linear, &gpa, &pf_error);
    if (walk == -EFAULT) {
        snprintf(buf, size, "cannot fetch the instruction: #PF at linear 0x%llx, error code 0x%x "
                 "(%s in the %s)", (unsigned long long)linear, pf_error,
                 (pf_error & PF_ERR_RSVD) ? "reserved bit set" :
                 (pf_error & PF_ERR_P) ? "access not allowed" : "not present",
                 level_name(&pg, w.level, w.pae_pdpte));
        return;
    }
    snprintf(buf, size, "cannot fetch the instruction at linear 0x%llx (GPA 0x%llx, walk %d)",
             (unsigned long long)linear, (unsigned long long)gpa, walk);
}

static int translate(struct walk *w, uint64_t linear, uint64_t *gpa, uint32_t *pf_error)
{
    const struct guest_paging *pg = w->pg;
    w->writable = true;
    w->user = true;
    w->nx = false;
    w->level = 0;
    w->pae_pdpte = false;
    unsigned m = pg->maxphyaddr ? pg->maxphyaddr : 52;
    w->rsvd_high = m >= 52 ? 0 : (PTE_ADDR_MASK & ~((1ull << m) - 1));

    if (!(pg->cr0 & CR0_PG)) {
        *gpa = linear & 0xFFFFFFFFull;
        return 0;
    }
    if (pg->efer & EFER_LMA) {
        if (pg->cr4 & CR4_LA57)
            return -ENOTSUP;
        if (!va_is_canonical(linear))
            return -EINVAL;
        w->nx_on = pg->efer & EFER_NXE;
        return walk_8(w, pg->cr3 & PTE_ADDR_MASK, 4, linear, gpa, pf_error);
    }
    linear &= 0xFFFFFFFFull;
    if (!(pg->cr4 & CR4_PAE))
        return walk_32(w, linear, gpa, pf_error);

    /* PAE: CR3 bits 31:5 -> 4 PDPTEs, which carry no R/W, U/S or NX. */
    w->nx_on = pg->efer & EFER_NXE;
    uint64_t pdpte;
    w->level = 3;
    w->pae_pdpte = true;
    int err = read_entry(w, (pg->cr3 & 0xFFFFFFE0ull) + ((linear >> 30) & 3) * 8, 8, &pdpte);
    if (err)
        return err;
    err = check_entry(w, pdpte, PAE_PDPTE_RSVD | w->rsvd_high | PTE_NX, pf_error);
    if (err)
        return err;
    return walk_8(w, pdpte & PTE_ADDR_MASK, 2, linear, gpa, pf_error);
}

uint64_t guest_insn_linear(const struct guest_cpu_state *cpu)
{
    switch (cpu_mode_of(cpu)) {
    case CPU_MODE_LONG64:
        return cpu->rip;
    case CPU_MODE_PROT32:
        return (cpu->cs.base + (cpu->rip & 0xFFFFFFFFull)) & 0xFFFFFFFFull;
    default:
        return (cpu->cs.base + (cpu->rip & 0xFFFF)) & 0xFFFFFFFFull;
    }
}

int guest_fetch_insn(const struct guest_cpu_state *cpu, read_gpa_fn read_gpa, void *ctx,
                     uint8_t buf[15], size_t *got)
{
    struct guest_paging pg;
    guest_paging_from_cpu(cpu, &pg);
    bool long64 = cpu_mode_of(cpu) == CPU_MODE_LONG64;
    unsigned access = GW_FETCH | (cpu->cpl == 3 ? GW_USER : 0);
    uint64_t linear = guest_insn_linear(cpu);
    size_t n = 0;

    while (n < INSN_MAX_LEN) {
        uint64_t a = linear + n, gpa;
        uint32_t pf_error;
        if (!long64)
            a &= 0xFFFFFFFFull;
        size_t chunk = PAGE_4K - (a & (PAGE_4K - 1));
        if (chunk > INSN_MAX_LEN - n)
            chunk = INSN_MAX_LEN - n;

        int err = guest_translate(&pg, a, access, read_gpa, ctx, &gpa, &pf_error);
        if (!err)
            err = read_gpa(ctx, gpa, buf + n, chunk);
        if (err) {
            if (n == 0)
                return err;
            break;   /* the bytes so far may be the whole instruction */
        }
        n += chunk;
    }
    *got = n;
    return 0;
}
