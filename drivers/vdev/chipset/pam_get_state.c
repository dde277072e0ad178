/* The GET-backed PAM ranges' saved state; see pam_get.h and docs/saved-state.md. */
#include "drivers/vdev/chipset/pam_get.h"

#include <errno.h>

#include "kernel/lib/pb_codec.h"
#include "pam_get.pb.h"

typedef underhill_emuplat_i440bx_host_pci_bridge_SavedState pam_get_msg;
typedef underhill_emuplat_i440bx_host_pci_bridge_SavedHandle pam_get_handle_msg;

_Static_assert(underhill_emuplat_i440bx_host_pci_bridge_SavedState_size <= PAM_GET_STATE_MAX_LEN,
               "PAM_GET_STATE_MAX_LEN covers the largest encoding");

int pam_get_save_state(const struct pam_get *pg, uint8_t *buf, size_t cap, size_t *len)
{
    pam_get_msg m = underhill_emuplat_i440bx_host_pci_bridge_SavedState_init_zero;
    m.base_slot = pg->base_slot;
    m.rules = pg->rules;
    /* mesh writes a fixed array even when every element is None: always 13 elements. */
    m.has_handles = true;
    m.handles.element_count = PAM_RANGE_COUNT;
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++) {
        const struct pam_handle *h = &pg->slots[i];
        if (!h->valid)
            continue;
        m.handles.element[i].has_value = true;
        m.handles.element[i].value = (pam_get_handle_msg){
            .remote_handle = pg->base_slot + i,
            .has_range = true,
            .range = { .start = h->gpa, .end = h->gpa + h->len },
            .gpa_offset = h->gpa_offset,
            .is_rom = h->rom,
        };
    }
    return pb_codec_encode(underhill_emuplat_i440bx_host_pci_bridge_SavedState_fields, &m, buf, cap,
                           len);
}

int pam_get_restore_state(struct pam_get *pg, const uint8_t *buf, size_t len)
{
    pam_get_msg m;
    if (pb_codec_decode(underhill_emuplat_i440bx_host_pci_bridge_SavedState_fields, &m, buf, len) != 0)
        return -EINVAL;
    /* mesh: a fixed array must be there and have exactly its length. */
    if (!m.has_handles || m.handles.element_count != PAM_RANGE_COUNT || m.rules >= PAM_RULES_COUNT)
        return -EINVAL;
    struct pam_handle slots[PAM_RANGE_COUNT];
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++) {
        const pam_get_handle_msg *h = &m.handles.element[i].value;
        const struct pam_bios_bound *b = &pam_bios_bounds[i];
        slots[i] = (struct pam_handle){ .valid = false };
        if (!m.handles.element[i].has_value)
            continue;
        if (!h->has_range || h->remote_handle != m.base_slot + i || h->range.start != b->start ||
            h->range.end <= h->range.start || h->range.end - h->range.start > b->size)
            return -EINVAL;
        slots[i] = (struct pam_handle){
            .valid = true, .gpa = h->range.start, .len = h->range.end - h->range.start,
            .gpa_offset = h->gpa_offset, .rom = h->is_rom,
        };
    }
    pam_get_set_state(pg, (enum pam_get_rules)m.rules, m.base_slot, slots);
    return 0;
}
