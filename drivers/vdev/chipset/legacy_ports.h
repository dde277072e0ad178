/*
 * The small legacy port devices Mezzanine keeps for VTL0 (kernel/vtl0/ports.c is their
 * glue): the keyboard controller's "write output port" command in flight, port 0x92
 * (System Control Port A), the debug console line being gathered from port 0x402, and the
 * PIIX4 PM I/O base VTL0 enabled (where PM1a_CNT is intercepted). Pure: the glue does the
 * port I/O and reacts to what these return.
 */
#ifndef MEZZ_DRIVERS_VDEV_LEGACY_PORTS_H
#define MEZZ_DRIVERS_VDEV_LEGACY_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEGACY_DEBUGCON_LINE 160       /* longest line gathered, terminator included */
#define LEGACY_PORT92_A20    0x02u     /* A20 gate: always reads set (the machine's, not VTL0's) */
#define LEGACY_PORT92_RESET  0x01u     /* fast reset: acted on, never kept */
#define LEGACY_PM_BASE_ALIGN 0x40u     /* PIIX4 PMBA bits 15:6 */
#define LEGACY_PM_BASE_MIN   0x100u    /* below it: the fixed legacy ports Mezzanine owns */

/* Plain state: the only part that is saved. */
struct legacy_ports_state {
    bool kbc_expect_output_port;       /* 0x64 <- 0xD1 seen: the next 0x60 byte is the output port */
    uint8_t port92;
    uint16_t pm_base;                  /* 0: VTL0 has not enabled the PM I/O space */
    uint16_t debugcon_len;
    char debugcon[LEGACY_DEBUGCON_LINE];
};

struct legacy_ports {
    struct legacy_ports_state st;
};

/* Power-on state (a VTL0 reset): no KBC command in flight, port 0x92 = A20, no partial
 * debugcon line. The PM base is the real PIIX4's register, which a VTL0 reset does not
 * touch (QEMU's machine keeps running), so it is kept. */
void legacy_ports_init(struct legacy_ports *lp);
void legacy_ports_reset(struct legacy_ports *lp);

/* The keyboard controller: a command byte at 0x64, then whether a data byte at 0x60 is
 * the output port (true once, after 0xD1). */
void legacy_kbc_command(struct legacy_ports *lp, uint8_t command);
bool legacy_kbc_take_output_port(struct legacy_ports *lp);

/* Port 0x92: what VTL0 reads, and a write (true: VTL0 asked for a fast reset). */
uint8_t legacy_port92_read(const struct legacy_ports *lp);
bool legacy_port92_write(struct legacy_ports *lp, uint8_t value);

/* One debugcon byte. When it completes a line (newline, or the buffer full), the line is
 * copied NUL-terminated into line and true is returned. Unprintable bytes become '.',
 * carriage returns are dropped. */
bool legacy_debugcon_put(struct legacy_ports *lp, char c, char line[LEGACY_DEBUGCON_LINE]);

/* Is base a PM I/O base the glue may intercept at (0, or aligned and above the fixed ports)? */
bool legacy_pm_base_ok(uint32_t base);

/*
 * Saved state (docs/saved-state.md): unit "legacy_ports", schema
 * mezzanine.vdev.legacy_ports.SavedState. restore decodes into a temporary and validates
 * all of it (port 0x92 a byte without the reset bit, a printable debugcon line that fits,
 * a PM base legacy_pm_base_ok() takes) -- -EINVAL changes nothing -- then takes it; the
 * glue moves its PM1a_CNT intercept if the base changed.
 */
#define LEGACY_PORTS_STATE_UNIT     "legacy_ports"
#define LEGACY_PORTS_STATE_TYPE_URL "type.googleapis.com/mezzanine.vdev.legacy_ports.SavedState"
#define LEGACY_PORTS_STATE_MAX_LEN  200
int legacy_ports_save_state(const struct legacy_ports *lp, uint8_t *buf, size_t cap, size_t *len);
int legacy_ports_restore_state(struct legacy_ports *lp, const uint8_t *buf, size_t len);

#endif
