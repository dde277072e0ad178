/*
 * VTL0's port I/O policy (SPEC section 5): QEMU's legacy devices are reached directly
 * (their ports are clear in the I/O permission map) except the ports listed in
 * port_handlers[], which exit and are emulated or filtered here.
 */
#include <errno.h>
#include <string.h>

#include "arch/x86_64/cpu/cpu.h"
#include "arch/x86_64/decode/guest_walk.h"
#include "arch/x86_64/decode/insn_decode.h"
#include "arch/x86_64/cpu/trap_dump.h"
#include "drivers/hw/piix_regs.h"
#include "kernel/core/console.h"
#include "kernel/core/inspect.h"
#include "kernel/lib/log.h"
#include "kernel/vtl0/partition_priv.h"
#include "mm/vtl2_space.h"


/* Keyboard controller (8042). */
#define KBC_DATA            0x60
#define KBC_COMMAND         0x64
#define KBC_CMD_PULSE_RESET  0xFE
#define KBC_OUT_RESET_N     0x01     /* output port bit 0: 0 resets the CPU */
#define KBC_OUT_A20         0x02

/* System control port A (PS/2): bit 0 fast reset, bit 1 A20. */
#define PORT92              0x92

#define DEBUGCON_PORT       0x402
#define DEBUGCON_READBACK   0xE9     /* what SeaBIOS expects back from QEMU's debugcon */

#define STRING_IO_MAX_PER_EXIT 65536u

typedef void (*port_fn)(struct partition *p, uint16_t port, unsigned size, bool is_write,
                        uint32_t *value);

struct port_handler {
    uint16_t first, count;
    const char *name;
    port_fn fn;
};

/* ---- small devices ----------------------------------------------------------------- */

static void absent_device(struct partition *p, uint16_t port, unsigned size, bool is_write,
                          uint32_t *value)
{
    /* Ports that belong to Mezzanine (its UARTs, QEMU's exit device) or could DMA
     * (the ISA DMA controller): VTL0 finds nothing there. */
    (void)port;
    (void)size;
    p->stats.io_dropped++;
    if (!is_write)
        *value = 0xFFFFFFFFu;
}

/*
 * APM control (SMI_CMD, 0xB2) and status (0xB3). A write to APM control may raise an SMI,
 * which would run VTL0's SMM code outside the partition: no SMI ever happens. But the two
 * values the FADT names for the ACPI handshake (QEMU's FADT: SMI_CMD = 0xB2,
 * ACPI_ENABLE = 0xF1, ACPI_DISABLE = 0xF0) are the chipset's own business: QEMU's PIIX4
 * PM (hw/acpi/piix4.c apm_ctrl_changed -> acpi_pm1_cnt_update) sets or clears
 * PM1a_CNT.SCI_EN for them and returns before its SMI path, as the ACPI spec's "ACPI
 * mode" handshake expects ("Legacy/ACPI Select and the SCI Interrupt"). Mezzanine does
 * the same with a read-modify-write of the real PM1a_CNT wherever VTL0 put the PM I/O
 * base. Everything else on these ports stays absent (reads all-ones, writes dropped).
 */
static void smi_port(struct partition *p, uint16_t port, unsigned size, bool is_write, uint32_t *value)
{
    uint8_t command = (uint8_t)*value;
    if (is_write && port == APM_CNT_PORT && (command == ACPI_ENABLE_CMD || command == ACPI_DISABLE_CMD)) {
        if (p->legacy.st.pm_base == 0) {
            /* No PM I/O space decoded: there is no PM1a_CNT to change. */
            log_warn("vtl0", "ACPI %s through SMI_CMD with the PM I/O space off: ignored",
                     command == ACPI_ENABLE_CMD ? "enable" : "disable");
            p->stats.io_dropped++;
            return;
        }
        uint16_t cnt_port = (uint16_t)(p->legacy.st.pm_base + PM1A_CNT_OFFSET);
        uint16_t cnt = inw(cnt_port);
        /* SLP_EN reads as 0 (write-only); never let the write-back start a sleep. */
        cnt &= (uint16_t)~PM1_CNT_SLP_EN;
        if (command == ACPI_ENABLE_CMD)
            cnt |= PM1_CNT_SCI_EN;
        else
            cnt &= (uint16_t)~PM1_CNT_SCI_EN;
        outw(cnt_port, cnt);
        log_info("vtl0", "ACPI %s through SMI_CMD: PM1a_CNT = 0x%x",
                 command == ACPI_ENABLE_CMD ? "enabled" : "disabled", cnt);
        return;
    }
    absent_device(p, port, size, is_write, value);
}

