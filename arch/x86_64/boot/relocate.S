/*
 * void relocate_and_switch(void *dst, const void *src, uint64_t len, uint64_t cr3)
 *
 * Copies the running kernel image to its VTL2 slot and switches to page tables that
 * map the kernel's link addresses onto that copy. Both happen in this one routine,
 * touching no stack in between, so every byte the kernel wrote before the call
 * (including the caller's frames and our return address) is in the copy, and nothing
 * is written to the old image after it was copied.
 * dst and src must be addresses valid in the current tables (the boot identity map);
 * len is a multiple of 8 (the image is page aligned). Quadword moves: TCG emulates
 * string instructions one element at a time, so movsq is 8x fewer steps than movsb.
 */
    .text
    .globl relocate_and_switch
relocate_and_switch:
    movq %rcx, %r8      /* cr3: rep movsq needs rcx for the count */
    movq %rdx, %rcx
    shrq $3, %rcx
    cld
    rep movsq
    movq %r8, %cr3      /* from here on the stack and code are the copy */
    ret
