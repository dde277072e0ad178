/*
 * Unit tests for arch/x86_64/guest_walk: VTL0 page walks in every paging mode over a
 * fake guest-physical space, #PF error codes, and instruction fetch across pages.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/decode/guest_walk.h"
#include "arch/x86_64/decode/insn_decode.h"
#include "kernel/lib/compiler.h"

/* ---- fake guest-physical memory --------------------------------------------------- */

#define MEM_SIZE 0x200000u   /* 2 MiB; reads beyond fail with -EIO */

static uint8_t *mem;
static unsigned reads;

static int read_gpa(void *ctx, uint64_t gpa, void *buf, size_t n)
{
    (void)ctx;
    if (gpa >= MEM_SIZE || n > MEM_SIZE - gpa)
        return -EIO;
    memcpy(buf, mem + gpa, n);
    reads++;
    return 0;
}

static void put32(uint64_t gpa, uint32_t v)
{
    memcpy(mem + gpa, &v, 4);   /* host is little-endian like the guest */
}

static void put64(uint64_t gpa, uint64_t v)
{
    memcpy(mem + gpa, &v, 8);
}

#define P   0x001ull
#define RW  0x002ull
#define US  0x004ull
#define PS  0x080ull
#define NX  (1ull << 63)

#define CR0_PE (1ull << 0)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PSE  (1ull << 4)
#define CR4_PAE  (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define RFLAGS_AC (1ull << 18)

/*
 * One image holds the tables of all three paging modes:
 *   32-bit: CR3 0x1000, PD 0x1000, PTs 0x2000 and 0x3000
 *   PAE:    CR3 0x10020 (PDPT at 0x10020), PD 0x11000, PTs 0x14000 and 0x15000
 *   long:   CR3 0x20000, PML4 0x20000, PDPTs 0x21000 and 0x22000, PDs 0x23000 and 0x24000,
 *           PTs 0x25000 and 0x26000
 *   code pages 0x30000-0x33fff
 */
static void build_tables(void)
{
    memset(mem, 0, MEM_SIZE);

    /* -- 32-bit: 4-byte entries -- */
    put32(0x1000 + 0 * 4, 0x2000 | P | RW | US);
    put32(0x2000 + 5 * 4, 0x00ABC000 | P | RW | US);      /* 0x5000: user RW */
    put32(0x2000 + 6 * 4, 0x00ABD000 | P | US);           /* 0x6000: user read-only */
    put32(0x2000 + 7 * 4, 0x00ABE000 | P | RW);           /* 0x7000: supervisor */
    /* 0x8000: not present */
    put32(0x2000 + 9 * 4, 0x30000 | P | RW | US);         /* 0x9000: code */
    /* 0xA000: not present */
    put32(0x2000 + 11 * 4, 0x31000 | P | RW | US);        /* 0xB000: code ... */
    put32(0x2000 + 12 * 4, 0x33000 | P | RW | US);        /* 0xC000: ... continued elsewhere */
    put32(0x1000 + 1 * 4, 0x3000 | P | RW);               /* 0x400000: supervisor PDE */
    put32(0x3000 + 0 * 4, 0x00CCC000 | P | RW | US);
    put32(0x3000 + 0x12 * 4, 0x0CAFE000 | P | RW | US);   /* via PDE[2] when PSE is off */
    /* PDE[2]: 4 MiB page, PSE-36 bits 20:13 = 1 -> physical 0x1_0000_0000; read as a
     * page-table pointer (0x3000) when CR4.PSE is clear. */
    put32(0x1000 + 2 * 4, 0x00003000 | PS | P | RW | US);
    /* PDE[3]: 4 MiB page at 0xC00000 with PSE-36 bits = 0x10 (physical bit 36) */
    put32(0x1000 + 3 * 4, 0x00C00000 | (0x10 << 13) | PS | P | RW);
    /* PDE[4]: 4 MiB page with reserved bit 21 */
    put32(0x1000 + 4 * 4, 0x01000000 | (1u << 21) | PS | P | RW);
    /* PDE[5]: not present */

    /* -- PAE -- */
    put64(0x10020 + 0 * 8, 0x11000 | P);
    /* PDPTE[1]: not present */
    put64(0x10020 + 2 * 8, 0x12000 | P | RW);             /* R/W is reserved in a PDPTE */
    put64(0x10020 + 3 * 8, 0x13000 | P | NX);             /* so is NX */
    put64(0x11000 + 0 * 8, 0x14000 | P | RW | US);
    put64(0x14000 + 1 * 8, 0x123456000ull | P | RW | US); /* above 4 GiB */
    put64(0x14000 + 2 * 8, 0x555000 | P | RW | US | NX);
    put64(0x14000 + 3 * 8, 0x10000003000ull | P | RW | US);   /* physical bit 40 */
    put64(0x11000 + 1 * 8, 0x00A00000 | PS | P | RW | US);    /* 2 MiB */
    put64(0x11000 + 2 * 8, 0x00C00000 | (1u << 13) | PS | P | RW | US); /* reserved bit 13 */
    put64(0x11000 + 3 * 8, 0x15000 | P | RW | US | NX);   /* NX at the PD level */
    put64(0x15000 + 0 * 8, 0x666000 | P | RW | US);

    /* -- long mode -- */
    put64(0x20000 + 0 * 8, 0x21000 | P | RW | US);
    put64(0x20000 + 1 * 8, 0x2F000 | P | RW | US | PS);   /* PS is reserved in a PML4E */
    /* PML4E[2]: not present */
    put64(0x20000 + 511 * 8, 0x22000 | P | RW);           /* kernel half; its PDPT is empty */
    put64(0x21000 + 0 * 8, 0x23000 | P | RW | US);
    put64(0x21000 + 1 * 8, 0x8000000000ull | PS | P | RW | US);          /* 1 GiB */
    put64(0x21000 + 2 * 8, 0x8040000000ull | (1u << 13) | PS | P | RW | US); /* reserved */
    put64(0x21000 + 3 * 8, 0x24000 | P | US);             /* read-only at the PDPT level */
    put64(0x24000 + 0 * 8, 0x00E00000 | PS | P | RW | US);
    put64(0x23000 + 0 * 8, 0x25000 | P | RW | US);
    put64(0x25000 + 1 * 8, 0x0DEAD000 | P | RW | US);     /* 0x1000 */
    put64(0x25000 + 2 * 8, 0x0BEEF000 | P | RW | US | NX);/* 0x2000 */
    put64(0x25000 + 3 * 8, 0x10000003000ull | P | RW | US);   /* 0x3000: physical bit 40 */
    /* 0x4000: not present */
    put64(0x25000 + 5 * 8, 0x32000 | P | RW | US);        /* 0x5000: code */
    /* 0x6000: not present */
    put64(0x23000 + 1 * 8, 0x1234400000ull | PS | P | RW | US);          /* 2 MiB */
    put64(0x23000 + 2 * 8, 0x26000 | P | RW);             /* supervisor PD entry */
    put64(0x26000 + 0 * 8, 0x777000 | P | RW | US);
}

