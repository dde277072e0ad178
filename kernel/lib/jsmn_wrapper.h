/*
 * Debian's jsmn (package libjsmn-dev: /usr/include/jsmn.h, a single header holding the
 * whole tokenizer; SPEC section 10), configured once for Mezzanine. Include this, never
 * <jsmn.h> itself; kernel/lib/json.c is its only user.
 *
 * - JSMN_STATIC: the implementation becomes static functions of the including file, so
 *   nothing of jsmn is exported from the kernel and no second copy can clash at link time.
 * - Neither JSMN_STRICT nor JSMN_PARENT_LINKS: strict mode refuses a top-level number
 *   ("0" is JSON, RFC 8259 section 2), and json.c checks the full grammar over jsmn's
 *   tokens anyway; without parent links a token is 16 bytes, and the token budget
 *   (JSON_MAX_TOKENS) bounds jsmn's backward scans.
 * - jsmn uses no floating point and no library call besides <stddef.h>, so it builds
 *   freestanding with the kernel's flags (-mgeneral-regs-only: no SSE/x87). The kernel
 *   build sees /usr/include/jsmn.h alone, through build/gen/jsmn/ (Makefile), not the
 *   rest of /usr/include; native builds (unit tests, fuzzing) find it in /usr/include.
 */
#ifndef MEZZ_LIB_JSMN_WRAPPER_H
#define MEZZ_LIB_JSMN_WRAPPER_H

#define JSMN_STATIC
#include <jsmn.h>

#endif
