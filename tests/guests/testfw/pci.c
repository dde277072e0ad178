/*
 * PCI configuration space through mechanism #1 (PCI Local Bus spec 3.0, "Configuration
 * Mechanism #1"): the dword address to 0xCF8, the data at 0xCFC + (register & 3). The
 * scripts give full addresses (enable bit | bus << 16 | device << 11 | function << 8 |
 * register); the enable bit is set here whatever the script says.
 */
#include "tests/guests/testfw/fw.h"

#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA    0xCFC
#define PCI_ENABLE         0x80000000u

uint32_t pci_cfg_read(uint32_t address, unsigned bytes)
{
    port_out(PCI_CONFIG_ADDRESS, 4, (address | PCI_ENABLE) & ~3u);
    return port_in((uint16_t)(PCI_CONFIG_DATA + (address & 3)), bytes);
}

void pci_cfg_write(uint32_t address, unsigned bytes, uint32_t value)
{
    port_out(PCI_CONFIG_ADDRESS, 4, (address | PCI_ENABLE) & ~3u);
    port_out((uint16_t)(PCI_CONFIG_DATA + (address & 3)), bytes, value);
}

/* The first function on bus 0 whose vendor/device dword is id, as a config address
 * of its register 0; all-ones if there is none. */
uint32_t pci_find(uint32_t id)
{
    for (uint32_t dev = 0; dev < 32; dev++) {
        for (uint32_t fn = 0; fn < 8; fn++) {
            uint32_t address = PCI_ENABLE | dev << 11 | fn << 8;
            if (pci_cfg_read(address, 4) == id)
                return address;
        }
    }
    return PCI_NO_FUNCTION;
}