static int setup(void **state)
{
    (void)state;
    mem = malloc(MEM_SIZE);
    assert_non_null(mem);
    build_tables();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(mem);
    return 0;
}

/* ---- guest_translate ---------------------------------------------------------------- */

#define PG32   (CR0_PE | CR0_PG)
#define PG32WP (CR0_PE | CR0_PG | CR0_WP)
#define LMA    (EFER_LME | EFER_LMA)

#define R  GW_READ
#define WR GW_WRITE
#define U  GW_USER
#define X  GW_FETCH

struct walk_case {
    const char *what;
    uint64_t cr0, cr3, cr4, efer, rflags;
    uint8_t maxphyaddr;
    uint64_t linear;
    unsigned access;
    int rc;
    uint64_t gpa;       /* rc 0 */
    uint32_t pf;        /* rc -EFAULT */
};

static const struct walk_case walk_cases[] = {
    /* -- paging off -- */
    { "real mode", 0, 0, 0, 0, 0, 0, 0x12345, R, 0, 0x12345, 0 },
    { "protected, no paging", CR0_PE, 0x1000, 0, 0, 0, 0, 0xFEE00300, WR, 0, 0xFEE00300, 0 },
    { "no paging: 32-bit linear", CR0_PE, 0, 0, 0, 0, 0, 0x100001000ull, R, 0, 0x1000, 0 },

    /* -- 32-bit paging -- */
    { "32: 4K read", PG32, 0x1000, 0, 0, 0, 0, 0x5123, R, 0, 0xABC123, 0 },
    { "32: 4K user write", PG32WP, 0x1000, 0, 0, 0, 0, 0x5123, WR | U, 0, 0xABC123, 0 },
    { "32: CR3 low bits ignored", PG32, 0x1018, 0, 0, 0, 0, 0x5123, R, 0, 0xABC123, 0 },
    { "32: linear above 4G wraps", PG32, 0x1000, 0, 0, 0, 0, 0x100005123ull, R, 0, 0xABC123, 0 },
    { "32: write read-only, WP=0", PG32, 0x1000, 0, 0, 0, 0, 0x6004, WR, 0, 0xABD004, 0 },
    { "32: write read-only, WP=1", PG32WP, 0x1000, 0, 0, 0, 0, 0x6004, WR, -EFAULT, 0, 0x3 },
    { "32: user write read-only, WP=0", PG32, 0x1000, 0, 0, 0, 0, 0x6004, WR | U, -EFAULT, 0, 0x7 },
    { "32: user read of supervisor PTE", PG32, 0x1000, 0, 0, 0, 0, 0x7000, R | U, -EFAULT, 0, 0x5 },
    { "32: supervisor read of it", PG32, 0x1000, 0, 0, 0, 0, 0x7000, R, 0, 0xABE000, 0 },
    { "32: PTE not present", PG32, 0x1000, 0, 0, 0, 0, 0x8000, R, -EFAULT, 0, 0x0 },
    { "32: PTE not present, user write", PG32, 0x1000, 0, 0, 0, 0, 0x8000, WR | U, -EFAULT, 0, 0x6 },
    { "32: PTE not present, fetch", PG32, 0x1000, 0, 0, 0, 0, 0x8000, X, -EFAULT, 0, 0x0 },
    { "32: supervisor PDE, user read", PG32, 0x1000, 0, 0, 0, 0, 0x400010, R | U, -EFAULT, 0, 0x5 },
    { "32: PDE not present", PG32, 0x1000, CR4_PSE, 0, 0, 0, 0x1400000, R, -EFAULT, 0, 0x0 },
    { "32: 4M page, PSE-36 high bits", PG32, 0x1000, CR4_PSE, 0, 0, 0, 0x812345, R, 0,
      0x100012345ull, 0 },
    { "32: same PDE without CR4.PSE is a PT", PG32, 0x1000, 0, 0, 0, 0, 0x812345, R, 0,
      0x0CAFE345, 0 },
    { "32: 4M page, bit 36", PG32, 0x1000, CR4_PSE, 0, 0, 0, 0xC01234, R, 0, 0x1000C01234ull, 0 },
    { "32: 4M page, bit 36 over MAXPHYADDR 36", PG32, 0x1000, CR4_PSE, 0, 0, 36, 0xC01234, R,
      -EFAULT, 0, 0x9 },
    { "32: 4M page, reserved bit 21", PG32, 0x1000, CR4_PSE, 0, 0, 0, 0x1000000, R, -EFAULT, 0, 0x9 },
    { "32: reserved bit 21, user write", PG32, 0x1000, CR4_PSE, 0, 0, 0, 0x1000000, WR | U,
      -EFAULT, 0, 0xF },
    { "32: PS ignored without PSE: PT unreadable", PG32, 0x1000, 0, 0, 0, 0, 0x1000000, R,
      -EIO, 0, 0 },
    { "32: fetch (no NX in 32-bit paging)", PG32, 0x1000, 0, 0, 0, 0, 0x5000, X, 0, 0xABC000, 0 },
    { "32: NXE does not apply", PG32, 0x1000, 0, EFER_NXE, 0, 0, 0x5000, X, 0, 0xABC000, 0 },
    { "32: SMEP, supervisor fetch of user page", PG32, 0x1000, CR4_SMEP, 0, 0, 0, 0x5000, X,
      -EFAULT, 0, 0x11 },
    { "32: SMEP, user fetch", PG32, 0x1000, CR4_SMEP, 0, 0, 0, 0x5000, X | U, 0, 0xABC000, 0 },
    { "32: SMAP, AC=0", PG32, 0x1000, CR4_SMAP, 0, 0, 0, 0x5000, R, -EFAULT, 0, 0x1 },
    { "32: SMAP, AC=1", PG32, 0x1000, CR4_SMAP, 0, RFLAGS_AC, 0, 0x5000, R, 0, 0xABC000, 0 },
    { "32: SMAP, supervisor page", PG32, 0x1000, CR4_SMAP, 0, 0, 0, 0x7000, R, 0, 0xABE000, 0 },

    /* -- PAE -- */
    { "PAE: 4K above 4G", PG32, 0x10020, CR4_PAE, 0, 0, 0, 0x1ABC, R, 0, 0x123456ABCull, 0 },
    { "PAE: PDPTE not present", PG32, 0x10020, CR4_PAE, 0, 0, 0, 0x40000000, R, -EFAULT, 0, 0x0 },
    { "PAE: PDPTE R/W reserved", PG32, 0x10020, CR4_PAE, 0, 0, 0, 0x80000000, R, -EFAULT, 0, 0x9 },
    { "PAE: PDPTE NX reserved", PG32, 0x10020, CR4_PAE, EFER_NXE, 0, 0, 0xC0000000, R,
      -EFAULT, 0, 0x9 },
    { "PAE: NX page, read", PG32, 0x10020, CR4_PAE, EFER_NXE, 0, 0, 0x2010, R, 0, 0x555010, 0 },
    { "PAE: NX page, fetch", PG32, 0x10020, CR4_PAE, EFER_NXE, 0, 0, 0x2010, X, -EFAULT, 0, 0x11 },
    { "PAE: NX bit without NXE", PG32, 0x10020, CR4_PAE, 0, 0, 0, 0x2010, R, -EFAULT, 0, 0x9 },
    { "PAE: NX bit without NXE, fetch", PG32, 0x10020, CR4_PAE, 0, 0, 0, 0x2010, X, -EFAULT, 0, 0x9 },
    { "PAE: 2M page", PG32, 0x10020, CR4_PAE, 0, 0, 0, 0x201234, R, 0, 0xA01234, 0 },
    { "PAE: 2M page, reserved bit 13", PG32, 0x10020, CR4_PAE, 0, 0, 0, 0x400000, R,
      -EFAULT, 0, 0x9 },
    { "PAE: NX in the PDE, fetch", PG32, 0x10020, CR4_PAE, EFER_NXE, 0, 0, 0x600000, X,
      -EFAULT, 0, 0x11 },
    { "PAE: NX in the PDE, user fetch", PG32, 0x10020, CR4_PAE, EFER_NXE, 0, 0, 0x600000, X | U,
      -EFAULT, 0, 0x15 },
    { "PAE: NX in the PDE, read", PG32, 0x10020, CR4_PAE, EFER_NXE, 0, 0, 0x600000, R, 0,
      0x666000, 0 },
    { "PAE: bit 40, MAXPHYADDR 52", PG32, 0x10020, CR4_PAE, 0, 0, 0, 0x3008, R, 0,
      0x10000003008ull, 0 },
    { "PAE: bit 40, MAXPHYADDR 36", PG32, 0x10020, CR4_PAE, 0, 0, 36, 0x3008, R, -EFAULT, 0, 0x9 },
    { "PAE: fetch, not present, NXE", PG32, 0x10020, CR4_PAE, EFER_NXE, 0, 0, 0x40000000, X,
      -EFAULT, 0, 0x10 },

    /* -- long mode, 4-level -- */
    { "64: 4K", PG32WP, 0x20000, CR4_PAE, LMA | EFER_NXE, 0, 0, 0x1234, R, 0, 0xDEAD234, 0 },
    { "64: CR3 PWT/PCD ignored", PG32WP, 0x20018, CR4_PAE, LMA, 0, 0, 0x1234, R, 0, 0xDEAD234, 0 },
    { "64: 1G page", PG32WP, 0x20000, CR4_PAE, LMA, 0, 0, 0x456789AB, R, 0, 0x80056789ABull, 0 },
    { "64: 2M page", PG32WP, 0x20000, CR4_PAE, LMA, 0, 0, 0x201234, R, 0, 0x1234401234ull, 0 },
    { "64: 1G page, reserved bit 13", PG32WP, 0x20000, CR4_PAE, LMA, 0, 0, 0x80000000, R,
      -EFAULT, 0, 0x9 },
    { "64: PML4E with PS", PG32WP, 0x20000, CR4_PAE, LMA, 0, 0, 0x8000000000ull, R, -EFAULT, 0, 0x9 },
    { "64: PML4E not present", PG32WP, 0x20000, CR4_PAE, LMA, 0, 0, 0x10000000000ull, R,
      -EFAULT, 0, 0x0 },
    { "64: PML4E not present, user write", PG32WP, 0x20000, CR4_PAE, LMA, 0, 0, 0x10000000000ull,
      WR | U, -EFAULT, 0, 0x6 },
    { "64: PDPTE not present (kernel half)", PG32WP, 0x20000, CR4_PAE, LMA, 0, 0,
      0xFFFFFF8000000000ull, R, -EFAULT, 0, 0x0 },
    { "64: PTE not present", PG32WP, 0x20000, CR4_PAE, LMA | EFER_NXE, 0, 0, 0x4000, R,
      -EFAULT, 0, 0x0 },
    { "64: PTE not present, fetch", PG32WP, 0x20000, CR4_PAE, LMA | EFER_NXE, 0, 0, 0x4000, X,
      -EFAULT, 0, 0x10 },
    { "64: non-canonical", PG32WP, 0x20000, CR4_PAE, LMA, 0, 0, 0x0000800000000000ull, R,
      -EINVAL, 0, 0 },
    { "64: NX, read", PG32WP, 0x20000, CR4_PAE, LMA | EFER_NXE, 0, 0, 0x2000, R, 0, 0xBEEF000, 0 },
    { "64: NX, fetch", PG32WP, 0x20000, CR4_PAE, LMA | EFER_NXE, 0, 0, 0x2000, X, -EFAULT, 0, 0x11 },
    { "64: NX, user fetch", PG32WP, 0x20000, CR4_PAE, LMA | EFER_NXE, 0, 0, 0x2000, X | U,
      -EFAULT, 0, 0x15 },
    { "64: NX without NXE", PG32WP, 0x20000, CR4_PAE, LMA, 0, 0, 0x2000, R, -EFAULT, 0, 0x9 },
    { "64: bit 40, MAXPHYADDR 52", PG32WP, 0x20000, CR4_PAE, LMA, 0, 0, 0x3008, R, 0,
      0x10000003008ull, 0 },
    { "64: bit 40, MAXPHYADDR 40", PG32WP, 0x20000, CR4_PAE, LMA, 0, 40, 0x3008, R,
      -EFAULT, 0, 0x9 },
    { "64: read-only PDPTE, write, WP=1", PG32WP, 0x20000, CR4_PAE, LMA, 0, 0, 0xC0000000, WR,
      -EFAULT, 0, 0x3 },
    { "64: read-only PDPTE, write, WP=0", PG32, 0x20000, CR4_PAE, LMA, 0, 0, 0xC0000000, WR, 0,
      0xE00000, 0 },
    { "64: read-only PDPTE, user write, WP=0", PG32, 0x20000, CR4_PAE, LMA, 0, 0, 0xC0000000,
      WR | U, -EFAULT, 0, 0x7 },
    { "64: read-only PDPTE, user read", PG32WP, 0x20000, CR4_PAE, LMA, 0, 0, 0xC0000000, R | U,
      0, 0xE00000, 0 },
    { "64: supervisor PDE, user read", PG32WP, 0x20000, CR4_PAE, LMA, 0, 0, 0x400000, R | U,
      -EFAULT, 0, 0x5 },
    { "64: supervisor PDE, supervisor read", PG32WP, 0x20000, CR4_PAE, LMA, 0, 0, 0x400000, R, 0,
      0x777000, 0 },
    { "64: SMEP, supervisor fetch of user page", PG32WP, 0x20000, CR4_PAE | CR4_SMEP, LMA, 0, 0,
      0x1234, X, -EFAULT, 0, 0x11 },
    { "64: SMEP, supervisor page", PG32WP, 0x20000, CR4_PAE | CR4_SMEP, LMA, 0, 0, 0x400000, X,
      0, 0x777000, 0 },
    { "64: SMAP, read, AC=0", PG32WP, 0x20000, CR4_PAE | CR4_SMAP, LMA, 0, 0, 0x1234, R,
      -EFAULT, 0, 0x1 },
    { "64: SMAP, write, AC=0", PG32WP, 0x20000, CR4_PAE | CR4_SMAP, LMA, 0, 0, 0x1234, WR,
      -EFAULT, 0, 0x3 },
    { "64: SMAP, AC=1", PG32WP, 0x20000, CR4_PAE | CR4_SMAP, LMA, RFLAGS_AC, 0, 0x1234, WR, 0,
      0xDEAD234, 0 },
    { "64: SMAP, user read", PG32WP, 0x20000, CR4_PAE | CR4_SMAP, LMA, 0, 0, 0x1234, R | U, 0,
      0xDEAD234, 0 },
    { "64: SMAP, fetch is SMEP's business", PG32WP, 0x20000, CR4_PAE | CR4_SMAP, LMA, 0, 0,
      0x1234, X, 0, 0xDEAD234, 0 },
    { "64: 5-level paging", PG32WP, 0x20000, CR4_PAE | CR4_LA57, LMA, 0, 0, 0x1234, R,
      -ENOTSUP, 0, 0 },
    { "64: CR3 outside memory", PG32WP, 0x40000000, CR4_PAE, LMA, 0, 0, 0x1234, R, -EIO, 0, 0 },
};

