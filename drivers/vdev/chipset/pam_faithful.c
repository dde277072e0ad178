/* The faithful GET-backed PAM rules; see pam_faithful.h. */
#include "drivers/vdev/chipset/pam_faithful.h"

static bool shows_firmware(const struct pam_range *range, uint64_t firmware_low_start)
{
    return range->start >= firmware_low_start;
}

struct pam_handle pam_faithful_desired(const struct pam_range *range, enum gpa_state state,
                                       uint64_t rom_bios_offset, uint64_t firmware_low_start)
{
    const uint64_t len = range->end - range->start;
    switch (pam_local_visibility(range, state)) {
    case GPA_READ_WRITE:
        return (struct pam_handle){ .valid = false };
    case GPA_UNMAPPED:
        if (shows_firmware(range, firmware_low_start))
            return (struct pam_handle){ .valid = true, .gpa = range->start, .len = len,
                                        .gpa_offset = rom_bios_offset + range->start,
                                        .rom = true };
        /* Nothing behind it locally: the closest a GPA range gets is read-only RAM. */
        /* fall through */
    case GPA_READ_ONLY:
    default:
        return (struct pam_handle){ .valid = true, .gpa = range->start, .len = len,
                                    .gpa_offset = range->start, .rom = true };
    }
}

bool pam_faithful_exact(const struct pam_range *range, enum gpa_state state,
                        uint64_t firmware_low_start)
{
    return pam_local_visibility(range, state) != GPA_UNMAPPED ||
           shows_firmware(range, firmware_low_start);
}
