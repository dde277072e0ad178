/*
 * Test-only boot options (docs/boot-contract.md): take a CPU exception or end the machine
 * in a chosen way, so the harness can prove it reports each outcome correctly.
 */
#ifndef MEZZ_KERNEL_TEST_HOOKS_H
#define MEZZ_KERNEL_TEST_HOOKS_H

#include "kernel/core/cmdline.h"

/* Address the page-fault hook reads: never mapped in VTL2's address space. */
#define TEST_UNMAPPED_ADDRESS 0x000000000DEAD000ull
/* Non-canonical: bits 63:47 are not all equal, so any access is #GP. */
#define TEST_NONCANONICAL_ADDRESS 0x8000000000000000ull

void test_hooks_run(const struct boot_options *opts);

#endif