static void test_translate(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(walk_cases); i++) {
        const struct walk_case *c = &walk_cases[i];
        struct guest_paging pg = {
            .cr0 = c->cr0, .cr3 = c->cr3, .cr4 = c->cr4, .efer = c->efer, .rflags = c->rflags,
            .maxphyaddr = c->maxphyaddr,
        };
        uint64_t gpa = 0xBAD;
        uint32_t pf = 0xBAD;
        int rc = guest_translate(&pg, c->linear, c->access, read_gpa, NULL, &gpa, &pf);
        if (rc != c->rc)
            fail_msg("%s: rc %d want %d (gpa %#llx pf %#x)", c->what, rc, c->rc,
                     (unsigned long long)gpa, pf);
        if (rc == 0 && gpa != c->gpa)
            fail_msg("%s: gpa %#llx want %#llx", c->what, (unsigned long long)gpa,
                     (unsigned long long)c->gpa);
        if (rc == -EFAULT && pf != c->pf)
            fail_msg("%s: #PF error code %#x want %#x", c->what, pf, c->pf);
    }
}

/* The walk only reads: no Accessed/Dirty bits appear. */
static void test_walk_does_not_write(void **state)
{
    (void)state;
    uint8_t *before = malloc(MEM_SIZE);
    assert_non_null(before);
    memcpy(before, mem, MEM_SIZE);
    struct guest_paging pg = { .cr0 = PG32WP, .cr3 = 0x20000, .cr4 = CR4_PAE, .efer = LMA };
    uint64_t gpa;
    uint32_t pf;
    assert_int_equal(guest_translate(&pg, 0x1234, WR | U, read_gpa, NULL, &gpa, &pf), 0);
    assert_memory_equal(before, mem, MEM_SIZE);
    free(before);
}

