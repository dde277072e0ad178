/* The GET-backed PAM ranges' saved state; see pam_get.h and docs/saved-state.md. */
#include "drivers/vdev/chipset/pam_get.h"

#include <errno.h>

#include "kernel/lib/pb_codec.h"
#include "kernel/lib/pb_write.h"
#include "pam_get.pb.h"

typedef underhill_emuplat_i440bx_host_pci_bridge_SavedState pam_get_msg;
typedef underhill_emuplat_i440bx_host_pci_bridge_SavedHandle pam_get_handle_msg;

_Static_assert(underhill_emuplat_i440bx_host_pci_bridge_SavedState_size <= PAM_GET_STATE_MAX_LEN,
               "PAM_GET_STATE_MAX_LEN covers the largest encoding");

/*
 * The encoder is written out rather than nanopb's (kernel/lib/pb_write.h): nanopb sizes
 * every submessage with a pass of its own before writing it, and this message nests four
 * deep (SavedState > Handles > OptionalHandle > SavedHandle > MemoryRange), so each
 * range was encoded 16 times -- ~0.1 ms under TCG in the servicing save, with VTL0
 * stopped. Here the lengths are computed bottom-up, then every byte is written once. The
 * field numbers are the generated ones (pam_get.pb.h, memory_range.pb.h); test_pam_get.c
 * checks the bytes against nanopb's for many states.
 */
#define K_BASE_SLOT PB_KEY(underhill_emuplat_i440bx_host_pci_bridge_SavedState_base_slot_tag, PB_WIRE_VARINT)
#define K_HANDLES   PB_KEY(underhill_emuplat_i440bx_host_pci_bridge_SavedState_handles_tag, PB_WIRE_LEN)
#define K_RULES     PB_KEY(underhill_emuplat_i440bx_host_pci_bridge_SavedState_rules_tag, PB_WIRE_VARINT)
#define K_ELEMENT   PB_KEY(underhill_emuplat_i440bx_host_pci_bridge_Handles_element_tag, PB_WIRE_LEN)
#define K_VALUE     PB_KEY(underhill_emuplat_i440bx_host_pci_bridge_OptionalHandle_value_tag, PB_WIRE_LEN)
#define K_REMOTE    PB_KEY(underhill_emuplat_i440bx_host_pci_bridge_SavedHandle_remote_handle_tag, PB_WIRE_VARINT)
#define K_RANGE     PB_KEY(underhill_emuplat_i440bx_host_pci_bridge_SavedHandle_range_tag, PB_WIRE_LEN)
#define K_OFFSET    PB_KEY(underhill_emuplat_i440bx_host_pci_bridge_SavedHandle_gpa_offset_tag, PB_WIRE_VARINT)
#define K_IS_ROM    PB_KEY(underhill_emuplat_i440bx_host_pci_bridge_SavedHandle_is_rom_tag, PB_WIRE_VARINT)
#define K_START     PB_KEY(topology_MemoryRange_start_tag, PB_WIRE_VARINT)
#define K_END       PB_KEY(topology_MemoryRange_end_tag, PB_WIRE_VARINT)

/* One slot's SavedHandle, as the old encoder filled it. */
struct handle_fields {
    uint32_t remote_handle;
    uint64_t start, end, gpa_offset;
    bool rom;
    size_t range_len, len;
};

static void handle_fields(const struct pam_get *pg, unsigned i, struct handle_fields *f)
{
    const struct pam_handle *h = &pg->slots[i];
    f->remote_handle = pg->base_slot + i;
    f->start = h->gpa;
    f->end = h->gpa + h->len;
    f->gpa_offset = h->gpa_offset;
    f->rom = h->rom;
    f->range_len = pb_scalar_len(K_START, f->start) + pb_scalar_len(K_END, f->end);
    f->len = pb_scalar_len(K_REMOTE, f->remote_handle) + pb_nested_len(K_RANGE, f->range_len) +
             pb_scalar_len(K_OFFSET, f->gpa_offset) + pb_scalar_len(K_IS_ROM, f->rom);
}

int pam_get_save_state(const struct pam_get *pg, uint8_t *buf, size_t cap, size_t *len)
{
    struct handle_fields f[PAM_RANGE_COUNT];
    size_t handles_len = 0;
    /* mesh writes a fixed array even when every element is None: always 13 elements, an
     * empty OptionalHandle for None. */
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++) {
        size_t element_len = 0;
        if (pg->slots[i].valid) {
            handle_fields(pg, i, &f[i]);
            element_len = pb_nested_len(K_VALUE, f[i].len);
        }
        handles_len += pb_nested_len(K_ELEMENT, element_len);
    }
    size_t total = pb_scalar_len(K_BASE_SLOT, pg->base_slot) + pb_nested_len(K_HANDLES, handles_len) +
                   pb_scalar_len(K_RULES, pg->rules);
    if (total > cap)
        return -ENOSPC;
    uint8_t *p = buf;
    p = pb_put_scalar(p, K_BASE_SLOT, pg->base_slot);
    p = pb_put_nested(p, K_HANDLES, handles_len);
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++) {
        if (!pg->slots[i].valid) {
            p = pb_put_nested(p, K_ELEMENT, 0);
            continue;
        }
        p = pb_put_nested(p, K_ELEMENT, pb_nested_len(K_VALUE, f[i].len));
        p = pb_put_nested(p, K_VALUE, f[i].len);
        p = pb_put_scalar(p, K_REMOTE, f[i].remote_handle);
        p = pb_put_nested(p, K_RANGE, f[i].range_len);
        p = pb_put_scalar(p, K_START, f[i].start);
        p = pb_put_scalar(p, K_END, f[i].end);
        p = pb_put_scalar(p, K_OFFSET, f[i].gpa_offset);
        p = pb_put_scalar(p, K_IS_ROM, f[i].rom);
    }
    p = pb_put_scalar(p, K_RULES, pg->rules);
    *len = (size_t)(p - buf);
    return 0;
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
