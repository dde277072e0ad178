/* The built-in exit-cost benchmark (mezz.bench=exits); see bench_exits.c. */
#ifndef MEZZ_KERNEL_BENCH_EXITS_H
#define MEZZ_KERNEL_BENCH_EXITS_H

#include <stdint.h>

#include "kernel/vtl0/emuplat/bridge.h"
#include "kernel/vtl0/partition.h"
#include "mm/vtl2_space.h"
#include "mm/pmm.h"

/* Runs the benchmark against a VTL0 of its own and logs "bench: exits: ..." lines. */
void bench_exits_run(struct partition *p, struct vtl0_bridge *bridge, struct host_channels *host,
                     const struct idt_tables *idt, struct vtl2_space *space, struct pmm *pmm,
                     uint64_t low_ram_end);

#endif