static void debugcon(struct partition *p, uint16_t port, unsigned size, bool is_write, uint32_t *value)
{
    (void)port;
    (void)size;
    if (!is_write) {
        *value = DEBUGCON_READBACK;
        return;
    }
    char line[LEGACY_DEBUGCON_LINE];
    if (legacy_debugcon_put(&p->legacy, (char)*value, line))
        log_info("vtl0", "debugcon: %s", line);
}

static void kbc(struct partition *p, uint16_t port, unsigned size, bool is_write, uint32_t *value)
{
    (void)size;
    if (!is_write) {
        *value = inb(port);
        return;
    }
    uint8_t v = (uint8_t)*value;
    if (port == KBC_COMMAND) {
        if (v == KBC_CMD_PULSE_RESET) {
            vtl0_request_halt(p, VTL0_HALT_RESET, "keyboard controller reset");
            return;
        }
        legacy_kbc_command(&p->legacy, v);
        outb(KBC_COMMAND, v);
        return;
    }
    if (legacy_kbc_take_output_port(&p->legacy)) {
        if (!(v & KBC_OUT_RESET_N)) {
            vtl0_request_halt(p, VTL0_HALT_RESET, "keyboard controller output port");
            return;
        }
        /* A20 is the machine's, not VTL0's: masking it would alias Mezzanine's memory. */
        v |= KBC_OUT_A20;
    }
    outb(KBC_DATA, v);
}

static void port92(struct partition *p, uint16_t port, unsigned size, bool is_write, uint32_t *value)
{
    (void)port;
    (void)size;
    if (!is_write) {
        *value = legacy_port92_read(&p->legacy);
        return;
    }
    if (legacy_port92_write(&p->legacy, (uint8_t)*value))
        vtl0_request_halt(p, VTL0_HALT_RESET, "port 0x92 fast reset");
}

static void pm1a_control(struct partition *p, uint16_t port, unsigned size, bool is_write,
                         uint32_t *value)
{
    if (!is_write) {
        *value = host_port_in(port, size);
        return;
    }
    uint32_t v = *value;
    if (port == p->legacy.st.pm_base + PM1A_CNT_OFFSET && size >= 2 && (v & PM1_CNT_SLP_EN)) {
        if (PM1_CNT_SLP_TYP(v) == SLP_TYP_S5) {
            vtl0_request_halt(p, VTL0_HALT_POWER_OFF, "ACPI S5 through PM1a_CNT");
            return;
        }
        log_warn("vtl0", "sleep type %u requested through PM1a_CNT: not supported, ignored",
                 PM1_CNT_SLP_TYP(v));
        p->stats.io_dropped++;
        return;
    }
    host_port_out(port, size, v);
}

static void testdev_port(struct partition *p, uint16_t port, unsigned size, bool is_write,
                         uint32_t *value)
{
    if (testdev_io(&p->testdev, (uint16_t)(port - TESTDEV_PORT_BASE), size, is_write, value) != 0) {
        p->stats.io_dropped++;
        if (!is_write)
            *value = 0xFFFFFFFFu;
    }
}

static void cmos_port(struct partition *p, uint16_t port, unsigned size, bool is_write, uint32_t *value)
{
    (void)size;
    cmos_view_io(&p->cmos, port, is_write, value);
}

static void fwcfg_port(struct partition *p, uint16_t port, unsigned size, bool is_write, uint32_t *value)
{
    fwcfg_view_io(&p->fwcfg, port, size, is_write, value);
}

static void pci_port(struct partition *p, uint16_t port, unsigned size, bool is_write, uint32_t *value)
{
    pci_proxy_io(&p->pci, port, size, is_write, value);
}

