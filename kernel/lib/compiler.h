/* Small compiler helpers shared by kernel and host builds. */
#ifndef MEZZ_COMPILER_H
#define MEZZ_COMPILER_H

#include <stddef.h>

#define PACKED        __attribute__((packed))
#define NORETURN      __attribute__((noreturn))
#define NOINLINE      __attribute__((noinline))
#define PRINTF_LIKE(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Alignment helpers for power-of-two alignments. */
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN_UP(x, a)   ALIGN_DOWN((x) + ((__typeof__(x))(a) - 1), (a))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)

#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)

#define STATIC_ASSERT_OFFSET(type, field, off) \
    _Static_assert(offsetof(type, field) == (off), #type "." #field " offset")
#define STATIC_ASSERT_SIZE(type, size) \
    _Static_assert(sizeof(type) == (size), "sizeof(" #type ")")

#endif
