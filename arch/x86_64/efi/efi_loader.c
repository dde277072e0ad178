/*
 * The UEFI loader (SPEC section 8, docs/image.md): a gnu-efi application that OVMF boots
 * from the ESP as \EFI\BOOT\BOOTX64.EFI. It reads \mezzanine.igvm, the command line
 * (\cmdline.txt) and the modules (\modules\NAME) from the ESP, claims a VTL2 region in
 * free memory, loads the image into its slot0 with the IGVM library (the same checks as
 * the boot shim, before anything is copied), exits boot services, passes the final UEFI
 * memory map as the IGVM memory-map parameter and enters the kernel with the boot block.
 */
#include <efi.h>
#include <efilib.h>

#include "arch/x86_64/cpu/cpu.h"
#include "kernel/boot/boot_block.h"
#include "kernel/boot/igvm.h"
#include "kernel/boot/igvm_boot.h"
#include "kernel/boot/igvm_params.h"
#include "kernel/core/cmdline.h"
#include "mm/memmap.h"

#define CONSOLE_PORT 0x2E8   /* COM4, Mezzanine's console (docs/boot-contract.md) */
#define DEBUG_EXIT_PORT 0xF4
#define REJECT_CODE 0x22                     /* QEMU exits with 69: "image rejected" */
#define BELOW_4G 0xFFFFFFFFull
#define PAGE 4096ull
#define MIB2 0x200000ull
#define PDE_LARGE 0x83ull
#define PTE_TABLE 0x03ull
#define KERNEL_PDPT_INDEX 510                /* KERNEL_VMA_BASE = -2 GiB */
#define CMDLINE_MAX 1024
#define MAP_SCRATCH 8192
#define MEMORY_MAP_BUFFER (64 * 1024)
#define TSC_STALL_US 10000

void efi_enter(uint64_t rip, uint64_t cr0, uint64_t cr4, uint64_t efer_bits, uint32_t magic,
               uint32_t block, uint64_t cr3) __attribute__((noreturn));
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table);

static const struct {
    const char *name;
    const CHAR16 *path;
} module_files[] = {
    { "vtl0", L"\\modules\\vtl0" },
    { "testscript", L"\\modules\\testscript" },
    { "vgabios", L"\\modules\\vgabios" },
};

/* Everything the loader keeps until the kernel copied it: in pages below 4 GiB. */
struct efi_state {
    struct igvm_plan plan;
    struct mezz_boot_block block;
    struct mem_range ranges[MEMMAP_MAX_RANGES];
    struct mem_range sanitized[MEMMAP_MAX_RANGES];
    uint8_t encoded_map[MAP_SCRATCH];
    char cmdline[CMDLINE_MAX];
    uint64_t (*tables)[512];                 /* pml4, pdpt low, 4 pd, pdpt high, pd kernel */
};

static void put(const char *s)
{
    for (; *s != '\0'; s++) {
        while (!(inb(CONSOLE_PORT + 5) & 0x20))
            ;
        outb(CONSOLE_PORT, (uint8_t)*s);
    }
}

/* Before anything was copied or entered: the message, then QEMU's exit. */
static void reject(const char *what, const char *why)
{
    put("IMAGE REJECTED: ");
    put(what);
    put(": ");
    put(why);
    put("\r\n");
    outl(DEBUG_EXIT_PORT, REJECT_CODE);
    for (;;)
        __asm__ volatile("cli; hlt");
}

static void *alloc_low(uint64_t bytes)
{
    EFI_PHYSICAL_ADDRESS address = BELOW_4G;
    UINTN pages = (bytes + PAGE - 1) / PAGE;
    if (uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, EfiLoaderData, pages,
                          &address) != EFI_SUCCESS)
        reject("efi", "out of memory below 4 GiB");
    return (void *)(uintptr_t)address;
}

/* Reads a whole ESP file into pages below 4 GiB; NULL if it does not exist. */
static void *read_file(EFI_FILE_HANDLE root, const CHAR16 *path, uint64_t *size)
{
    EFI_FILE_HANDLE file;
    if (uefi_call_wrapper(root->Open, 5, root, &file, (CHAR16 *)path, EFI_FILE_MODE_READ, 0ULL)
        != EFI_SUCCESS)
        return NULL;
    EFI_FILE_INFO *info = LibFileInfo(file);
    if (info == NULL)
        reject("efi", "cannot stat a file on the ESP");
    UINTN length = info->FileSize;
    FreePool(info);
    void *buffer = alloc_low(length + 1);
    if (uefi_call_wrapper(file->Read, 3, file, &length, buffer) != EFI_SUCCESS)
        reject("efi", "cannot read a file on the ESP");
    uefi_call_wrapper(file->Close, 1, file);
    *size = length;
    return buffer;
}

