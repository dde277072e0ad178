/* VTL0's fw_cfg view; see fwcfg_view.h. */
#include "drivers/vdev/chipset/fwcfg_view.h"

#include <errno.h>
#include <string.h>

#include "mm/memmap.h"

#define FWCFG_SIGNATURE "QEMU"

static uint32_t be32(uint32_t v) { return __builtin_bswap32(v); }
static uint16_t be16(uint16_t v) { return __builtin_bswap16(v); }

bool fwcfg_hidden_file(const char *name)
{
    /* QEMU's -kernel loaders (they would boot Mezzanine itself) and the kvmvapic ROM
     * (it drives QEMU's vapic port, which writes physical memory). */
    static const char *const prefixes[] = { "genroms/multiboot", "genroms/linuxboot", "genroms/kvmvapic" };
    for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    }
    return false;
}

static void read_real(struct fwcfg_view *v, uint16_t key, void *buf, size_t n)
{
    v->ops.select(v->ops.ctx, key);
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)buf)[i] = v->ops.read_byte(v->ops.ctx);
}

static void build_e820(struct fwcfg_view *v)
{
    v->e820_count = 0;
    v->e820[v->e820_count++] = (struct fwcfg_e820){ 0, v->ram_below_4g, MEM_USABLE };
    if (v->ram_above_4g)
        v->e820[v->e820_count++] = (struct fwcfg_e820){ GiB(4), v->ram_above_4g, MEM_USABLE };
}

/* One entry of QEMU's directory into the view: hidden files dropped, etc/e820 given the
 * size of VTL0's table. */
static void keep_file(struct fwcfg_view *v, struct fwcfg_file f)
{
    f.name[FWCFG_NAME_LEN - 1] = '\0';
    if (fwcfg_hidden_file(f.name) || v->file_count == FWCFG_MAX_FILES)
        return;
    if (strcmp(f.name, "etc/e820") == 0) {
        v->e820_key = be16(f.select_be);
        f.size_be = be32((uint32_t)(v->e820_count * sizeof(struct fwcfg_e820)));
    }
    v->dir[v->file_count++] = f;
}

static void view_start(struct fwcfg_view *v, uint64_t ram_below_4g, uint64_t ram_above_4g,
                       const struct fwcfg_ops *ops)
{
    memset(v, 0, sizeof(*v));
    v->ram_below_4g = ram_below_4g;
    v->ram_above_4g = ram_above_4g;
    v->ops = *ops;
    v->selected = FW_CFG_SIGNATURE;
    build_e820(v);
}

int fwcfg_view_init(struct fwcfg_view *v, uint64_t ram_below_4g, uint64_t ram_above_4g,
                    const struct fwcfg_ops *ops)
{
    char signature[4];
    uint32_t count_be;

    view_start(v, ram_below_4g, ram_above_4g, ops);
    read_real(v, FW_CFG_SIGNATURE, signature, sizeof(signature));
    if (memcmp(signature, FWCFG_SIGNATURE, sizeof(signature)) != 0)
        return -ENODEV;
    v->present = true;
    read_real(v, FW_CFG_ID, &v->features, sizeof(v->features));

    /* Copy the real directory entry by entry (all of them are read, kept or not). */
    read_real(v, FW_CFG_FILE_DIR, &count_be, sizeof(count_be));
    uint32_t count = be32(count_be);
    for (uint32_t i = 0; i < count; i++) {
        struct fwcfg_file f;
        for (size_t b = 0; b < sizeof(f); b++)
            ((uint8_t *)&f)[b] = v->ops.read_byte(v->ops.ctx);
        keep_file(v, f);
    }
    read_real(v, FW_CFG_SIGNATURE, signature, 0);
    return 0;
}

void fwcfg_view_carry(const struct fwcfg_view *v, struct fwcfg_carry *out)
{
    memset(out, 0, sizeof(*out));
    if (!v->present)
        return;
    out->magic = FWCFG_CARRY_MAGIC;
    out->features = v->features;
    out->count = v->file_count;
    memcpy(out->dir, v->dir, v->file_count * sizeof(v->dir[0]));
}

