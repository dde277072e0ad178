/*
 * Unit "partition"'s schema written out by hand (partition_state.c): the encoder alone,
 * for the test that holds its bytes to nanopb's.
 */
#ifndef MEZZ_VTL0_PARTITION_STATE_H
#define MEZZ_VTL0_PARTITION_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "partition.pb.h"

/* Encodes m as nanopb would into buf[0, cap): 0 with *len set, -ENOSPC if it does not
 * fit, -EINVAL for counts beyond the schema's arrays. */
int partition_state_encode(const mezzanine_vtl0_partition_SavedState *m, uint8_t *buf, size_t cap,
                           size_t *len);

#endif