static const struct port_handler port_handlers[] = {
    { 0x00, 0x10, "isa-dma1", absent_device },
    { 0x60, 1, "kbc-data", kbc },
    /* QEMU's kvmvapic paravirt port: a write makes QEMU remap and write physical memory
     * at an address taken from the CPU state, i.e. a DMA VTL0 could aim anywhere. */
    { 0x7E, 2, "qemu-vapic", absent_device },
    { 0x64, 1, "kbc-command", kbc },
    { CMOS_PORT_INDEX, 2, "cmos", cmos_port },
    { 0x81, 0x0F, "isa-dma-page", absent_device },
    { PORT92, 1, "port92", port92 },
    { 0xB2, 2, "apm-smi", smi_port },
    { 0xC0, 0x20, "isa-dma2", absent_device },
    { TESTDEV_PORT_BASE, TESTDEV_PORT_COUNT, "testdev", testdev_port },
    { 0xF4, 4, "isa-debug-exit", absent_device },
    { 0x2F8, 8, "com2-get", absent_device },
    { 0x3E8, 8, "com3-diag", absent_device },
    /* COM1 (0x3F8) is not here: it is VTL0's own UART, passed through (docs/linux.md). */
    { 0x2E8, 8, "com4-console", absent_device },
    { DEBUGCON_PORT, 1, "debugcon", debugcon },
    { FWCFG_PORT_FIRST, FWCFG_PORT_COUNT, "fw_cfg", fwcfg_port },
    { PCI_PORT_FIRST, PCI_PORT_COUNT, "pci-config", pci_port },
};

/* Which handler owns each port: index + 1 into port_handlers[], PORT_OWNER_PM for the
 * moving PM1a_CNT pair, 0 for none. A table rather than a search: the lookup is on every
 * I/O exit. */
#define PORT_OWNER_PM 0xFF
#define PORT_OWNER_DEVICE 0xF0   /* + index into p->port_devices */
_Static_assert(ARRAY_SIZE(port_handlers) < PORT_OWNER_DEVICE, "port_owner indexes fit a byte");
_Static_assert(sizeof(((struct partition *)0)->port_owner) == 0x10000, "one owner per port");
_Static_assert(PORT_OWNER_DEVICE + VTL0_MAX_PORT_DEVICES < PORT_OWNER_PM, "device owners fit");

static void set_owner(struct partition *p, uint16_t first, unsigned count, uint8_t owner)
{
    for (unsigned i = 0; i < count && first + i <= 0xFFFF; i++)
        p->port_owner[first + i] = owner;
}

/* ---- the permission map -------------------------------------------------------------- */

void vtl0_io_set_intercept(struct partition *p, uint16_t port, unsigned count, bool on)
{
    for (unsigned i = 0; i < count; i++) {
        unsigned bit = (unsigned)port + i;
        if (bit > 0xFFFF)
            break;
        if (on)
            p->iopm[bit / 8] |= (uint8_t)(1u << (bit % 8));
        else
            p->iopm[bit / 8] &= (uint8_t)~(1u << (bit % 8));
    }
}

void vtl0_pm_base_changed(void *ctx, uint16_t base, bool enabled)
{
    struct partition *p = ctx;
    if (p->legacy.st.pm_base != 0) {
        uint16_t old = (uint16_t)(p->legacy.st.pm_base + PM1A_CNT_OFFSET);
        vtl0_io_set_intercept(p, old, 2, false);
        set_owner(p, old, 2, 0);
        /* A fixed handler may share the old ports (VTL0 can put the base anywhere). */
        for (size_t i = 0; i < ARRAY_SIZE(port_handlers); i++) {
            const struct port_handler *h = &port_handlers[i];
            for (unsigned k = 0; k < 2; k++) {
                if (old + k >= h->first && old + k < h->first + h->count) {
                    set_owner(p, (uint16_t)(old + k), 1, (uint8_t)(i + 1));
                    vtl0_io_set_intercept(p, (uint16_t)(old + k), 1, true);
                }
            }
        }
    }
    p->legacy.st.pm_base = enabled ? base : 0;
    if (p->legacy.st.pm_base != 0) {
        /* Follow PM1a_CNT wherever VTL0 puts the PM I/O base (SPEC section 5). */
        vtl0_io_set_intercept(p, (uint16_t)(p->legacy.st.pm_base + PM1A_CNT_OFFSET), 2, true);
        set_owner(p, (uint16_t)(p->legacy.st.pm_base + PM1A_CNT_OFFSET), 2, PORT_OWNER_PM);
        log_debug("vtl0", "PM1a_CNT intercepted at 0x%x", p->legacy.st.pm_base + PM1A_CNT_OFFSET);
    }
}

