/* GET-backed PAM ranges; see pam_get.h. */
#include "drivers/vdev/chipset/pam_get.h"
#include "drivers/vdev/chipset/pam_faithful.h"

#include <errno.h>
#include <string.h>

const struct pam_bios_bound pam_bios_bounds[PAM_RANGE_COUNT] = {
    { 0xF0000, 0x10000, 0x2000, PAM_KIND_SYSTEM_BIOS },   /* top 8 KiB stays RAM */
    { 0xC0000, 0x4000, 0, PAM_KIND_VGA_BIOS },
    { 0xC4000, 0x4000, 0, PAM_KIND_VGA_BIOS },
    { 0xC8000, 0x4000, 0, PAM_KIND_VGA_BIOS_TSR },
    { 0xCC000, 0x4000, 0, PAM_KIND_NONE },
    { 0xD0000, 0x4000, 0, PAM_KIND_NONE },
    { 0xD4000, 0x4000, 0, PAM_KIND_NONE },
    { 0xD8000, 0x4000, 0, PAM_KIND_NONE },
    { 0xDC000, 0x4000, 0, PAM_KIND_NONE },
    { 0xE0000, 0x4000, 0, PAM_KIND_SYSTEM_BIOS },
    { 0xE4000, 0x4000, 0, PAM_KIND_SYSTEM_BIOS },
    { 0xE8000, 0x4000, 0, PAM_KIND_SYSTEM_BIOS },
    { 0xEC000, 0x4000, 0, PAM_KIND_SYSTEM_BIOS },
};

const char *pam_bios_kind_name(enum pam_bios_kind kind)
{
    switch (kind) {
    case PAM_KIND_NONE: return "none";
    case PAM_KIND_SYSTEM_BIOS: return "system-bios";
    case PAM_KIND_VGA_BIOS: return "vga-bios";
    case PAM_KIND_VGA_BIOS_TSR: return "vga-bios-tsr";
    default: return "?";
    }
}

const char *pam_get_rules_name(enum pam_get_rules rules)
{
    switch (rules) {
    case PAM_RULES_OPENHCL: return "openhcl";
    case PAM_RULES_FAITHFUL: return "faithful";
    default: return "?";
    }
}

void pam_get_init_rules(struct pam_get *pg, enum pam_get_rules rules, uint32_t base_slot,
                        uint64_t rom_bios_offset, uint64_t firmware_low_start,
                        const struct pam_get_ops *ops)
{
    memset(pg, 0, sizeof(*pg));
    pg->rules = (uint8_t)rules;
    pg->base_slot = base_slot;
    pg->rom_bios_offset = rom_bios_offset;
    pg->firmware_low_start = firmware_low_start;
    pg->ops = *ops;
}

void pam_get_init(struct pam_get *pg, uint32_t base_slot, uint64_t rom_bios_offset,
                  const struct pam_get_ops *ops)
{
    pam_get_init_rules(pg, PAM_RULES_OPENHCL, base_slot, rom_bios_offset, 0, ops);
}

static struct pam_handle handle(uint64_t gpa, uint64_t len, uint64_t offset, bool rom)
{
    return (struct pam_handle){ .valid = true, .gpa = gpa, .len = len, .gpa_offset = offset, .rom = rom };
}

struct pam_handle pam_get_desired(const struct pam_bios_bound *b, enum gpa_state state,
                                  uint64_t rom_bios_offset)
{
    const struct pam_handle none = { .valid = false };
    switch (state) {
    case GPA_STATE_MMIO:
        if (b->kind == PAM_KIND_VGA_BIOS_TSR)
            return none;                                     /* stays RW RAM */
        if (b->kind == PAM_KIND_SYSTEM_BIOS)
            return handle(b->start, b->size, b->start + rom_bios_offset, true);
        return handle(b->start, b->size, b->start, true);    /* VGA BIOS, none: identity ROM */
    case GPA_STATE_WRITE_PROTECTED:
        return handle(b->start, b->size - b->leave_writable, b->start, true);
    case GPA_STATE_WRITE_ONLY:   /* treated as Writable by the caller */
    case GPA_STATE_WRITABLE:
    default:
        if (b->kind == PAM_KIND_VGA_BIOS || b->kind == PAM_KIND_VGA_BIOS_TSR)
            /* OpenHCL's "gross kludge": POST writes over C0000-CBFFF, so the range is
             * backed by the high copy and the VGA BIOS contents survive. */
            return handle(b->start, b->size, b->start + rom_bios_offset, false);
        return none;                                         /* the catch-all RAM */
    }
}

