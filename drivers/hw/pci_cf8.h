/*
 * PCI configuration mechanism #1 on the real machine (0xCF8 address, 0xCFC data).
 * Mezzanine's own access to QEMU's devices; VTL0's accesses are emulated elsewhere.
 */
#ifndef MEZZ_ARCH_PCI_CF8_H
#define MEZZ_ARCH_PCI_CF8_H

#include <stdint.h>

#include "arch/x86_64/cpu/cpu.h"

#define PCI_CF8_ADDRESS 0xCF8
#define PCI_CF8_DATA    0xCFC
#define PCI_CF8_ENABLE  0x80000000u

static inline uint32_t pci_cf8_address(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
    return PCI_CF8_ENABLE | (bus & 0xFF) << 16 | (dev & 0x1F) << 11 | (fn & 7) << 8 | (off & 0xFC);
}

static inline uint32_t pci_cf8_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
    outl(PCI_CF8_ADDRESS, pci_cf8_address(bus, dev, fn, off));
    return inl(PCI_CF8_DATA);
}

static inline void pci_cf8_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v)
{
    outl(PCI_CF8_ADDRESS, pci_cf8_address(bus, dev, fn, off));
    outl(PCI_CF8_DATA, v);
}

#endif