static uint8_t cmos_read_data(void *ctx) { (void)ctx; return inb(CMOS_PORT_DATA); }
static void cmos_write_data(void *ctx, uint8_t v) { (void)ctx; outb(CMOS_PORT_DATA, v); }
static void cmos_write_index(void *ctx, uint8_t v) { (void)ctx; outb(CMOS_PORT_INDEX, v); }
static void fwcfg_select(void *ctx, uint16_t key) { (void)ctx; outw(FWCFG_PORT_SELECTOR, key); }
static uint8_t fwcfg_read_byte(void *ctx) { (void)ctx; return inb(FWCFG_PORT_DATA); }

static void testdev_event(void *ctx, const struct testdev_event *ev)
{
    char line[TESTDEV_LINE_MAX];
    (void)ctx;
    testdev_format_event(ev, line, sizeof(line));
    log_info("testdev", "%s", line);
}

/* Unit "legacy_ports" (drivers/vdev/chipset/legacy_ports.h). */
static void legacy_unit_reset(void *ctx)
{
    legacy_ports_reset(&((struct partition *)ctx)->legacy);
}

static int legacy_unit_save(const void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
    return legacy_ports_save_state(&((const struct partition *)ctx)->legacy, buf, cap, len);
}

/* The core takes the saved PM base; the intercept of PM1a_CNT moves with it. */
static int legacy_unit_restore(void *ctx, const uint8_t *buf, size_t len)
{
    struct partition *p = ctx;
    uint16_t before = p->legacy.st.pm_base;
    int err = legacy_ports_restore_state(&p->legacy, buf, len);
    if (err)
        return err;
    uint16_t after = p->legacy.st.pm_base;
    if (after != before) {
        p->legacy.st.pm_base = before;   /* vtl0_pm_base_changed moves from the old base */
        vtl0_pm_base_changed(p, after, after != 0);
    }
    return 0;
}

/* Unit "fwcfg_view": the selector and the offset into the selected item. */
static void fwcfg_unit_reset(void *ctx)
{
    fwcfg_view_reset(&((struct partition *)ctx)->fwcfg);
}

/* Units "cmos_view" and "testdev" keep what they have over a VTL0 reset: the CMOS index
 * is QEMU's (VTL0 writes it through), and the test device's script position belongs to
 * the test, not to VTL0's power cycle. */
static void keep_over_reset(void *ctx)
{
    (void)ctx;
}

static int cmos_unit_save(const void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
    return cmos_view_save_state(&((const struct partition *)ctx)->cmos, buf, cap, len);
}

static int cmos_unit_restore(void *ctx, const uint8_t *buf, size_t len)
{
    return cmos_view_restore_state(&((struct partition *)ctx)->cmos, buf, len);
}

static int fwcfg_unit_save(const void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
    return fwcfg_view_save_state(&((const struct partition *)ctx)->fwcfg, buf, cap, len);
}

static int fwcfg_unit_restore(void *ctx, const uint8_t *buf, size_t len)
{
    return fwcfg_view_restore_state(&((struct partition *)ctx)->fwcfg, buf, len);
}

static int testdev_unit_save(const void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
    return testdev_save_state(&((const struct partition *)ctx)->testdev, buf, cap, len);
}

static int testdev_unit_restore(void *ctx, const uint8_t *buf, size_t len)
{
    return testdev_restore_state(&((struct partition *)ctx)->testdev, buf, len);
}

/* What the last restore found of the alt build's testdev field (docs/saved-state.md,
 * "Two builds, one schema"): how the integration tests see each side of an upgrade or a
 * downgrade between the two builds. */
static void testdev_unit_inspect(struct inspect_writer *w, void *ctx)
{
    static const char *const seen[] = {
        [TESTDEV_BLOB_NOT_RESTORED] = "not restored", [TESTDEV_BLOB_FIELD_ABSENT] = "absent",
        [TESTDEV_BLOB_FIELD_PRESENT] = "present", [TESTDEV_BLOB_FIELD_UNKNOWN] = "not in schema",
    };
    const struct testdev *td = &((const struct partition *)ctx)->testdev;
    inspect_bool(w, "schema_has_script_len", testdev_schema_has_script_len());
    inspect_str(w, "script_len_in_blob",
                td->script_len_in_blob < ARRAY_SIZE(seen) ? seen[td->script_len_in_blob] : "?");
}

