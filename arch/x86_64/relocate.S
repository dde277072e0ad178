/*
 * void relocate_and_switch(void *dst, const void *src, uint64_t len, uint64_t cr3)
 *
 * Copies the running kernel image to its VTL2 slot and switches to page tables that
 * map the kernel's link addresses onto that copy. Both happen in this one routine,
 * touching no stack in between, so every byte the kernel wrote before the call
 * (including the caller's frames and our return address) is in the copy, and nothing
 * is written to the old image after it was copied.
 * dst and src must be addresses valid in the current tables (the boot identity map).
 */
    .text
    .globl relocate_and_switch
relocate_and_switch:
    movq %rcx, %r8      /* cr3: rep movsb needs rcx for the count */
    movq %rdx, %rcx
    cld
    rep movsb
    movq %r8, %cr3      /* from here on the stack and code are the copy */
    ret
