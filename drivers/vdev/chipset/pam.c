/* PAM decoding and local visibility; see pam.h. */
#include "drivers/vdev/chipset/pam.h"

const struct pam_range pam_ranges[PAM_RANGE_COUNT] = {
    { 0xF0000, 0x100000 },
    { 0xC0000, 0xC4000 }, { 0xC4000, 0xC8000 }, { 0xC8000, 0xCC000 }, { 0xCC000, 0xD0000 },
    { 0xD0000, 0xD4000 }, { 0xD4000, 0xD8000 }, { 0xD8000, 0xDC000 }, { 0xDC000, 0xE0000 },
    { 0xE0000, 0xE4000 }, { 0xE4000, 0xE8000 }, { 0xE8000, 0xEC000 }, { 0xEC000, 0xF0000 },
};

void pam_decode(uint32_t reg1, uint32_t reg2, enum gpa_state out[PAM_RANGE_COUNT])
{
    uint64_t reg = ((uint64_t)reg2 << 32) | reg1;
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++)
        out[i] = (enum gpa_state)((reg >> ((i + 3) * 4)) & 3);
}

/* OpenVMM: "our SVGABIOS expects to be able to write in this segment". */
#define SVGABIOS_TSR_START 0xC8000ull
/* OpenVMM: "let reads of unused ranges go to RAM to avoid emulation". */
#define UNUSED_ROM_START   0xCC000ull
#define UNUSED_ROM_END     0xE0000ull

enum gpa_visibility pam_local_visibility(const struct pam_range *range, enum gpa_state state)
{
    switch (state) {
    case GPA_STATE_WRITABLE:
        return GPA_READ_WRITE;
    case GPA_STATE_WRITE_PROTECTED:
        return range->start == SVGABIOS_TSR_START ? GPA_READ_WRITE : GPA_READ_ONLY;
    case GPA_STATE_WRITE_ONLY:
    case GPA_STATE_MMIO:
    default:
        if (range->start < UNUSED_ROM_END && UNUSED_ROM_START < range->end)
            return GPA_READ_ONLY;
        return GPA_UNMAPPED;
    }
}

const char *gpa_state_name(enum gpa_state state)
{
    switch (state) {
    case GPA_STATE_MMIO: return "mmio";
    case GPA_STATE_WRITE_PROTECTED: return "write-protected";
    case GPA_STATE_WRITE_ONLY: return "write-only";
    case GPA_STATE_WRITABLE: return "writable";
    default: return "?";
    }
}
