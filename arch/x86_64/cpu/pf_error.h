/* #PF error code bits (APM vol. 2, "Page-Fault Error Code"). Pure. */
#ifndef MEZZ_ARCH_PF_ERROR_H
#define MEZZ_ARCH_PF_ERROR_H

#define PF_ERR_P    (1u << 0)   /* 0: not present; 1: protection or reserved-bit fault */
#define PF_ERR_W    (1u << 1)   /* the access was a write */
#define PF_ERR_U    (1u << 2)   /* the access was a user-mode (CPL 3) access */
#define PF_ERR_RSVD (1u << 3)   /* a reserved bit was set in a paging entry */
#define PF_ERR_ID   (1u << 4)   /* instruction fetch (reported when NX or SMEP is on) */

#endif