static const struct vtl0_device_ops legacy_unit_ops = {
    .reset = legacy_unit_reset, .save = legacy_unit_save, .restore = legacy_unit_restore,
};
static const struct vtl0_device_ops fwcfg_unit_ops = {
    .reset = fwcfg_unit_reset, .save = fwcfg_unit_save, .restore = fwcfg_unit_restore,
};
static const struct vtl0_device_ops cmos_unit_ops = {
    .reset = keep_over_reset, .save = cmos_unit_save, .restore = cmos_unit_restore,
};
static const struct vtl0_device_ops testdev_unit_ops = {
    .reset = keep_over_reset, .save = testdev_unit_save, .restore = testdev_unit_restore,
    .inspect = testdev_unit_inspect,
};

static void register_units(struct partition *p)
{
    p->legacy_unit = (struct vtl0_device){ .name = LEGACY_PORTS_STATE_UNIT, .ops = &legacy_unit_ops,
        .ctx = p, .type_url = LEGACY_PORTS_STATE_TYPE_URL };
    p->cmos_unit = (struct vtl0_device){ .name = CMOS_VIEW_STATE_UNIT, .ops = &cmos_unit_ops, .ctx = p,
        .type_url = CMOS_VIEW_STATE_TYPE_URL };
    p->fwcfg_unit = (struct vtl0_device){ .name = FWCFG_VIEW_STATE_UNIT, .ops = &fwcfg_unit_ops, .ctx = p,
        .type_url = FWCFG_VIEW_STATE_TYPE_URL };
    p->testdev_unit = (struct vtl0_device){ .name = TESTDEV_STATE_UNIT, .ops = &testdev_unit_ops, .ctx = p,
        .type_url = TESTDEV_STATE_TYPE_URL };
    (void)vtl0_add_device(p, &p->legacy_unit);
    (void)vtl0_add_device(p, &p->cmos_unit);
    (void)vtl0_add_device(p, &p->fwcfg_unit);
    (void)vtl0_add_device(p, &p->testdev_unit);
}

void vtl0_io_init(struct partition *p)
{
    static const struct cmos_ops cmos_ops = { cmos_write_index, cmos_read_data, cmos_write_data, NULL };
    static const struct fwcfg_ops fwcfg_ops = { fwcfg_select, fwcfg_read_byte, NULL };
    const struct testdev_ops testdev_ops = { testdev_event, p };
    /* VTL0's RAM as its firmware must see it: the top 1 MiB of the first block holds the
     * firmware image that the ROM ranges map, so it is not RAM for VTL0. */
    uint64_t ram_below_4g = p->rom_bios_offset;

    for (size_t i = 0; i < ARRAY_SIZE(port_handlers); i++) {
        vtl0_io_set_intercept(p, port_handlers[i].first, port_handlers[i].count, true);
        set_owner(p, port_handlers[i].first, port_handlers[i].count, (uint8_t)(i + 1));
    }
    legacy_ports_init(&p->legacy);
    cmos_view_init(&p->cmos, ram_below_4g, p->ram_above_4g, &cmos_ops);
    /* A new instance after servicing takes the old one's copy of QEMU's directory. */
    bool carried = p->fwcfg_carried != NULL &&
                   fwcfg_view_init_carried(&p->fwcfg, ram_below_4g, p->ram_above_4g, &fwcfg_ops,
                                           p->fwcfg_carried) == 0;
    if (p->fwcfg_carried != NULL && !carried)
        log_warn("vtl0", "fw_cfg: the carried directory is not valid: reading the device");
    p->fwcfg_carried = NULL;        /* host-writable memory: not kept */
    if (!carried && fwcfg_view_init(&p->fwcfg, ram_below_4g, p->ram_above_4g, &fwcfg_ops) != 0)
        log_warn("vtl0", "no fw_cfg device: VTL0 sees none either");
    else if (!carried)
        log_info("vtl0", "fw_cfg: %u files for VTL0, e820 key 0x%x, DMA hidden",
                 p->fwcfg.file_count, p->fwcfg.e820_key);
    testdev_init(&p->testdev, p->test_script, p->test_script_len, &testdev_ops);
    register_units(p);
}

/* ---- IOIO exits ---------------------------------------------------------------------- */

static void device_port(struct partition *p, uint16_t port, unsigned size, bool is_write,
                        uint32_t *value)
{
    const struct vtl0_port_device *d = &p->port_devices[p->port_owner[port] - PORT_OWNER_DEVICE];
    d->io(d->ctx, port, size, is_write, value);
}

