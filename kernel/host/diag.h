/* The diag channel on COM3 (0x3E8): inspect, log and GET test commands (docs/diag.md). */
#ifndef MEZZ_KERNEL_DIAG_H
#define MEZZ_KERNEL_DIAG_H

#define COM3_BASE 0x3E8

/* Brings COM3 up and registers the "diag" inspect node. Failure is logged, not fatal. */
void diag_init(void);
/* Answers pending requests; kernel_poll() calls it. */
void diag_poll(void);

#endif
