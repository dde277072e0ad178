/* Inspect tree writer and node registry; see inspect.h. */
#include "kernel/core/inspect.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>


#define TRUNC_MARK "\"_truncated\":true"
#define RESERVE (INSPECT_MAX_DEPTH + sizeof(TRUNC_MARK) + 4)

enum rel { REL_OFF, REL_ONPATH, REL_INSIDE };

/* ---- raw output -------------------------------------------------------------------- */

static size_t escaped_len(const char *s)
{
    size_t n = 2;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            n += 2;
        else if (ch < 0x20)
            n += 6;
        else
            n += 1;
    }
    return n;
}

static void put_escaped(struct inspect_writer *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    w->buf[w->len++] = '"';
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            w->buf[w->len++] = '\\';
            w->buf[w->len++] = (char)ch;
        } else if (ch < 0x20) {
            memcpy(w->buf + w->len, "\\u00", 4);
            w->len += 4;
            w->buf[w->len++] = hex[ch >> 4];
            w->buf[w->len++] = hex[ch & 15];
        } else {
            w->buf[w->len++] = (char)ch;
        }
    }
    w->buf[w->len++] = '"';
}

/*
 * Emits one output item: `,"name":` (comma and name only inside an output object) then
 * the value, given either as raw text or as a string to escape. `opens` says the value
 * opens an object. All or nothing: on no room the writer becomes truncated.
 */
static void emit(struct inspect_writer *w, const char *name, const char *raw, const char *str,
                 bool opens)
{
    if (w->truncated)
        return;
    bool in_obj = w->out_depth > 0;
    size_t need = (raw ? strlen(raw) : escaped_len(str));
    if (in_obj)
        need += (w->comma[w->out_depth] ? 1 : 0) + escaped_len(name) + 1;
    if (opens && w->out_depth >= INSPECT_MAX_DEPTH)
        need = (size_t)-1;
    if (need > w->cap - w->len) {
        w->truncated = true;
        return;
    }
    if (in_obj) {
        if (w->comma[w->out_depth])
            w->buf[w->len++] = ',';
        w->comma[w->out_depth] = true;
        put_escaped(w, name);
        w->buf[w->len++] = ':';
    }
    if (raw) {
        memcpy(w->buf + w->len, raw, strlen(raw));
        w->len += strlen(raw);
    } else {
        put_escaped(w, str);
    }
    if (opens) {
        w->out_depth++;
        w->comma[w->out_depth] = false;
    }
    w->buf[w->len] = '\0';
}

/* ---- tree walking ------------------------------------------------------------------ */

static bool name_is(const struct inspect_writer *w, unsigned level, const char *name)
{
    return strncmp(w->path[level], name, INSPECT_NAME_MAX) == 0;
}

static enum rel current(const struct inspect_writer *w)
{
    return w->deep ? REL_OFF : (enum rel)w->rel[w->depth];
}

static void leaf(struct inspect_writer *w, const char *name, const char *raw, const char *str)
{
    enum rel r = current(w);
    if (r == REL_INSIDE) {
        emit(w, name, raw, str, false);
        w->found++;
    } else if (r == REL_ONPATH && w->depth + 1 == w->path_len && name_is(w, w->depth, name) &&
               !w->selected_leaf) {
        emit(w, name, raw, str, false);
        w->selected_leaf = true;
        w->found++;
    }
}

void inspect_u64(struct inspect_writer *w, const char *name, uint64_t v)
{
    char text[24];
    snprintf(text, sizeof(text), "%llu", (unsigned long long)v);
    leaf(w, name, text, NULL);
}

void inspect_i64(struct inspect_writer *w, const char *name, int64_t v)
{
    char text[24];
    snprintf(text, sizeof(text), "%lld", (long long)v);
    leaf(w, name, text, NULL);
}

void inspect_hex(struct inspect_writer *w, const char *name, uint64_t v)
{
    char text[24];
    snprintf(text, sizeof(text), "0x%llx", (unsigned long long)v);
    leaf(w, name, NULL, text);
}

void inspect_str(struct inspect_writer *w, const char *name, const char *v)
{
    leaf(w, name, NULL, v ? v : "");
}

void inspect_bool(struct inspect_writer *w, const char *name, bool v)
{
    leaf(w, name, v ? "true" : "false", NULL);
}

