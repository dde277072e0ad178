/* VTL0's host bridge and its PAM backends; see vtl0_bridge.h. */
#include "kernel/vtl0/emuplat/bridge.h"

#include <stdio.h>

#include "arch/x86_64/cpu/cpu.h"
#include "kernel/host/get_instance.h"
#include "get/protocol.h"
#include "kernel/core/inspect.h"
#include "kernel/lib/log.h"
#include "kernel/vtl0/partition_priv.h"

#define BRIDGE_BDF PCI_BDF(0, 0, 0)
#define PAM_BASE_SLOT 0   /* OpenHCL: "TODO: improve slot range allocation" */

/* ---- GET-backed backend -------------------------------------------------------------- */

static int get_create(void *ctx, uint32_t slot, uint64_t gpa, uint64_t len, uint64_t gpa_offset,
                      bool rom, uint32_t *status)
{
    struct vtl0_bridge *b = ctx;
    log_debug("pam", "CREATE_RAM_GPA_RANGE slot %u gpa 0x%llx len 0x%llx offset 0x%llx%s", slot,
              (unsigned long long)gpa, (unsigned long long)len, (unsigned long long)gpa_offset,
              rom ? " rom" : "");
    uint64_t t0 = rdtsc();
    int err = get_create_ram_gpa_range(b->p->get, slot, gpa, len, gpa_offset,
                                       rom ? GET_GPA_FLAG_ROM_MB : 0, 0, status);
    b->get_call_tsc += rdtsc() - t0;
    return err;
}

static int get_reset(void *ctx, uint32_t slot)
{
    struct vtl0_bridge *b = ctx;
    log_debug("pam", "RESET_RAM_GPA_RANGE slot %u", slot);
    uint64_t t0 = rdtsc();
    int err = get_reset_ram_gpa_range(b->p->get, slot, 0);
    b->get_call_tsc += rdtsc() - t0;
    return err;
}

/* Enforcement: the host said yes (or the slot was reset): VTL0's view follows. */
static void get_applied(void *ctx, unsigned index, uint32_t slot, const struct pam_handle *h)
{
    struct vtl0_bridge *b = ctx;
    struct gpa_map *map = &b->p->gpa;
    (void)index;
    if (!h->valid) {
        (void)gpa_map_clear_override(map, slot);
        return;
    }
    int err = gpa_map_set_override(map, slot, h->gpa, h->len, h->gpa_offset, !h->rom);
    if (err) {
        b->map_errors++;
        log_error("pam", "slot %u: GPA map refused gpa 0x%llx len 0x%llx offset 0x%llx (%d)", slot,
                  (unsigned long long)h->gpa, (unsigned long long)h->len,
                  (unsigned long long)h->gpa_offset, err);
    }
}

static void get_warn(void *ctx, const char *what, unsigned index, long value)
{
    (void)ctx;
    log_warn("pam", "%s (range %u, %ld)", what, index, value);
}

/* ---- local backend --------------------------------------------------------------------- */

static void local_adjust(struct vtl0_bridge *b, const struct pam_range *range, enum gpa_state state)
{
    enum gpa_visibility vis = range->start == VGA_WINDOW_START ? GPA_UNMAPPED
                                                               : pam_local_visibility(range, state);
    if (gpa_map_set_visibility(&b->p->gpa, range->start, range->end, vis) != 0)
        b->map_errors++;
}

/* ---- the bridge -------------------------------------------------------------------------- */

static void adjust(void *ctx, const struct pam_range *range, enum gpa_state state)
{
    struct vtl0_bridge *b = ctx;
    /* Not while a servicing restore replays all 13 ranges with VTL0 stopped (a line
     * each was ~3 us of the blackout); inspect "partition/pam" shows what it restored. */
    if (!b->p->restoring)
        log_debug("pam", "adjust 0x%05llx-0x%05llx %s", (unsigned long long)range->start,
                  (unsigned long long)(range->end - 1), gpa_state_name(state));
    if (b->get_backed)
        pam_get_adjust(&b->get, range, state);
    else
        local_adjust(b, range, state);
}

static uint32_t config_read(void *ctx, unsigned offset, unsigned size)
{
    struct vtl0_bridge *b = ctx;
    return i440bx_config_read(&b->dev, offset, size);
}

static void config_write(void *ctx, unsigned offset, unsigned size, uint32_t value)
{
    struct vtl0_bridge *b = ctx;
    bool pam = offset < I440BX_PAM_REG2 + 4 && offset + size > I440BX_PAM_REG1 + 1;
    i440bx_config_write(&b->dev, offset, size, value);
    if (pam)
        log_info("pam", "write 0x%02x <- 0x%0*x: reg1 0x%08x reg2 0x%08x", offset, (int)size * 2,
                 value, b->dev.st.pam_reg1, b->dev.st.pam_reg2);
}

static void bridge_reset(void *ctx)
{
    struct vtl0_bridge *b = ctx;
    i440bx_reset(&b->dev);
}

static int bridge_save(const void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
    return i440bx_save_state(&((const struct vtl0_bridge *)ctx)->dev, buf, cap, len);
}

/* Adjusts all 13 ranges to the restored registers: GET-backed, the slots restored just
 * before make that a no-op for every range that did not change (skip-if-unchanged), so a
 * restore sends the host nothing (SPEC section 9). */
static int bridge_restore(void *ctx, const uint8_t *buf, size_t len)
{
    return i440bx_restore_state(&((struct vtl0_bridge *)ctx)->dev, buf, len);
}

