/* i440BX host bridge model; see i440bx.h. */
#include "drivers/vdev/chipset/i440bx.h"

#include <errno.h>
#include <string.h>

/* The fixed A0000-BFFFF VGA window, adjusted once at construction. */
static const struct pam_range vga_range = { VGA_WINDOW_START, VGA_WINDOW_END };

static void adjust(struct i440bx *b, const struct pam_range *range, enum gpa_state state)
{
    b->stats.adjusts++;
    b->ops.adjust(b->ops.ctx, range, state);
}

static void adjust_all(struct i440bx *b)
{
    enum gpa_state states[PAM_RANGE_COUNT];
    pam_decode(b->st.pam_reg1, b->st.pam_reg2, states);
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++)
        adjust(b, &pam_ranges[i], states[i]);
}

static void reset_state(struct i440bx *b)
{
    b->st = (struct i440bx_state){
        .dram1 = I440BX_DRAM1_RESET,
        .dram2 = I440BX_DRAM2_RESET,
        .pam_reg1 = PAM_REG1_RESET,
        .pam_reg2 = PAM_REG2_RESET,
        .smm_config_word = I440BX_SMM_RESET,
    };
}

void i440bx_init(struct i440bx *b, uint16_t device_id, const struct i440bx_ops *ops,
                 bool restoring)
{
    b->device_id = device_id;
    b->pam_backend = I440BX_PAM_UNSPECIFIED;
    b->ops = *ops;
    memset(&b->stats, 0, sizeof(b->stats));
    reset_state(b);
    if (restoring)
        return;
    adjust(b, &vga_range, GPA_STATE_MMIO);
    adjust_all(b);
}

void i440bx_reset(struct i440bx *b)
{
    reset_state(b);
    adjust_all(b);
}

/* The whole dword at an aligned offset. */
static uint32_t read_dword(struct i440bx *b, unsigned reg)
{
    switch (reg) {
    case I440BX_VENDOR_DEVICE:
        return (uint32_t)b->device_id << 16 | I440BX_VENDOR_ID;
    case I440BX_STATUS_COMMAND:
        return I440BX_STATUS_COMMAND_VALUE;
    case I440BX_CLASS_REVISION:
        return (uint32_t)I440BX_CLASS_BRIDGE << 24 | (uint32_t)I440BX_SUBCLASS_HOST << 16 |
               I440BX_REVISION;
    case I440BX_HEADER:
        return (uint32_t)b->st.latency_timer << 8;   /* header type 0, single function */
    case I440BX_INTERRUPT:
        return b->st.interrupt_line;                  /* no interrupt pin */
    case I440BX_PAM_REG1: return b->st.pam_reg1;
    case I440BX_PAM_REG2: return b->st.pam_reg2;
    case I440BX_DRB1: return b->st.dram1;
    case I440BX_DRB2: return b->st.dram2;
    case I440BX_SMRAM:
        return (uint32_t)((b->st.smm_config_word & SMRAM_KEEP_LOW) | SMRAM_FORCED) << 16;
    case I440BX_PGPOL: return I440BX_PGPOL_VALUE;
    case I440BX_BSPAD1: return b->st.bios_scratch1;
    case I440BX_BSPAD2: return b->st.bios_scratch2;
    case I440BX_MANUFACTURER_ID: return I440BX_MANUFACTURER_VALUE;
    case I440BX_NBXCFG: case I440BX_DRAMC: case I440BX_FDHC: case I440BX_SDRAMC:
    case I440BX_SCRR2: case 0x90: case 0xA0: case 0xA4: case 0xA8: case 0xB0: case 0xB4:
    case 0xB8: case 0xBC: case 0xF0: case 0xF4:
        return 0;
    default:
        /* The rest of the type 0 header below 0x40 (BARs, subsystem, capabilities) is 0. */
        if (reg < 0x40)
            return 0;
        b->stats.invalid_reads++;
        return 0xFFFFFFFFu;
    }
}

