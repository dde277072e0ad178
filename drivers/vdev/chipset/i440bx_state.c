/* The i440BX bridge's saved state; see i440bx.h and docs/saved-state.md. */
#include "drivers/vdev/chipset/i440bx.h"

#include <errno.h>

#include "i440bx.pb.h"
#include "kernel/lib/pb_codec.h"

typedef chipset_i440bx_host_pci_bridge_SavedState i440bx_msg;

_Static_assert((int)I440BX_PAM_OPENHCL == chipset_i440bx_host_pci_bridge_PamBackend_PAM_BACKEND_OPENHCL &&
               (int)I440BX_PAM_FAITHFUL == chipset_i440bx_host_pci_bridge_PamBackend_PAM_BACKEND_FAITHFUL &&
               (int)I440BX_PAM_LOCAL == chipset_i440bx_host_pci_bridge_PamBackend_PAM_BACKEND_LOCAL,
               "enum i440bx_pam_backend follows the schema's PamBackend");
_Static_assert(chipset_i440bx_host_pci_bridge_SavedState_size <= I440BX_STATE_MAX_LEN,
               "I440BX_STATE_MAX_LEN covers the largest encoding");

int i440bx_save_state(const struct i440bx *b, uint8_t *buf, size_t cap, size_t *len)
{
    i440bx_msg m = chipset_i440bx_host_pci_bridge_SavedState_init_zero;
    m.host_pci_dram1 = b->st.dram1;
    m.host_pci_dram2 = b->st.dram2;
    m.pam_reg1 = b->st.pam_reg1;
    m.pam_reg2 = b->st.pam_reg2;
    m.bios_scratch1 = b->st.bios_scratch1;
    m.bios_scratch2 = b->st.bios_scratch2;
    m.smm_config_word = b->st.smm_config_word;
    /* OpenVMM always writes cfg_space; an all-zero one encodes to nothing either way. */
    m.has_cfg_space = b->st.interrupt_line != 0 || b->st.latency_timer != 0;
    m.cfg_space.interrupt_line = b->st.interrupt_line;
    m.cfg_space.latency_timer = b->st.latency_timer;
    m.pam_backend = (chipset_i440bx_host_pci_bridge_PamBackend)b->pam_backend;
    return pb_codec_encode(chipset_i440bx_host_pci_bridge_SavedState_fields, &m, buf, cap, len);
}

int i440bx_restore_state(struct i440bx *b, const uint8_t *buf, size_t len)
{
    i440bx_msg m;
    if (pb_codec_decode(chipset_i440bx_host_pci_bridge_SavedState_fields, &m, buf, len) != 0)
        return -EINVAL;
    if (m.smm_config_word > 0xFFFF || m.cfg_space.interrupt_line > 0xFF ||
        m.cfg_space.latency_timer > 0xFF)
        return -EINVAL;
    if ((unsigned)m.pam_backend > I440BX_PAM_LOCAL)
        return -EINVAL;
    /* A blob made under one backend means nothing to another: the slots it implies are
     * another backend's. Unspecified on either side (an older blob) is accepted. */
    if (m.pam_backend != (int)I440BX_PAM_UNSPECIFIED && b->pam_backend != I440BX_PAM_UNSPECIFIED &&
        (int)m.pam_backend != (int)b->pam_backend)
        return -EINVAL;
    const struct i440bx_state st = {
        .dram1 = m.host_pci_dram1, .dram2 = m.host_pci_dram2,
        .pam_reg1 = m.pam_reg1, .pam_reg2 = m.pam_reg2,
        .bios_scratch1 = m.bios_scratch1, .bios_scratch2 = m.bios_scratch2,
        .smm_config_word = (uint16_t)m.smm_config_word,
        .latency_timer = (uint8_t)m.cfg_space.latency_timer,
        .interrupt_line = (uint8_t)m.cfg_space.interrupt_line,
    };
    i440bx_set_state(b, &st);
    return 0;
}
