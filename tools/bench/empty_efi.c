/*
 * The UEFI floor for tools/bench/boot_time: the smallest gnu-efi application that
 * prints one line on COM4, the console ("empty-efi") and ends the machine through isa-debug-exit,
 * so OVMF's own launch-to-application time can be set against Mezzanine's EFI loader.
 */
#include <efi.h>
#include <efilib.h>

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table);

static void put(const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char status;
        do
            __asm__ volatile("inb %1, %0" : "=a"(status) : "Nd"((unsigned short)0x2ED));
        while (!(status & 0x20));
        __asm__ volatile("outb %0, %1" : : "a"(*s), "Nd"((unsigned short)0x2E8));
    }
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table)
{
    InitializeLib(image, system_table);
    put("empty-efi\r\n");
    __asm__ volatile("outl %0, %1" : : "a"(0x10), "Nd"((unsigned short)0xF4));
    return EFI_SUCCESS;
}
