/*
 * Inspect: a JSON tree of Mezzanine's state for operators and tests (the diag channel's
 * "inspect"; OpenHCL has the same idea). Pure.
 *
 * Subsystems register top-level nodes; a node's function describes its state through
 * the writer (values and child objects). A PATH ("get/counters", "partition/exits")
 * selects a subtree: the output is then that object (or that single value) alone.
 *
 * The writer never overflows its buffer: when the next item does not fit, it and every
 * later item are dropped, open objects are closed, and the root object gets
 * "_truncated": true, so the output is always one well-formed JSON value.
 */
#ifndef MEZZ_KERNEL_INSPECT_H
#define MEZZ_KERNEL_INSPECT_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define INSPECT_MAX_DEPTH 16
#define INSPECT_MAX_NODES 24
#define INSPECT_MAX_PATH  8       /* path components */
#define INSPECT_NAME_MAX  48

struct inspect_writer {
    char *buf;
    size_t cap, len;             /* cap excludes the room reserved for closing */
    bool truncated;
    /* Path selection. */
    char path[INSPECT_MAX_PATH][INSPECT_NAME_MAX];
    unsigned path_len;
    unsigned depth;              /* objects opened by begin() and not yet ended */
    unsigned deep;               /* begin()s past INSPECT_MAX_DEPTH, ignored */
    uint8_t rel[INSPECT_MAX_DEPTH + 1];    /* per level: off, on the path, or selected */
    bool opened[INSPECT_MAX_DEPTH + 1];    /* per level: opened an object in the output */
    unsigned found;              /* items emitted inside the selection */
    bool selected_leaf;          /* the path named a single value and it was written */
    /* Output structure: objects open in the output and whether each needs a comma. */
    unsigned out_depth;
    bool comma[INSPECT_MAX_DEPTH + 1];
};

void inspect_u64(struct inspect_writer *w, const char *name, uint64_t v);
void inspect_i64(struct inspect_writer *w, const char *name, int64_t v);
void inspect_hex(struct inspect_writer *w, const char *name, uint64_t v);   /* "0x..." string */
void inspect_str(struct inspect_writer *w, const char *name, const char *v);
void inspect_bool(struct inspect_writer *w, const char *name, bool v);
void inspect_begin(struct inspect_writer *w, const char *name);  /* child object */
void inspect_end(struct inspect_writer *w);

typedef void (*inspect_fn)(struct inspect_writer *w, void *ctx);

struct inspect_node {
    char name[INSPECT_NAME_MAX];
    inspect_fn fn;
    void *ctx;
};

/* A tree's top-level nodes, in registration order. */
struct inspect_registry {
    struct inspect_node nodes[INSPECT_MAX_NODES];
    unsigned node_count;
};

/* Registers a top-level node. Returns 0, -ENOSPC when full, -EEXIST for a taken name,
 * -EINVAL for a bad name (empty, too long, or containing '/'). */
int inspect_registry_add(struct inspect_registry *r, const char *name, inspect_fn fn, void *ctx);

/*
 * Writes the tree (or the subtree at path; NULL or "" for all) into out[0, cap) as JSON,
 * NUL terminated. Returns the length, -ENOENT if path selects nothing, -EINVAL for a bad
 * path, -ENOSPC if cap is too small for even an empty object (cap < 64).
 */
int inspect_registry_run(const struct inspect_registry *r, const char *path, char *out, size_t cap);

/* The same on Mezzanine's own tree (kernel_ambient.inspect, kernel/core/ambient.h). */
int inspect_register(const char *name, inspect_fn fn, void *ctx);
int inspect_run(const char *path, char *out, size_t cap);
/* Forgets every node of Mezzanine's tree (tests). */
void inspect_registry_reset(void);

/* The writer alone, for nodes and tests: begin writing into out with a selection. */
int inspect_writer_init(struct inspect_writer *w, char *out, size_t cap, const char *path);
/* Closes open objects, marks truncation; returns the length or -ENOENT. */
int inspect_writer_finish(struct inspect_writer *w);

#endif