int vtl0_port_add(struct partition *p, const struct vtl0_port_device *dev)
{
    if (p->port_device_count == VTL0_MAX_PORT_DEVICES)
        return -ENOSPC;
    for (unsigned i = 0; i < dev->count; i++) {
        if ((unsigned)dev->first + i > 0xFFFF || p->port_owner[dev->first + i] != 0)
            return -EEXIST;
    }
    p->port_devices[p->port_device_count] = *dev;
    set_owner(p, dev->first, dev->count, (uint8_t)(PORT_OWNER_DEVICE + p->port_device_count));
    vtl0_io_set_intercept(p, dev->first, dev->count, true);
    p->port_device_count++;
    return 0;
}

/* The handler that owns `port` (NULL: none), and in *end the port just past its range. */
static inline __attribute__((always_inline)) port_fn
find_handler(struct partition *p, uint16_t port, unsigned *end)
{
    uint8_t owner = p->port_owner[port];
    if (owner >= PORT_OWNER_DEVICE && owner < PORT_OWNER_DEVICE + VTL0_MAX_PORT_DEVICES) {
        /* Registered devices share one handler; device_port finds the device again. */
        const struct vtl0_port_device *d = &p->port_devices[owner - PORT_OWNER_DEVICE];
        *end = (unsigned)d->first + d->count;
        return device_port;
    }
    if (owner == PORT_OWNER_PM) {
        /* The one handler whose port moves: it follows VTL0's PM I/O base. */
        *end = (unsigned)(uint16_t)(p->legacy.st.pm_base + PM1A_CNT_OFFSET) + 2;
        return pm1a_control;
    }
    if (owner == 0)
        return NULL;
    const struct port_handler *h = &port_handlers[owner - 1];
    *end = (unsigned)h->first + h->count;
    return h->fn;
}

/* One element of an IN or OUT, split into byte accesses where it straddles handlers. */
static inline __attribute__((always_inline)) void port_access(struct partition *p, uint16_t port, unsigned size, bool is_write, uint32_t *value)
{
    unsigned end;
    port_fn fn = find_handler(p, port, &end);
    if (fn != NULL && port + size <= end) {
        fn(p, port, size, is_write, value);
        return;
    }
    /* An access that only partly hits an intercepted range (e.g. a dword at 0x5F):
     * byte by byte, each byte to whoever owns it. */
    uint32_t result = 0;
    for (unsigned i = 0; i < size; i++) {
        uint16_t port_i = (uint16_t)(port + i);
        uint32_t byte = (*value >> (8 * i)) & 0xFF;
        port_fn fn_i = find_handler(p, port_i, &end);
        if (fn_i != NULL)
            fn_i(p, port_i, 1, is_write, &byte);
        else if (is_write)
            outb(port_i, (uint8_t)byte);
        else
            byte = inb(port_i);
        result |= (byte & 0xFF) << (8 * i);
    }
    if (!is_write)
        *value = result;
}

static uint64_t segment_base(const struct vmcb_save *s, unsigned seg)
{
    switch (seg) {
    case INSN_SEG_ES: return s->es.base;
    case INSN_SEG_CS: return s->cs.base;
    case INSN_SEG_SS: return s->ss.base;
    case INSN_SEG_FS: return s->fs.base;
    case INSN_SEG_GS: return s->gs.base;
    default: return s->ds.base;
    }
}

/* INS/OUTS, with or without REP: every element goes through port_access and VTL0's
 * memory as VTL0 sees it (its paging, then the GPA map). */
static enum exit_action string_io(struct partition *p, uint64_t info1, uint16_t port, unsigned size)
{
    struct vmcb_save *s = &p->vmcb->save;
    struct guest_cpu_state cpu;
    struct insn_bytes bytes;
    struct insn insn;
    bool is_in = info1 & IOIO_TYPE_IN;
    bool rep = info1 & IOIO_REP;
    unsigned index_reg = is_in ? GPR_RDI : GPR_RSI;