static bool same(const struct pam_handle *a, const struct pam_handle *b)
{
    if (!a->valid || !b->valid)
        return a->valid == b->valid;
    return a->gpa == b->gpa && a->len == b->len && a->gpa_offset == b->gpa_offset && a->rom == b->rom;
}

static void warn(struct pam_get *pg, const char *what, unsigned index, long value)
{
    if (pg->ops.warn)
        pg->ops.warn(pg->ops.ctx, what, index, value);
}

void pam_get_adjust(struct pam_get *pg, const struct pam_range *range, enum gpa_state state)
{
    if (range->start == VGA_WINDOW_START && range->end == VGA_WINDOW_END) {
        if (state != GPA_STATE_MMIO)
            warn(pg, "VGA window not MMIO", PAM_RANGE_COUNT, state);
        pg->stats.skipped++;
        return;
    }
    unsigned index = PAM_RANGE_COUNT;
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++) {
        if (pam_bios_bounds[i].start == range->start &&
            pam_bios_bounds[i].start + pam_bios_bounds[i].size == range->end) {
            index = i;
            break;
        }
    }
    if (index == PAM_RANGE_COUNT) {
        pg->stats.bad_ranges++;
        warn(pg, "adjust for a range outside the PAM table", PAM_RANGE_COUNT, (long)range->start);
        return;
    }
    struct pam_handle want;
    if (pg->rules == PAM_RULES_FAITHFUL) {
        /* WriteOnly: the local backend's Unmapped/ReadOnly, as for Mmio (pam_faithful.h). */
        if (state == GPA_STATE_WRITE_ONLY)
            pg->stats.write_only++;
        want = pam_faithful_desired(range, state, pg->rom_bios_offset, pg->firmware_low_start);
    } else {
        if (state == GPA_STATE_WRITE_ONLY) {
            pg->stats.write_only++;
            warn(pg, "WriteOnly treated as Writable", index, state);
            state = GPA_STATE_WRITABLE;
        }
        want = pam_get_desired(&pam_bios_bounds[index], state, pg->rom_bios_offset);
    }
    struct pam_handle *slot = &pg->slots[index];
    uint32_t slot_id = pg->base_slot + index;
    if (same(slot, &want)) {
        pg->stats.skipped++;
        return;
    }
    if (slot->valid) {
        /* Reset before create: the old mapping goes first, whatever the reset says. */
        *slot = (struct pam_handle){ .valid = false };
        pg->stats.resets++;
        int err = pg->ops.reset(pg->ops.ctx, slot_id);
        if (err) {
            pg->stats.reset_failures++;
            warn(pg, "RESET_RAM_GPA_RANGE failed", index, err);
        }
        pg->ops.applied(pg->ops.ctx, index, slot_id, slot);
    }
    if (!want.valid)
        return;
    uint32_t status = 0;
    pg->stats.creates++;
    int err = pg->ops.create(pg->ops.ctx, slot_id, want.gpa, want.len, want.gpa_offset, want.rom,
                             &status);
    if (err || status != PAM_GET_STATUS_SUCCESS) {
        /* The slot stays empty: VTL0 sees what the other layers give. */
        pg->stats.create_failures++;
        if (err == -ETIMEDOUT)
            pg->stats.create_timeouts++;
        if (!err)
            pg->stats.last_status = status;
        warn(pg, err ? "CREATE_RAM_GPA_RANGE got no answer" : "CREATE_RAM_GPA_RANGE refused",
             index, err ? err : (long)status);
        return;
    }
    *slot = want;
    pg->ops.applied(pg->ops.ctx, index, slot_id, slot);
}

void pam_get_set_state(struct pam_get *pg, enum pam_get_rules rules, uint32_t base_slot,
                       const struct pam_handle slots[PAM_RANGE_COUNT])
{
    /* The slots were made by the saved rules: keep making them by those. */
    pg->rules = (uint8_t)rules;
    pg->base_slot = base_slot;
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++) {
        pg->slots[i] = slots[i].valid ? slots[i] : (struct pam_handle){ .valid = false };
        if (pg->slots[i].valid)
            pg->ops.applied(pg->ops.ctx, i, pg->base_slot + i, &pg->slots[i]);
    }
}
