/* Text dump of an exception: names the vector, the RIP and the faulting address. Pure. */
#ifndef MEZZ_ARCH_TRAP_DUMP_H
#define MEZZ_ARCH_TRAP_DUMP_H

#include <stdbool.h>
#include <stddef.h>

#include "arch/x86_64/cpu/trap_frame.h"

#define X86_VEC_DE  0
#define X86_VEC_DB  1
#define X86_VEC_NMI 2
#define X86_VEC_BP  3
#define X86_VEC_UD  6
#define X86_VEC_DF  8
#define X86_VEC_GP  13
#define X86_VEC_PF  14
#define X86_VEC_MC  18
#define X86_NUM_EXCEPTIONS 32

/* Mnemonic ("DE", "PF", ...), or NULL for reserved exception vectors and interrupts. */
const char *exception_mnemonic(uint64_t vector);
/* Human name ("divide error", ...). */
const char *exception_name(uint64_t vector);
/* Whether the CPU pushes an error code for this vector. */
bool exception_has_error_code(uint64_t vector);

/* Line-oriented sink; called once per line without the newline. */
typedef void (*dump_line_fn)(void *ctx, const char *line);

/*
 * Emits the dump defined by docs/boot-contract.md: a headline
 * "EXCEPTION #MN (vector V) error=0x... at RIP=0x...", the page-fault decode when V is 14,
 * then the general registers, segment state and control registers.
 */
void trap_dump(const struct trap_frame *frame, const struct trap_cregs *cregs,
               dump_line_fn emit, void *ctx);

#endif
