/*
 * libFuzzer target: the fw_cfg directory a new instance takes from the persisted part
 * after servicing (struct fwcfg_carry, docs/servicing.md "The persisted part"). The host
 * can write that memory through the guest-RAM file, so the record is untrusted.
 *
 *   input[0, sizeof(struct fwcfg_carry))  the record (zero padded when short)
 *   input[sizeof record, end)             VTL0's port accesses to the view afterwards,
 *                                         5 bytes each: port offset (mod 12), size
 *                                         (1, 2 or 4), write?, a 16-bit value (any key
 *                                         can be selected, the write-channel alias too)
 *
 * fwcfg_view_init_carried must never touch the real device (a fake one that aborts if
 * it is reached before the first VTL0 access), and what it accepts must be well formed:
 * a bounded count, terminated names, no hidden file, etc/e820 as VTL0's table. Then
 * every access is served (nothing may crash: ASan, UBSan), and FW_CFG_FILE_DIR reads
 * back the count the view holds.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/vdev/chipset/fwcfg_view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fake_device {
    bool armed;            /* VTL0 has started: the view may pass accesses through */
    uint16_t key;
    uint32_t offset;
};

static void require(bool ok)
{
    if (!ok)
        abort();
}

static void fake_select(void *ctx, uint16_t key)
{
    struct fake_device *d = ctx;
    require(d->armed);
    d->key = key;
    d->offset = 0;
}

static uint8_t fake_read(void *ctx)
{
    struct fake_device *d = ctx;
    require(d->armed);
    return (uint8_t)(d->key * 31u + d->offset++);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fwcfg_carry record;
    static struct fwcfg_view view;
    struct fake_device dev = { 0 };
    const struct fwcfg_ops ops = { fake_select, fake_read, &dev };

    size_t n = size < sizeof(record) ? size : sizeof(record);
    memset(&record, 0, sizeof(record));
    memcpy(&record, data, n);
    if (fwcfg_view_init_carried(&view, 0x7FE00000, 0x40000000, &ops, &record) != 0)
        return 0;
    require(view.present && view.file_count <= FWCFG_MAX_FILES);
    for (uint32_t i = 0; i < view.file_count; i++) {
        const struct fwcfg_file *f = &view.dir[i];
        require(memchr(f->name, '\0', sizeof(f->name)) != NULL);
        require(!fwcfg_hidden_file(f->name));
        if (strcmp(f->name, "etc/e820") == 0)
            require(__builtin_bswap32(f->size_be) == view.e820_count * sizeof(struct fwcfg_e820));
    }

    dev.armed = true;      /* VTL0 runs: its accesses may reach the device */
    uint32_t value = FW_CFG_FILE_DIR;
    fwcfg_view_io(&view, FWCFG_PORT_SELECTOR, 2, true, &value);
    uint32_t count_be = 0;
    fwcfg_view_io(&view, FWCFG_PORT_DATA, 4, false, &count_be);
    require(__builtin_bswap32(count_be) == view.file_count);
    static const unsigned sizes[3] = { 1, 2, 4 };
    for (size_t at = n; at + 5 <= size; at += 5) {
        uint16_t port = (uint16_t)(FWCFG_PORT_FIRST + data[at] % FWCFG_PORT_COUNT);
        unsigned width = sizes[data[at + 1] % 3];
        bool write = data[at + 2] & 1;
        value = data[at + 3] | (uint32_t)data[at + 4] << 8;
        fwcfg_view_io(&view, port, width, write, &value);
    }
    return 0;
}
