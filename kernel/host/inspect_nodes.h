/* Mezzanine's own top-level inspect nodes: "version", "memory", "log". */
#ifndef MEZZ_KERNEL_INSPECT_NODES_H
#define MEZZ_KERNEL_INSPECT_NODES_H

void inspect_nodes_register(void);

#endif