static uint32_t e820_type(UINT32 efi_type)
{
    switch (efi_type) {
    case EfiLoaderCode:
    case EfiLoaderData:
    case EfiBootServicesCode:
    case EfiBootServicesData:
    case EfiConventionalMemory:
        return MEM_USABLE;
    case EfiACPIReclaimMemory:
        return MEM_ACPI;
    case EfiACPIMemoryNVS:
        return MEM_NVS;
    case EfiUnusableMemory:
        return MEM_BAD;
    default:
        return MEM_RESERVED;
    }
}

/* UEFI descriptors → ranges, adjacent ones of one type merged. free_only: only free
 * memory counts as usable (to place VTL2 before boot services end). Returns the count
 * or -1 if there are too many. */
static int convert_map(const uint8_t *map, UINTN map_size, UINTN desc_size, bool free_only,
                       struct mem_range *out)
{
    int count = 0;
    for (UINTN off = 0; off + desc_size <= map_size; off += desc_size) {
        const EFI_MEMORY_DESCRIPTOR *d = (const EFI_MEMORY_DESCRIPTOR *)(map + off);
        uint32_t type = free_only ? (d->Type == EfiConventionalMemory ? MEM_USABLE : MEM_RESERVED)
                                  : e820_type(d->Type);
        uint64_t base = d->PhysicalStart, size = d->NumberOfPages * PAGE;
        if (count > 0 && out[count - 1].type == type && out[count - 1].base + out[count - 1].size == base) {
            out[count - 1].size += size;
            continue;
        }
        if (count == MEMMAP_MAX_RANGES)
            return -1;
        out[count++] = (struct mem_range){ base, size, type };
    }
    return count;
}

static void *identity(void *ctx, uint64_t gpa, uint64_t len)
{
    (void)ctx;
    if (gpa == 0 || gpa >= (1ull << 32) || len > (1ull << 32) - gpa)
        return NULL;
    return (void *)(uintptr_t)gpa;
}

static void ignore_option(void *ctx, const char *option, const char *reason)
{
    (void)ctx, (void)option, (void)reason;   /* the kernel reports them */
}

/* Identity map of 0-4 GiB and the kernel window onto the slot, 2 MiB pages. */
static uint64_t build_tables(struct efi_state *s)
{
    uint64_t (*t)[512] = s->tables;
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 512; j++)
            t[i][j] = 0;
    t[0][0] = (uint64_t)(uintptr_t)t[1] | PTE_TABLE;
    for (int i = 0; i < 4; i++) {
        t[1][i] = (uint64_t)(uintptr_t)t[2 + i] | PTE_TABLE;
        for (int j = 0; j < 512; j++)
            t[2 + i][j] = ((uint64_t)(i * 512 + j) * MIB2) | PDE_LARGE;
    }
    const struct igvm_plan *plan = &s->plan;
    uint64_t first = plan->region_gpa / MIB2;
    uint64_t count = (plan->region_size + MIB2 - 1) / MIB2;
    if (first + count > 512)
        reject("kernel window", "image region beyond the first GiB of the link window");
    for (uint64_t i = 0; i < count; i++)
        t[7][first + i] = (plan->load_base + i * MIB2) | PDE_LARGE;
    t[6][KERNEL_PDPT_INDEX] = (uint64_t)(uintptr_t)t[7] | PTE_TABLE;
    t[0][511] = (uint64_t)(uintptr_t)t[6] | PTE_TABLE;
    return (uint64_t)(uintptr_t)t[0];
}