    /* QEMU's TCG leaves EXITINFO1's address-size and segment fields empty, so both come
     * from the instruction itself: the mode and any 0x67 prefix give the address size;
     * INS always writes ES:rDI, OUTS reads DS:rSI unless a segment prefix says otherwise
     * (APM vol. 3, "INS", "OUTS"). */
    int err = vtl0_decode_insn(p, &cpu, &bytes, &insn);
    if (err != 0) {
        char why[200];
        vtl0_insn_error(p, &cpu, &bytes, err, why, sizeof(why));
        vtl0_report_error(p, why);
        return EXIT_STOP;
    }
    unsigned addr_size = insn.addrsize;
    uint64_t addr_mask = addr_size == 8 ? ~0ull : (1ull << (8 * addr_size)) - 1;
    unsigned seg = is_in ? INSN_SEG_ES : (insn.seg == INSN_SEG_NONE ? INSN_SEG_DS : insn.seg);
    int64_t step = (s->rflags & RFLAGS_DF) ? -(int64_t)size : (int64_t)size;
    uint64_t count = rep ? p->gprs.gpr[GPR_RCX] & addr_mask : 1;
    uint64_t done = 0;
    /* Outside 64-bit mode linear addresses wrap at 4 GiB. */
    uint64_t linear_mask = cpu_mode_of(&cpu) == CPU_MODE_LONG64 ? ~0ull : 0xFFFFFFFFull;

    struct guest_paging paging;
    guest_paging_from_cpu(&cpu, &paging);
    p->stats.io_string++;
    while (done < count && done < STRING_IO_MAX_PER_EXIT) {
        uint64_t offset = p->gprs.gpr[index_reg] & addr_mask;
        uint64_t linear = (segment_base(s, seg) + offset) & linear_mask;
        uint64_t gpa;
        uint32_t pf_error = 0;
        err = guest_translate(&paging, linear, (is_in ? GW_WRITE : GW_READ) | (cpu.cpl == 3 ? GW_USER : 0),
                                  vtl0_walk_read, p, &gpa, &pf_error);
        if (err == -EFAULT) {
            s->cr2 = linear;
            vtl0_inject_exception(p, X86_VEC_PF, true, pf_error);
            break;
        }
        uint32_t value = 0;
        if (err == 0 && is_in) {
            port_access(p, port, size, false, &value);
            if (vtl0_write_gpa(p, gpa, &value, size) != 0)
                p->stats.rom_writes_dropped++;
        } else if (err == 0) {
            if (vtl0_read_gpa(p, gpa, &value, size) != 0) {
                value = 0xFFFFFFFFu;
                p->stats.unmapped_reads++;
            }
            port_access(p, port, size, true, &value);
        } else {
            vtl0_report_error(p, "string I/O: cannot walk VTL0's page tables");
            return EXIT_STOP;
        }
        p->gprs.gpr[index_reg] = (p->gprs.gpr[index_reg] & ~addr_mask) | ((offset + (uint64_t)step) & addr_mask);
        done++;
        if (p->pending_halt != VTL0_HALT_NONE)
            break;
    }
    if (rep)
        p->gprs.gpr[GPR_RCX] = (p->gprs.gpr[GPR_RCX] & ~addr_mask) | ((count - done) & addr_mask);
    /* Finished (or a single element): move on; otherwise re-execute for the rest. */
    if (!rep || done == count)
        s->rip = p->vmcb->control.exit_info2;
    return EXIT_RESUME;
}

enum exit_action vtl0_handle_ioio(struct partition *p)
{
    uint64_t info1 = p->vmcb->control.exit_info1;
    uint16_t port = (uint16_t)ioio_port(info1);
    unsigned size = ioio_size(info1);

    if (info1 & IOIO_STR)
        return string_io(p, info1, port, size);

    uint64_t *rax = &p->gprs.gpr[GPR_RAX];
    uint64_t mask = size == 4 ? 0xFFFFFFFFull : size == 2 ? 0xFFFFull : 0xFFull;
    uint32_t value = (uint32_t)(*rax & mask);
    if (info1 & IOIO_TYPE_IN) {
        value = 0;
        port_access(p, port, size, false, &value);
        /* IN eax zero-extends into RAX; IN al/ax merge (APM vol. 3, "IN"). */
        *rax = size == 4 ? (uint64_t)value : (*rax & ~mask) | (value & mask);
    } else {
        port_access(p, port, size, true, &value);
    }
    p->vmcb->save.rip = p->vmcb->control.exit_info2;   /* IOIO gives the next RIP */
    return EXIT_RESUME;
}
