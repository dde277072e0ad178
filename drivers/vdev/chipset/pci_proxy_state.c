/* The PCI configuration proxy's saved state; see pci_proxy.h and docs/saved-state.md. */
#include "drivers/vdev/chipset/pci_proxy.h"

#include <errno.h>

#include "kernel/lib/pb_codec.h"
#include "pci_proxy.pb.h"

_Static_assert(mezzanine_vdev_pci_proxy_SavedState_size <= PCI_PROXY_STATE_MAX_LEN,
               "PCI_PROXY_STATE_MAX_LEN covers the largest encoding");

int pci_proxy_save_state(const struct pci_proxy *p, uint8_t *buf, size_t cap, size_t *len)
{
    mezzanine_vdev_pci_proxy_SavedState m = { .address = p->address };
    return pb_codec_encode(mezzanine_vdev_pci_proxy_SavedState_fields, &m, buf, cap, len);
}

int pci_proxy_restore_state(struct pci_proxy *p, const uint8_t *buf, size_t len)
{
    mezzanine_vdev_pci_proxy_SavedState m;
    if (pb_codec_decode(mezzanine_vdev_pci_proxy_SavedState_fields, &m, buf, len) != 0)
        return -EINVAL;
    if (m.address & 3u)        /* the latch never holds bits 1:0 (pci_proxy_io) */
        return -EINVAL;
    p->address = m.address;
    return 0;
}
