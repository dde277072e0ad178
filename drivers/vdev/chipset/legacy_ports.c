/* The legacy port devices' state machine; see legacy_ports.h. */
#include "drivers/vdev/chipset/legacy_ports.h"

#include <string.h>

void legacy_ports_init(struct legacy_ports *lp)
{
    memset(lp, 0, sizeof(*lp));
    legacy_ports_reset(lp);
}

void legacy_ports_reset(struct legacy_ports *lp)
{
    lp->st.kbc_expect_output_port = false;
    lp->st.port92 = LEGACY_PORT92_A20;
    lp->st.debugcon_len = 0;
    memset(lp->st.debugcon, 0, sizeof(lp->st.debugcon));
}

void legacy_kbc_command(struct legacy_ports *lp, uint8_t command)
{
    /* 8042 command 0xD1: "write output port", the next data byte is its value. */
    lp->st.kbc_expect_output_port = command == 0xD1;
}

bool legacy_kbc_take_output_port(struct legacy_ports *lp)
{
    bool expected = lp->st.kbc_expect_output_port;
    lp->st.kbc_expect_output_port = false;
    return expected;
}

uint8_t legacy_port92_read(const struct legacy_ports *lp)
{
    return lp->st.port92;
}

bool legacy_port92_write(struct legacy_ports *lp, uint8_t value)
{
    lp->st.port92 = (uint8_t)(value & ~LEGACY_PORT92_RESET);
    return (value & LEGACY_PORT92_RESET) != 0;
}

bool legacy_debugcon_put(struct legacy_ports *lp, char c, char line[LEGACY_DEBUGCON_LINE])
{
    bool complete = false;
    if (c == '\n' || lp->st.debugcon_len == LEGACY_DEBUGCON_LINE - 1) {
        memcpy(line, lp->st.debugcon, lp->st.debugcon_len);
        line[lp->st.debugcon_len] = '\0';
        memset(lp->st.debugcon, 0, sizeof(lp->st.debugcon));
        lp->st.debugcon_len = 0;
        complete = true;
        if (c == '\n')
            return true;
    }
    if (c == '\r')
        return complete;
    lp->st.debugcon[lp->st.debugcon_len++] = (c >= 0x20 && c < 0x7F) ? c : '.';
    return complete;
}

bool legacy_pm_base_ok(uint32_t base)
{
    return base == 0 || (base <= 0xFFFF - LEGACY_PM_BASE_ALIGN + 1 && base % LEGACY_PM_BASE_ALIGN == 0 &&
                         base >= LEGACY_PM_BASE_MIN);
}