static void test_paging_from_cpu(void **state)
{
    (void)state;
    struct guest_cpu_state cpu;
    memset(&cpu, 0, sizeof(cpu));
    cpu.cr0 = PG32WP;
    cpu.cr3 = 0x20000;
    cpu.cr4 = CR4_PAE | CR4_SMAP;
    cpu.efer = LMA | EFER_NXE;
    cpu.rflags = 0x2 | RFLAGS_AC;
    struct guest_paging pg;
    memset(&pg, 0xFF, sizeof(pg));
    guest_paging_from_cpu(&cpu, &pg);
    assert_int_equal(pg.cr0, PG32WP);
    assert_int_equal(pg.cr3, 0x20000);
    assert_int_equal(pg.cr4, CR4_PAE | CR4_SMAP);
    assert_int_equal(pg.efer, LMA | EFER_NXE);
    assert_int_equal(pg.rflags, 0x2 | RFLAGS_AC);
    assert_int_equal(pg.maxphyaddr, 0);
}

/* ---- guest_insn_linear / guest_fetch_insn --------------------------------------------- */

#define ATTR_CODE16 0x9B
#define ATTR_CODE32 (0x9B | SEG_ATTR_DB)
#define ATTR_CODE64 (0x9B | SEG_ATTR_L)
#define RFLAGS_VM (1ull << 17)

