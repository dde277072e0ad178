/*
 * libFuzzer target: the saved-state decoders (docs/saved-state.md). Byte 0 picks the
 * decoder: the envelope over every unit, or one unit's X_restore_state() directly; the
 * rest is the blob. Whatever the blob, nothing crashes (ASan/UBSan), a refused blob
 * leaves every device byte-identical (fake backends included: no call), and an accepted
 * one is a fixed point: save, restore that, save again gives the same bytes.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/servicing/envelope.h"
#include "tests/unit/state_adapters.h"

#define MAX_UNITS 16
#define BLOB_MAX 8192

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct devices {
    void *dev[MAX_UNITS], *copy[MAX_UNITS];
    struct state_unit units[MAX_UNITS];
};

static void build(struct devices *d)
{
    for (size_t i = 0; i < nadapters; i++) {
        d->dev[i] = calloc(1, adapters[i].size);
        d->copy[i] = malloc(adapters[i].size);
        if (!d->dev[i] || !d->copy[i])
            abort();
        adapters[i].fresh(d->dev[i]);
        if (i % 2)
            adapters[i].mutate(d->dev[i]);   /* some start busy, some fresh */
        memcpy(d->copy[i], d->dev[i], adapters[i].size);
        d->units[i] = (struct state_unit){ adapters[i].name, adapters[i].type_url, adapters[i].save,
                                           adapters[i].restore, d->dev[i] };
    }
}

static void destroy(struct devices *d)
{
    for (size_t i = 0; i < nadapters; i++) {
        free(d->dev[i]);
        free(d->copy[i]);
    }
}

static void expect_unchanged(const struct devices *d)
{
    for (size_t i = 0; i < nadapters; i++) {
        if (memcmp(d->dev[i], d->copy[i], adapters[i].size) != 0)
            abort();
    }
}

static uint8_t first[BLOB_MAX], second[BLOB_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || nadapters > MAX_UNITS)
        return 0;
    unsigned pick = data[0] % (nadapters + 1);
    const uint8_t *blob = data + 1;
    size_t len = size - 1;
    struct devices d;
    size_t n1 = 0, n2 = 0;
    build(&d);

    if (pick == nadapters) {
        struct state_error e;
        struct state_blob_unit parsed[STATE_MAX_UNITS];
        size_t count = 0;
        if (state_parse(blob, len, parsed, STATE_MAX_UNITS, &count, &e) == 0) {
            for (size_t i = 0; i < count; i++) {   /* pointers stay inside the blob */
                if (parsed[i].name < (const char *)blob ||
                    parsed[i].name + parsed[i].name_len > (const char *)blob + len)
                    abort();
                if (parsed[i].value_len &&
                    (parsed[i].value < blob || parsed[i].value + parsed[i].value_len > blob + len))
                    abort();
            }
        } else if (e.err == 0) {
            abort();
        }
        int err = state_restore(d.units, nadapters, blob, len, &e);
        if (err) {
            /* The envelope is checked whole first, and a unit refuses without change; a
             * refusal by unit k may follow units before it that restored, so compare only
             * when the refusal is the envelope's own (no unit restored yet). */
            if (e.err != err)
                abort();
            if (err != -EINVAL || strcmp(e.what, "state refused") != 0)
                expect_unchanged(&d);
        } else {
            if (state_save(d.units, nadapters, first, sizeof(first), &n1, &e) != 0 ||
                state_restore(d.units, nadapters, first, n1, &e) != 0 ||
                state_save(d.units, nadapters, second, sizeof(second), &n2, &e) != 0 ||
                n1 != n2 || memcmp(first, second, n1) != 0)
                abort();
        }
    } else {
        const struct adapter *a = &adapters[pick];
        void *w = d.dev[pick];
        if (a->restore(w, blob, len) != 0) {
            expect_unchanged(&d);
        } else if (a->save(w, first, sizeof(first), &n1) != 0 || a->restore(w, first, n1) != 0 ||
                   a->save(w, second, sizeof(second), &n2) != 0 || n1 != n2 ||
                   memcmp(first, second, n1) != 0) {
            abort();
        }
    }
    destroy(&d);
    return 0;
}
