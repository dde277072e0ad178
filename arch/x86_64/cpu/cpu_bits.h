/* Architectural bits of CR0, CR4, EFER and RFLAGS (AMD APM vol. 2, "System Resources";
 * vol. 1, "Flags Register"). Pure: the guest-state decoders share them with cpu.h. */
#ifndef MEZZ_ARCH_CPU_BITS_H
#define MEZZ_ARCH_CPU_BITS_H

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)   /* x87/SSE instructions fault: VTL2 never uses them */
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)

#define CR4_PSE  (1ull << 4)
#define CR4_PAE  (1ull << 5)
#define CR4_PGE  (1ull << 7)
#define CR4_LA57 (1ull << 12)
#define CR4_OSXSAVE (1ull << 18)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define CR4_PKE  (1ull << 22)

#define EFER_SCE   (1ull << 0)
#define EFER_LME   (1ull << 8)
#define EFER_LMA   (1ull << 10)
#define EFER_NXE   (1ull << 11)
#define EFER_SVME  (1ull << 12)

#define RFLAGS_CF  (1ull << 0)
#define RFLAGS_FIXED (1ull << 1)   /* reserved, always 1 */
#define RFLAGS_PF  (1ull << 2)
#define RFLAGS_AF  (1ull << 4)
#define RFLAGS_ZF  (1ull << 6)
#define RFLAGS_SF  (1ull << 7)
#define RFLAGS_IF  (1ull << 9)
#define RFLAGS_DF  (1ull << 10)
#define RFLAGS_OF  (1ull << 11)
#define RFLAGS_VM  (1ull << 17)
#define RFLAGS_AC  (1ull << 18)

#endif