uint32_t i440bx_config_read(struct i440bx *b, unsigned offset, unsigned size)
{
    uint32_t dword = read_dword(b, offset & 0xFC);
    uint32_t v = dword >> (8 * (offset & 3));
    return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

static uint32_t merge(uint32_t old, unsigned byte, unsigned size, uint32_t value)
{
    uint32_t mask = (size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1) << (8 * byte);
    return (old & ~mask) | ((value << (8 * byte)) & mask);
}

static void write_pam(struct i440bx *b, uint32_t reg1, uint32_t reg2)
{
    enum gpa_state old[PAM_RANGE_COUNT], now[PAM_RANGE_COUNT];
    pam_decode(b->st.pam_reg1, b->st.pam_reg2, old);
    pam_decode(reg1, reg2, now);
    b->stats.pam_writes++;
    /* OpenVMM: only the ranges whose state changed, in table order, then store. */
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++) {
        if (old[i] != now[i])
            adjust(b, &pam_ranges[i], now[i]);
    }
    b->st.pam_reg1 = reg1;
    b->st.pam_reg2 = reg2;
}

static void write_smram(struct i440bx *b, uint32_t dword)
{
    if (b->st.smm_config_word & SMRAM_LOCK)
        return;
    uint16_t w = (uint16_t)(dword >> 16);
    w &= (uint16_t)~SMRAM_UNSUPPORTED;
    w = (uint16_t)((w & 0xFF00u) | (w & SMRAM_KEEP_LOW));
    w |= SMRAM_FORCED;
    w &= (uint16_t)~SMRAM_CLEARED;
    b->st.smm_config_word = w;
}

void i440bx_config_write(struct i440bx *b, unsigned offset, unsigned size, uint32_t value)
{
    unsigned reg = offset & 0xFC, byte = offset & 3;
    switch (reg) {
    case I440BX_PAM_REG1:
        write_pam(b, merge(b->st.pam_reg1, byte, size, value), b->st.pam_reg2);
        return;
    case I440BX_PAM_REG2:
        write_pam(b, b->st.pam_reg1, merge(b->st.pam_reg2, byte, size, value));
        return;
    case I440BX_DRB1: b->st.dram1 = merge(b->st.dram1, byte, size, value); return;
    case I440BX_DRB2: b->st.dram2 = merge(b->st.dram2, byte, size, value); return;
    case I440BX_BSPAD1: b->st.bios_scratch1 = merge(b->st.bios_scratch1, byte, size, value); return;
    case I440BX_BSPAD2: b->st.bios_scratch2 = merge(b->st.bios_scratch2, byte, size, value); return;
    case I440BX_SMRAM:
        /* Only bytes 0x72-0x73 hold anything; merge them into the current word. */
        write_smram(b, merge((uint32_t)b->st.smm_config_word << 16, byte, size, value));
        return;
    case I440BX_HEADER: {
        uint32_t d = merge((uint32_t)b->st.latency_timer << 8, byte, size, value);
        b->st.latency_timer = (uint8_t)(d >> 8);
        return;
    }
    case I440BX_INTERRUPT:
        b->st.interrupt_line = (uint8_t)merge(b->st.interrupt_line, byte, size, value);
        return;
    case I440BX_NBXCFG: case I440BX_DRAMC: case I440BX_FDHC: case I440BX_SDRAMC:
    case I440BX_PGPOL: case I440BX_SCRR2: case 0x90: case 0xA0: case 0xA4: case 0xA8:
    case 0xB0: case 0xB4: case 0xB8: case 0xBC: case 0xF0: case 0xF4:
        b->stats.ignored_writes++;
        return;
    default:
        if (reg < 0x40) {   /* IDs, command/status, BARs: fixed */
            b->stats.ignored_writes++;
            return;
        }
        b->stats.invalid_writes++;   /* includes MANUFACTURER_ID, as OpenVMM */
        return;
    }
}

void i440bx_set_state(struct i440bx *b, const struct i440bx_state *st)
{
    b->st = *st;
    adjust_all(b);
}