static struct guest_cpu_state cpu_state(uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer,
                                        uint16_t cs_attrib, uint64_t cs_base, uint64_t rip,
                                        uint8_t cpl)
{
    struct guest_cpu_state cpu;
    memset(&cpu, 0, sizeof(cpu));
    cpu.cr0 = cr0;
    cpu.cr3 = cr3;
    cpu.cr4 = cr4;
    cpu.efer = efer;
    cpu.rflags = 0x2;
    cpu.cs.attrib = cs_attrib;
    cpu.cs.base = cs_base;
    cpu.rip = rip;
    cpu.cpl = cpl;
    return cpu;
}

static void test_insn_linear(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        uint64_t cr0, efer, rflags;
        uint16_t attrib;
        uint64_t base, rip, want;
    } cases[] = {
        { "real: IP is 16 bits", 0, 0, 0x2, ATTR_CODE16, 0xF0000, 0x1234FFF0, 0xFFFF0 },
        { "real: reset vector", 0, 0, 0x2, ATTR_CODE16, 0xFFFF0000, 0xFFF0, 0xFFFFFFF0 },
        { "virtual-8086", CR0_PE, 0, 0x2 | RFLAGS_VM, ATTR_CODE32, 0xB8000, 0x10010, 0xB8010 },
        { "prot16", CR0_PE, 0, 0x2, ATTR_CODE16, 0x10000, 0x12345, 0x12345 },
        { "prot32", CR0_PE, 0, 0x2, ATTR_CODE32, 0x1000, 0xFFFFFFFF00000010ull, 0x1010 },
        { "prot32 wraps at 4G", CR0_PE, 0, 0x2, ATTR_CODE32, 0xFFFFF000, 0x2000, 0x1000 },
        { "long64 ignores CS.base", CR0_PE | CR0_PG, LMA, 0x2, ATTR_CODE64, 0x5000,
          0xFFFFFFFF80001000ull, 0xFFFFFFFF80001000ull },
        { "compatibility mode", CR0_PE | CR0_PG, LMA, 0x2, ATTR_CODE32, 0, 0x100002000ull, 0x2000 },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct guest_cpu_state cpu = cpu_state(cases[i].cr0, 0, 0, cases[i].efer,
                                               cases[i].attrib, cases[i].base, cases[i].rip, 0);
        cpu.rflags = cases[i].rflags;
        uint64_t got = guest_insn_linear(&cpu);
        if (got != cases[i].want)
            fail_msg("%s: %#llx want %#llx", cases[i].what, (unsigned long long)got,
                     (unsigned long long)cases[i].want);
    }
}

