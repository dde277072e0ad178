/* The 32- and 64-bit builds, as flat binaries, and the built-in script, in their slots
 * of the image (fw16.ld.S). The Makefile puts their directory on the include path. */
    .section .slot32, "a"
    .incbin "fw32.bin"
    .section .slot64, "a"
    .incbin "fw64.bin"
    .section .slotscript, "a"
    .incbin "default_script.bin"
