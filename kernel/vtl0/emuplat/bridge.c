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

/* Unit "chipset.i440bx": the bridge's registers with the PAM backend and its slots. */
static const struct vtl0_device_ops bridge_unit_ops = { .reset = bridge_reset };

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
    i440bx_init(&b->dev, device_id, &dev_ops, false);
    vtl0_pci_add_function(p, &fn);
    b->unit = (struct vtl0_device){ .name = "chipset.i440bx", .ops = &bridge_unit_ops, .ctx = b };
    (void)vtl0_add_device(p, &b->unit);
}