static void read_cmdline(EFI_FILE_HANDLE root, struct efi_state *s)
{
    uint64_t size = 0;
    const char *text = read_file(root, L"\\cmdline.txt", &size);
    size_t n = 0;
    for (; text != NULL && n < size && n + 1 < sizeof(s->cmdline); n++) {
        char c = text[n];
        s->cmdline[n] = (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
    }
    s->cmdline[n] = '\0';
}

/* TSC ticks per second over a firmware stall (OVMF times it with the ACPI PM timer). */
static uint64_t measure_tsc(void)
{
    uint64_t start = rdtsc();
    uefi_call_wrapper(BS->Stall, 1, (UINTN)TSC_STALL_US);
    return (rdtsc() - start) * (1000000 / TSC_STALL_US);
}

EFI_STATUS efi_main(EFI_HANDLE image_handle, EFI_SYSTEM_TABLE *system_table)
{
    InitializeLib(image_handle, system_table);
    struct efi_state *s = alloc_low(sizeof(*s));

    EFI_LOADED_IMAGE *loaded;
    if (uefi_call_wrapper(BS->HandleProtocol, 3, image_handle, &LoadedImageProtocol,
                          (void **)&loaded) != EFI_SUCCESS)
        reject("efi", "no loaded-image protocol");
    EFI_FILE_HANDLE root = LibOpenRoot(loaded->DeviceHandle);
    if (root == NULL)
        reject("efi", "cannot open the ESP");
    uint64_t image_size = 0;
    const uint8_t *image = read_file(root, L"\\mezzanine.igvm", &image_size);
    if (image == NULL)
        reject("efi", "no \\mezzanine.igvm on the ESP");
    read_cmdline(root, s);
    uint64_t tsc_hz = measure_tsc();

    /* Place VTL2 in free memory and claim it, so nothing else lands there. */
    UINTN map_size = MEMORY_MAP_BUFFER, key, desc_size;
    UINT32 desc_version;
    uint8_t *map = alloc_low(MEMORY_MAP_BUFFER);
    if (uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size, (EFI_MEMORY_DESCRIPTOR *)map, &key,
                          &desc_size, &desc_version) != EFI_SUCCESS)
        reject("efi", "cannot read the memory map");
    int n = convert_map(map, map_size, desc_size, true, s->ranges);
    int count = n < 0 ? -1 : memmap_sanitize(s->ranges, (size_t)n, s->sanitized, MEMMAP_MAX_RANGES);
    if (count <= 0)
        reject("memory map", "empty or too fragmented");
    struct boot_options options;
    boot_options_default(&options);
    cmdline_parse(s->cmdline, &options, ignore_option, NULL);
    /* The highest free range below 4 GiB that holds the region: OVMF keeps its own
     * data at the top of RAM, so the very top range is often too small. */
    struct vtl2_layout vtl2;
    bool placed = false;
    for (int i = count - 1; i >= 0 && !placed; i--)
        placed = s->sanitized[i].type == MEM_USABLE &&
                 vtl2_place(&s->sanitized[i], 1, options.vtl2_size, &vtl2) == 0;
    if (!placed)
        reject("vtl2 region", "no free room below 4 GiB for the requested size");
    EFI_PHYSICAL_ADDRESS vtl2_base = vtl2.base;
    if (uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress, EfiLoaderData,
                          (UINTN)(vtl2.size / PAGE), &vtl2_base) != EFI_SUCCESS)
        reject("vtl2 region", "cannot claim the region");

    /* Validate everything before anything is copied. */
    struct igvm_error error;
    if (igvm_plan_load(image, image_size, vtl2.slot_base[0], &s->plan, &error) != 0) {
        char text[160];
        igvm_error_format(&error, text, sizeof(text));
        reject("igvm", text);
    }
    const char *why = igvm_boot_check(&s->plan, &vtl2, MEMMAP_MAX_RANGES);
    if (why != NULL)
        reject("igvm", why);
    if (igvm_plan_apply(&s->plan, image, identity, NULL) != 0)
        reject("igvm", "a destination page is not reachable");

    igvm_boot_fill_block(&s->block, &s->plan, &vtl2, tsc_hz, "mezzanine uefi loader");
    for (size_t i = 0; i < sizeof(module_files) / sizeof(module_files[0]); i++) {
        uint64_t size = 0;
        void *data = read_file(root, module_files[i].path, &size);
        if (data != NULL && size != 0)
            igvm_boot_add_module(&s->block, module_files[i].name, (uint64_t)(uintptr_t)data, size);
    }
    s->tables = alloc_low(8 * PAGE);         /* page aligned, as tables must be */
    uint64_t cr3 = build_tables(s);
    Print(L"mezzanine uefi loader: image %lu bytes, VTL2 at 0x%lx, kernel slot 0x%lx\n",
          image_size, vtl2.base, vtl2.slot_base[0]);

    /* The final map: nothing may allocate between reading it and leaving boot services. */
    int entries = -1;
    for (int attempt = 0; attempt < 8; attempt++) {
        map_size = MEMORY_MAP_BUFFER;
        if (uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size, (EFI_MEMORY_DESCRIPTOR *)map, &key,
                              &desc_size, &desc_version) != EFI_SUCCESS)
            reject("efi", "cannot read the memory map");
        n = convert_map(map, map_size, desc_size, false, s->ranges);
        entries = n < 0 ? -1 : igvm_memmap_encode(s->ranges, (size_t)n, s->encoded_map,
                                                  sizeof(s->encoded_map));
        if (entries < 0)
            reject("memory map", "too many ranges for the parameter area");
        if (uefi_call_wrapper(BS->ExitBootServices, 2, image_handle, key) == EFI_SUCCESS)
            break;
        entries = -1;
    }
    if (entries < 0)
        reject("efi", "ExitBootServices kept failing");
    if (igvm_boot_write_params(&s->plan, s->encoded_map, (uint32_t)entries, s->cmdline, identity,
                               NULL) != 0)
        reject("igvm", "a parameter area is not reachable");
    efi_enter(s->plan.entry.rip, s->plan.entry.cr0, s->plan.entry.cr4,
              s->plan.entry.efer & IGVM_BOOT_EFER_BITS, MEZZ_BOOT_BLOCK_MAGIC,
              (uint32_t)(uintptr_t)&s->block, cr3);
}