int fwcfg_view_init_carried(struct fwcfg_view *v, uint64_t ram_below_4g, uint64_t ram_above_4g,
                            const struct fwcfg_ops *ops, const struct fwcfg_carry *carried)
{
    uint32_t magic, features, count;
    memcpy(&magic, &carried->magic, sizeof(magic));
    memcpy(&features, &carried->features, sizeof(features));
    memcpy(&count, &carried->count, sizeof(count));
    if (magic != FWCFG_CARRY_MAGIC || count > FWCFG_MAX_FILES)
        return -EINVAL;
    view_start(v, ram_below_4g, ram_above_4g, ops);
    v->present = true;
    v->features = features;
    for (uint32_t i = 0; i < count; i++) {
        struct fwcfg_file f;
        memcpy(&f, &carried->dir[i], sizeof(f));
        keep_file(v, f);
    }
    return 0;
}

void fwcfg_view_reset(struct fwcfg_view *v)
{
    v->selected = FW_CFG_SIGNATURE;
    v->offset = 0;
}

/* Copies byte `offset` of a synthetic item; false if the key is not synthetic. */
static bool synthetic_byte(struct fwcfg_view *v, uint16_t key, uint32_t offset, uint8_t *out)
{
    uint8_t buf[8];
    const uint8_t *item = buf;
    size_t len;

    if (key == FW_CFG_ID) {
        uint32_t features = v->features & ~FW_CFG_ID_DMA;
        memcpy(buf, &features, 4);
        len = 4;
    } else if (key == FW_CFG_RAM_SIZE) {
        uint64_t size = v->ram_below_4g + v->ram_above_4g;
        memcpy(buf, &size, 8);
        len = 8;
    } else if ((key >= FW_CFG_KERNEL_ADDR && key <= FW_CFG_INITRD_SIZE) ||
               (key >= FW_CFG_KERNEL_ENTRY && key <= FW_CFG_SETUP_DATA)) {
        len = 0;   /* no -kernel: every size and address reads as zero */
    } else if (key == FW_CFG_FILE_DIR) {
        uint32_t count_be = be32(v->file_count);
        if (offset < 4) {
            *out = ((const uint8_t *)&count_be)[offset];
            return true;
        }
        offset -= 4;
        item = (const uint8_t *)v->dir;
        len = v->file_count * sizeof(struct fwcfg_file);
    } else if (v->e820_key != 0 && key == v->e820_key) {
        item = (const uint8_t *)v->e820;
        len = v->e820_count * sizeof(struct fwcfg_e820);
    } else {
        return false;
    }
    /* Reading past the end of an item gives 0, as QEMU does. */
    *out = offset < len ? item[offset] : 0;
    return true;
}

void fwcfg_view_io(struct fwcfg_view *v, uint16_t port, unsigned size, bool is_write,
                   uint32_t *value)
{
    if (!v->present) {
        if (!is_write)
            *value = 0xFFFFFFFFu;
        return;
    }
    if (port >= FWCFG_PORT_DMA_HIGH) {
        v->stats.dma_refused++;
        if (!is_write)
            *value = 0;  /* no DMA interface: its signature reads as absent */
        return;
    }
    if (port == FWCFG_PORT_SELECTOR && is_write && size == 2) {
        /* QEMU picks the item from the key without the write-channel bit: 0x4001 is
         * FW_CFG_ID too, so the bit must not let VTL0 around the synthetic items. */
        v->selected = (uint16_t)(*value & ~FW_CFG_WRITE_CHANNEL);
        v->offset = 0;
        uint8_t unused;
        if (!synthetic_byte(v, v->selected, 0, &unused))
            v->ops.select(v->ops.ctx, v->selected);
        return;
    }
    if (port == FWCFG_PORT_DATA && !is_write) {
        uint32_t result = 0;
        for (unsigned i = 0; i < size; i++) {
            uint8_t b;
            if (synthetic_byte(v, v->selected, v->offset, &b)) {
                v->offset++;
                v->stats.hidden_reads++;
            } else {
                b = v->ops.read_byte(v->ops.ctx);
                v->stats.passthrough_reads++;
            }
            result |= (uint32_t)b << (8 * i);
        }
        *value = result;
        return;
    }
    if (is_write) {
        v->stats.data_writes++;
        return;
    }
    *value = 0;  /* selector read-back and odd sizes */
}
