/*
 * VTL2 virtual address layout. The kernel is linked in the top 2 GiB
 * (-mcmodel=kernel) and runs wherever its physical slot is; all RAM is also reachable
 * through a direct map.
 */
#ifndef MEZZ_ARCH_LAYOUT_H
#define MEZZ_ARCH_LAYOUT_H

#define KERNEL_VMA_BASE   0xFFFFFFFF80000000
#define KERNEL_LOAD_PHYS  0x200000            /* where the multiboot loader puts us */
#define DIRECT_MAP_BASE   0xFFFF800000000000  /* phys p is at DIRECT_MAP_BASE + p */
#define DIRECT_MAP_MAX    0x0000100000000000  /* 16 TiB of physical space at most */
#define MMIO_MAP_BASE     0xFFFFC00000000000  /* device page p at MMIO_MAP_BASE + p, uncached */

#define BOOT_STACK_SIZE   0x8000
#define IST_STACK_SIZE    0x2000

#endif