void inspect_begin(struct inspect_writer *w, const char *name)
{
    if (w->deep || w->depth + 1 >= INSPECT_MAX_DEPTH) {   /* deeper levels are skipped */
        w->deep++;
        return;
    }
    enum rel r = current(w), child = REL_OFF;
    bool opened = false;
    if (r == REL_INSIDE) {
        child = REL_INSIDE;
    } else if (r == REL_ONPATH && name_is(w, w->depth, name)) {
        child = w->depth + 1 == w->path_len ? REL_INSIDE : REL_ONPATH;
    }
    if (child == REL_INSIDE) {
        unsigned before = w->out_depth;
        emit(w, name, "{", NULL, true);   /* the selected object is the output's root */
        opened = w->out_depth > before;
        w->found++;
    }
    w->depth++;
    w->rel[w->depth] = (uint8_t)child;
    w->opened[w->depth] = opened;
}

void inspect_end(struct inspect_writer *w)
{
    if (w->deep) {
        w->deep--;
        return;
    }
    if (w->depth == 0)
        return;
    if (w->opened[w->depth] && !w->truncated && w->out_depth > 0) {
        w->buf[w->len++] = '}';   /* room for every '}' is reserved */
        w->buf[w->len] = '\0';
        w->out_depth--;
    }
    w->depth--;
}

int inspect_writer_init(struct inspect_writer *w, char *out, size_t cap, const char *path)
{
    memset(w, 0, sizeof(*w));
    if (cap < 64)
        return -ENOSPC;
    w->buf = out;
    w->cap = cap - RESERVE;
    out[0] = '\0';
    const char *p = path ? path : "";
    while (*p == '/')
        p++;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || n >= INSPECT_NAME_MAX || w->path_len == INSPECT_MAX_PATH)
            return -EINVAL;
        memcpy(w->path[w->path_len], p, n);
        w->path[w->path_len][n] = '\0';
        w->path_len++;
        p += n;
        while (*p == '/')
            p++;
    }
    w->rel[0] = w->path_len == 0 ? REL_INSIDE : REL_ONPATH;
    if (w->path_len == 0) {
        /* The whole tree: the root object is the output's root. */
        emit(w, "", "{", NULL, true);
    }
    return 0;
}

int inspect_writer_finish(struct inspect_writer *w)
{
    if (w->path_len > 0 && w->found == 0)
        return -ENOENT;
    if (w->truncated) {
        /* Close nested objects, then mark the root (an object whenever truncation can
         * happen: a lone selected value is all or nothing). */
        while (w->out_depth > 1) {
            w->buf[w->len++] = '}';
            w->out_depth--;
        }
        if (w->out_depth == 1) {
            if (w->comma[1])
                w->buf[w->len++] = ',';
            memcpy(w->buf + w->len, TRUNC_MARK, strlen(TRUNC_MARK));
            w->len += strlen(TRUNC_MARK);
            w->buf[w->len++] = '}';
            w->out_depth = 0;
        } else if (w->found && w->len == 0) {
            return -ENOSPC;
        }
    }
    while (w->out_depth > 0) {
        w->buf[w->len++] = '}';
        w->out_depth--;
    }
    w->buf[w->len] = '\0';
    return (int)w->len;
}

/* ---- registry ---------------------------------------------------------------------- */

int inspect_registry_add(struct inspect_registry *r, const char *name, inspect_fn fn, void *ctx)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= INSPECT_NAME_MAX || strchr(name, '/') || !fn)
        return -EINVAL;
    for (unsigned i = 0; i < r->node_count; i++) {
        if (strcmp(r->nodes[i].name, name) == 0)
            return -EEXIST;
    }
    if (r->node_count == INSPECT_MAX_NODES)
        return -ENOSPC;
    memcpy(r->nodes[r->node_count].name, name, n + 1);
    r->nodes[r->node_count].fn = fn;
    r->nodes[r->node_count].ctx = ctx;
    r->node_count++;
    return 0;
}

int inspect_registry_run(const struct inspect_registry *r, const char *path, char *out, size_t cap)
{
    struct inspect_writer w;
    int err = inspect_writer_init(&w, out, cap, path);
    if (err)
        return err;
    for (unsigned i = 0; i < r->node_count; i++) {
        if (w.path_len > 0 && strcmp(w.path[0], r->nodes[i].name) != 0)
            continue;
        inspect_begin(&w, r->nodes[i].name);
        r->nodes[i].fn(&w, r->nodes[i].ctx);
        inspect_end(&w);
    }
    return inspect_writer_finish(&w);
}
