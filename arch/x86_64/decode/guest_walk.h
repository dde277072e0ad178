/*
 * VTL0 linear -> guest-physical translation through VTL0's own page tables, and
 * instruction fetch at VTL0's CS:RIP built on it. TCG's SVM has no decode assists, so
 * after an exit Mezzanine reads the instruction itself (APM vol. 2, "Page Translation
 * and Protection"). Pure: guest-physical memory is read through a callback.
 *
 * The walk only reads: it never sets Accessed/Dirty bits (the CPU already did, on the
 * access that caused the exit). PAE PDPTEs are read from memory rather than from the
 * CPU's PDPTE registers loaded at the last MOV CR3. Not modelled: 5-level paging
 * (-ENOTSUP), protection keys, segment limits.
 */
#ifndef MEZZ_ARCH_GUEST_WALK_H
#define MEZZ_ARCH_GUEST_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/svm/guest_regs.h"
#include "arch/x86_64/cpu/pf_error.h"

/* guest_translate access: READ alone, or any of these ORed in. They have the positions
 * of the matching #PF error code bits. */
#define GW_READ  0u
#define GW_WRITE PF_ERR_W
#define GW_USER  PF_ERR_U
#define GW_FETCH PF_ERR_ID

/* What of VTL0's state paging depends on. */
struct guest_paging {
    uint64_t cr0, cr3, cr4, efer;
    uint64_t rflags;       /* AC, for SMAP */
    uint8_t maxphyaddr;    /* physical address width VTL0 sees (CPUID 8000_0008h EAX[7:0]);
                            * 0 means 52, i.e. only architecturally reserved bits checked */
};

/* Fills a guest_paging from an exit's CPU state (maxphyaddr left 0). */
void guest_paging_from_cpu(const struct guest_cpu_state *cpu, struct guest_paging *pg);

/* Reads n bytes of guest-physical memory at gpa into buf; returns 0 or a negative errno. */
typedef int (*read_gpa_fn)(void *ctx, uint64_t gpa, void *buf, size_t n);

/*
 * Translates linear for an access of kind `access` (GW_* mask). Paging off: gpa = linear
 * (32 bits). Otherwise 32-bit 2-level (4 MiB pages with CR4.PSE, PSE-36 high bits), PAE
 * 3-level (2 MiB pages) or long-mode 4-level (2 MiB / 1 GiB pages) paging, with the
 * protection checks of "Page-Protection Checks": R/W with CR0.WP, U/S, NX with EFER.NXE,
 * SMEP and SMAP, and reserved bits (PS in a PML4E, large-page address bits 20:13 /
 * 29:13, NX without NXE, bits above maxphyaddr).
 * Returns 0 and *gpa; -EFAULT and *pf_error, the #PF error code VTL0 should get (CR2 =
 * linear); -EINVAL for a non-canonical address in long mode (a #GP, not a #PF);
 * -ENOTSUP for 5-level paging; or read_gpa's error.
 */
int guest_translate(const struct guest_paging *pg, uint64_t linear, unsigned access,
                    read_gpa_fn read_gpa, void *ctx, uint64_t *gpa, uint32_t *pf_error);

/* Linear address of VTL0's next instruction: CS.base + RIP, RIP taken as 16 bits in
 * 16-bit code, 32 in 32-bit code; CS.base is 0 in 64-bit mode; wraps at 4 GiB outside
 * 64-bit mode. */
uint64_t guest_insn_linear(const struct guest_cpu_state *cpu);

/*
 * Fetches up to 15 bytes of VTL0's instruction at CS:RIP, walking each page separately
 * (an instruction may straddle two). Fetch access, user if CPL is 3.
 * Returns 0 and *got >= 1 bytes (fewer than 15 when the next page does not translate:
 * the decoder then says whether it needs them), or the error of guest_translate (call it
 * on guest_insn_linear(cpu) for the #PF error code) / read_gpa for the first byte.
 */
int guest_fetch_insn(const struct guest_cpu_state *cpu, read_gpa_fn read_gpa, void *ctx,
                     uint8_t buf[15], size_t *got);

/*
 * In words, why guest_fetch_insn(cpu, ...) failed with err: 5-level paging (not
 * supported), a non-canonical RIP, a #PF with its error code and the table level that
 * faulted (PML4E/PDPTE/PDE/PTE), or memory that could not be read. Re-walks to find the
 * level; writes at most size bytes (NUL-terminated).
 */
void guest_fetch_explain(const struct guest_cpu_state *cpu, int err, read_gpa_fn read_gpa,
                         void *ctx, char *buf, size_t size);

#endif