static void test_fetch_real_mode(void **state)
{
    (void)state;
    static const uint8_t jmp[5] = { 0xEA, 0x5B, 0xE0, 0x00, 0xF0 };   /* jmp f000:e05b */
    memcpy(mem + 0xFFFF0, jmp, sizeof(jmp));
    struct guest_cpu_state cpu = cpu_state(0, 0, 0, 0, ATTR_CODE16, 0xF0000, 0xFFF0, 0);
    uint8_t buf[15];
    size_t got = 0;
    assert_int_equal(guest_fetch_insn(&cpu, read_gpa, NULL, buf, &got), 0);
    assert_int_equal(got, 15);
    assert_memory_equal(buf, jmp, sizeof(jmp));

    struct insn in;
    assert_int_equal(insn_decode(buf, got, cpu_mode_of(&cpu), &in), 0);
    assert_int_equal(in.length, 5);
}

/* 32-bit paging; code at linear 0x9000 (-> 0x30000), 0xA000 unmapped, 0xB000 (-> 0x31000)
 * and 0xC000 (-> 0x33000). */
static void test_fetch_straddle_unmapped(void **state)
{
    (void)state;
    /* mov dword [0x12345678], 1: c7 05 <disp32> <imm32>, cut after 3 bytes by the page */
    mem[0x30FFD] = 0xC7;
    mem[0x30FFE] = 0x05;
    mem[0x30FFF] = 0x78;
    struct guest_cpu_state cpu = cpu_state(PG32WP, 0x1000, 0, 0, ATTR_CODE32, 0, 0x9FFD, 0);
    uint8_t buf[15];
    size_t got = 0;
    assert_int_equal(guest_fetch_insn(&cpu, read_gpa, NULL, buf, &got), 0);
    assert_int_equal(got, 3);
    assert_int_equal(buf[0], 0xC7);
    assert_int_equal(buf[2], 0x78);

    /* The decoder says the instruction goes on into the unmapped page. */
    struct insn in;
    assert_int_equal(insn_decode(buf, got, CPU_MODE_PROT32, &in), -EAGAIN);
    assert_int_equal(in.length, 6);
    /* ...whose fault is what VTL0 should see, at the page boundary. */
    struct guest_paging pg;
    guest_paging_from_cpu(&cpu, &pg);
    uint64_t gpa;
    uint32_t pf;
    assert_int_equal(guest_translate(&pg, 0xA000, GW_FETCH, read_gpa, NULL, &gpa, &pf), -EFAULT);
    assert_int_equal(pf, 0x0);

    /* A short instruction at the same place is complete in the first page. */
    mem[0x30FFD] = 0x90;   /* nop */
    assert_int_equal(guest_fetch_insn(&cpu, read_gpa, NULL, buf, &got), 0);
    assert_int_equal(got, 3);
    assert_int_equal(insn_decode(buf, got, CPU_MODE_PROT32, &in), 0);
    assert_int_equal(in.length, 1);
}

