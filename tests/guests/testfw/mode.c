/*
 * Mode switches, one step at a time: real <-> protected <-> long. The steps themselves
 * are in the entry files (entry16.S, entry32.S, entry64.S); each arrives in fw_warm.
 */
#include "tests/guests/testfw/fw.h"

#if FW_BITS == 16
NORETURN void fw16_to_prot(void);

NORETURN void mode_step(void)
{
    fw16_to_prot();
}
#endif

#if FW_BITS == 32
NORETURN void fw32_to_long(uint32_t pml4);
NORETURN void fw32_to_real(void);

#define CPUID_1_EDX_PAE         (1u << 6)
#define CPUID_80000001_EDX_LM   (1u << 29)

/* Long mode needs PAE and LM (AMD APM vol. 2, "Enabling and Activating Long Mode"). */
static bool long_mode_supported(void)
{
    uint32_t r[4];
    cpu_cpuid(1, 0, r);
    if (!(r[3] & CPUID_1_EDX_PAE))
        return false;
    cpu_cpuid(0x80000000, 0, r);
    if (r[0] < 0x80000001)
        return false;
    cpu_cpuid(0x80000001, 0, r);
    return (r[3] & CPUID_80000001_EDX_LM) != 0;
}

NORETURN void mode_step(void)
{
    if (FW_STATE->target_mode == TESTDEV_MODE_REAL)
        fw32_to_real();
    if (!long_mode_supported()) {
        report_fail1(FW_STATE->tag, TESTDEV_FAIL_UNSUPPORTED, TESTDEV_MODE_LONG);
        FW_STATE->target_mode = TESTDEV_MODE_PROT;
        interp_run();
    }
    paging_build();
    fw32_to_long(FW_PT_BASE);
}
#endif

#if FW_BITS == 64
NORETURN void fw64_to_prot(void);

NORETURN void mode_step(void)
{
    fw64_to_prot();
}
#endif