/* The slots follow the bridge: its reset adjusts every range, which resets the slots
 * through the host. Nothing of their own to reset. */
static void pam_slots_reset(void *ctx)
{
    (void)ctx;
}

static int pam_slots_save(const void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
    return pam_get_save_state(&((const struct vtl0_bridge *)ctx)->get, buf, cap, len);
}

static void ignore_applied(void *ctx, unsigned index, uint32_t slot, const struct pam_handle *h)
{
    (void)ctx, (void)index, (void)slot, (void)h;
}

/*
 * A new instance knows nothing of the host's slots: it takes the table from the blob
 * (the host kept it across servicing) and puts each range back in the GPA map, without a
 * call. A live instance's table is the host's already (a reset in a save/restore pulse
 * reset the host's slots too): it checks the blob the same way but keeps its table, and
 * the bridge's restore, which follows, brings host and table to the saved registers
 * through OpenHCL's rules -- creating only what the reset removed.
 */
static int pam_slots_restore(void *ctx, const uint8_t *buf, size_t len)
{
    struct vtl0_bridge *b = ctx;
    if (!b->host_slots_known)
        return pam_get_restore_state(&b->get, buf, len);
    struct pam_get check = b->get;
    check.ops.applied = ignore_applied;
    return pam_get_restore_state(&check, buf, len);
}

/* Unit "i440bx": the bridge's registers and the PAM backend it runs. */
static const struct vtl0_device_ops bridge_unit_ops = {
    .reset = bridge_reset, .save = bridge_save, .restore = bridge_restore,
};
/* Unit "pam_get": the RAM GPA range slots, as OpenHCL's GetBackedAdjustGpaRange saves them. */
static const struct vtl0_device_ops pam_slots_ops = {
    .reset = pam_slots_reset, .save = pam_slots_save, .restore = pam_slots_restore,
};

void vtl0_bridge_inspect_slots(struct inspect_writer *w, const struct vtl0_bridge *b)
{
    char name[12];
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++) {
        const struct pam_handle *h = &b->get.slots[i];
        if (!h->valid)
            continue;
        snprintf(name, sizeof(name), "%u", b->get.base_slot + i);
        inspect_begin(w, name);
        inspect_hex(w, "gpa", h->gpa);
        inspect_hex(w, "len", h->len);
        inspect_hex(w, "gpa_offset", h->gpa_offset);
        inspect_bool(w, "rom", h->rom);
        inspect_end(w);
    }
}

static void inspect_slots(struct inspect_writer *w, void *ctx)
{
    vtl0_bridge_inspect_slots(w, ctx);
}

const char *pam_backend_name(const struct vtl0_bridge *b)
{
    return b->get_backed ? pam_get_rules_name((enum pam_get_rules)b->get.rules) : "local";
}

void vtl0_bridge_init(struct vtl0_bridge *b, struct partition *p, enum pam_backend backend,
                      uint16_t device_id)
{
    const struct pam_get_ops get_ops = {
        .create = get_create, .reset = get_reset, .applied = get_applied, .warn = get_warn, .ctx = b,
    };
    const struct i440bx_ops dev_ops = { .adjust = adjust, .ctx = b };
    const struct vtl0_pci_function fn = {
        .bdf = BRIDGE_BDF, .read = config_read, .write = config_write, .ctx = b,
    };

    b->p = p;
    b->map_errors = 0;
    /* A cold boot: the host has no slot of ours yet, and every change goes through it.
     * (A new instance restoring after servicing starts with this false.) */
    b->host_slots_known = !p->restoring;
    b->get_call_tsc = 0;
    b->get_backed = backend == PAM_BACKEND_OPENHCL || backend == PAM_BACKEND_FAITHFUL ||
                    (backend == PAM_BACKEND_AUTO && get_is_up(p->get));
    enum pam_get_rules rules = backend == PAM_BACKEND_FAITHFUL ? PAM_RULES_FAITHFUL
                                                               : PAM_RULES_OPENHCL;
    pam_get_init_rules(&b->get, rules, PAM_BASE_SLOT, p->rom_bios_offset,
                       p->firmware_low_start, &get_ops);
    log_info("pam", "i440BX PAM backend: %s", !b->get_backed ? "local (RAM visibility)"
             : rules == PAM_RULES_FAITHFUL ? "faithful (host slots, the local view)"
                                           : "openhcl (host slots, OpenHCL's rules)");
    if (b->get_backed)
        get_set_slot_table_inspect(p->get, inspect_slots, b);
    log_info("pam", "host bridge at 00:00.0: 8086:%04x", device_id);
    i440bx_init(&b->dev, device_id, &dev_ops, p->restoring);
    b->dev.pam_backend = !b->get_backed ? I440BX_PAM_LOCAL                       /* saved */
                       : rules == PAM_RULES_FAITHFUL ? I440BX_PAM_FAITHFUL : I440BX_PAM_OPENHCL;
    vtl0_pci_add_function(p, &fn);
    /* The slots restore before the registers that adjust them (registration order). */
    b->slots_unit = (struct vtl0_device){ .name = PAM_GET_STATE_UNIT, .type_url = PAM_GET_STATE_TYPE_URL,
                                          .ops = &pam_slots_ops, .ctx = b };
    b->unit = (struct vtl0_device){ .name = I440BX_STATE_UNIT, .type_url = I440BX_STATE_TYPE_URL,
                                    .ops = &bridge_unit_ops, .ctx = b };
    (void)vtl0_add_device(p, &b->slots_unit);
    (void)vtl0_add_device(p, &b->unit);
}