static void test_fetch_straddle_mapped(void **state)
{
    (void)state;
    static const uint8_t want[15] = { 0x48, 0x8B, 0x05, 0x00, 0x10, 0x00, 0x00,
                                      0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90 };
    memcpy(mem + 0x31FFE, want, 2);           /* end of the page behind 0xB000 */
    memcpy(mem + 0x33000, want + 2, 13);      /* start of the one behind 0xC000 */
    mem[0x32000] = 0xCC;                      /* what a contiguous read would wrongly see */
    struct guest_cpu_state cpu = cpu_state(PG32WP, 0x1000, 0, 0, ATTR_CODE32, 0, 0xBFFE, 0);
    uint8_t buf[15];
    size_t got = 0;
    assert_int_equal(guest_fetch_insn(&cpu, read_gpa, NULL, buf, &got), 0);
    assert_int_equal(got, 15);
    assert_memory_equal(buf, want, 15);
}

static void test_fetch_faults(void **state)
{
    (void)state;
    uint8_t buf[15];
    size_t got = 99;
    /* first byte unmapped */
    struct guest_cpu_state cpu = cpu_state(PG32WP, 0x1000, 0, 0, ATTR_CODE32, 0, 0xA000, 0);
    assert_int_equal(guest_fetch_insn(&cpu, read_gpa, NULL, buf, &got), -EFAULT);
    assert_int_equal(got, 99);
    struct guest_paging pg;
    guest_paging_from_cpu(&cpu, &pg);
    uint64_t gpa;
    uint32_t pf;
    assert_int_equal(guest_translate(&pg, guest_insn_linear(&cpu), GW_FETCH | GW_USER, read_gpa,
                                     NULL, &gpa, &pf), -EFAULT);
    assert_int_equal(pf, 0x4);

    /* CPL 3 fetching from a supervisor page */
    cpu = cpu_state(PG32WP, 0x1000, 0, 0, ATTR_CODE32, 0, 0x7000, 3);
    assert_int_equal(guest_fetch_insn(&cpu, read_gpa, NULL, buf, &got), -EFAULT);
    /* the same at CPL 0 works, but the page is beyond the fake memory: read error */
    cpu.cpl = 0;
    assert_int_equal(guest_fetch_insn(&cpu, read_gpa, NULL, buf, &got), -EIO);

    /* long mode, NX page */
    cpu = cpu_state(PG32WP, 0x20000, CR4_PAE, LMA | EFER_NXE, ATTR_CODE64, 0, 0x2000, 0);
    assert_int_equal(guest_fetch_insn(&cpu, read_gpa, NULL, buf, &got), -EFAULT);
}

static void test_fetch_long_mode(void **state)
{
    (void)state;
    /* linear 0x5000 -> 0x32000; 0x6000 unmapped. CS.base must not matter. */
    static const uint8_t code[8] = { 0x48, 0x89, 0x08, 0x90, 0x90, 0x90, 0x48, 0xB8 };
    memcpy(mem + 0x32FF8, code, sizeof(code));
    struct guest_cpu_state cpu = cpu_state(PG32WP, 0x20000, CR4_PAE, LMA | EFER_NXE, ATTR_CODE64,
                                           0x77770000, 0x5FF8, 0);
    uint8_t buf[15];
    size_t got = 0;
    assert_int_equal(guest_fetch_insn(&cpu, read_gpa, NULL, buf, &got), 0);
    assert_int_equal(got, 8);
    assert_memory_equal(buf, code, sizeof(code));
    struct insn in;
    assert_int_equal(insn_decode(buf, got, cpu_mode_of(&cpu), &in), 0);
    assert_int_equal(in.length, 3);   /* mov [rax], rcx */

    /* movabs at 0x5FFE: 48 b8 + imm64 runs 8 bytes into the unmapped page */
    cpu.rip = 0x5FFE;
    assert_int_equal(guest_fetch_insn(&cpu, read_gpa, NULL, buf, &got), 0);
    assert_int_equal(got, 2);
    assert_int_equal(insn_decode(buf, got, cpu_mode_of(&cpu), &in), -EAGAIN);
    assert_int_equal(in.length, 10);

    /* compatibility mode: EIP is 32 bits and CS.base counts */
    cpu = cpu_state(PG32WP, 0x20000, CR4_PAE, LMA | EFER_NXE, ATTR_CODE32, 0x1000, 0x100004FF8ull,
                    0);
    assert_int_equal(guest_fetch_insn(&cpu, read_gpa, NULL, buf, &got), 0);
    assert_int_equal(got, 8);
    assert_memory_equal(buf, code, sizeof(code));
}

/* Why a fetch failed, in words: the real cause, not "cannot decode". */
static void test_fetch_explain(void **state)
{
    (void)state;
    char text[200];
    uint8_t buf[15];
    size_t got;

    /* 5-level paging: the walk refuses, the text names LA57 */
    struct guest_cpu_state cpu = cpu_state(PG32WP, 0x20000, CR4_PAE | CR4_LA57, LMA,
                                           ATTR_CODE64, 0, 0x1234, 0);
    int err = guest_fetch_insn(&cpu, read_gpa, NULL, buf, &got);
    assert_int_equal(err, -ENOTSUP);
    guest_fetch_explain(&cpu, err, read_gpa, NULL, text, sizeof(text));
    assert_non_null(strstr(text, "5-level paging (CR4.LA57)"));

    /* 32-bit paging: the PDE for 0xA000 is present, its PTE is not */
    cpu = cpu_state(PG32WP, 0x1000, 0, 0, ATTR_CODE32, 0, 0xA000, 0);
    err = guest_fetch_insn(&cpu, read_gpa, NULL, buf, &got);
    assert_int_equal(err, -EFAULT);
    guest_fetch_explain(&cpu, err, read_gpa, NULL, text, sizeof(text));
    assert_non_null(strstr(text, "#PF at linear 0xa000"));
    assert_non_null(strstr(text, "not present in the PTE"));

    /* long mode, NX: a protection fault at the leaf */
    cpu = cpu_state(PG32WP, 0x20000, CR4_PAE, LMA | EFER_NXE, ATTR_CODE64, 0, 0x2000, 0);
    err = guest_fetch_insn(&cpu, read_gpa, NULL, buf, &got);
    assert_int_equal(err, -EFAULT);
    guest_fetch_explain(&cpu, err, read_gpa, NULL, text, sizeof(text));
    assert_non_null(strstr(text, "access not allowed"));

    /* non-canonical RIP */
    cpu = cpu_state(PG32WP, 0x20000, CR4_PAE, LMA, ATTR_CODE64, 0, 0x0000800000000000ull, 0);
    err = guest_fetch_insn(&cpu, read_gpa, NULL, buf, &got);
    assert_int_equal(err, -EINVAL);
    guest_fetch_explain(&cpu, err, read_gpa, NULL, text, sizeof(text));
    assert_non_null(strstr(text, "not canonical"));

    /* a read error (page outside the fake memory) */
    guest_fetch_explain(&cpu, -EIO, read_gpa, NULL, text, sizeof(text));
    assert_non_null(strstr(text, "error -5"));
    /* never longer than asked */
    guest_fetch_explain(&cpu, -EINVAL, read_gpa, NULL, text, 8);
    assert_int_equal(strlen(text), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_translate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_does_not_write, setup, teardown),
        cmocka_unit_test(test_paging_from_cpu),
        cmocka_unit_test(test_insn_linear),
        cmocka_unit_test_setup_teardown(test_fetch_real_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_straddle_unmapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_straddle_mapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_long_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_explain, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
