/* JSON reader; see json.h. */
#include "kernel/lib/json.h"

#include <errno.h>
#include <string.h>

struct cursor {
    const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool is_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static int scan_string(struct cursor *c)
{
    if (c->p >= c->end || *c->p != '"')
        return -EINVAL;
    c->p++;
    while (c->p < c->end) {
        unsigned char ch = (unsigned char)*c->p++;
        if (ch == '"')
            return 0;
        if (ch < 0x20)
            return -EINVAL;
        if (ch == '\\') {
            if (c->p >= c->end)
                return -EINVAL;
            char e = *c->p++;
            if (e == 'u') {
                if (c->end - c->p < 4)
                    return -EINVAL;
                for (int i = 0; i < 4; i++) {
                    if (!is_hex(c->p[i]))
                        return -EINVAL;
                }
                c->p += 4;
            } else if (!strchr("\"\\/bfnrt", e) || e == '\0') {
                return -EINVAL;
            }
        }
    }
    return -EINVAL;
}

/* Skips a run of digits; returns how many. */
static size_t skip_digits(struct cursor *c)
{
    const char *s = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    return (size_t)(c->p - s);
}

static int scan_number(struct cursor *c)
{
    if (c->p < c->end && *c->p == '-')
        c->p++;
    if (c->p >= c->end)
        return -EINVAL;
    if (*c->p == '0')
        c->p++;
    else if (*c->p >= '1' && *c->p <= '9')
        skip_digits(c);
    else
        return -EINVAL;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (!skip_digits(c))
            return -EINVAL;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (!skip_digits(c))
            return -EINVAL;
    }
    return 0;
}

static int scan_literal(struct cursor *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return -EINVAL;
    c->p += n;
    return 0;
}

/* Scans one value at c (whitespace already skipped); sets *type. */
static int scan_value(struct cursor *c, int depth, enum json_type *type)
{
    if (c->p >= c->end)
        return -EINVAL;
    char ch = *c->p;
    int err;
    if (ch == '{' || ch == '[') {
        if (depth >= JSON_MAX_DEPTH)
            return -E2BIG;
        char close = ch == '{' ? '}' : ']';
        *type = ch == '{' ? JSON_OBJECT : JSON_ARRAY;
        c->p++;
        skip_ws(c);
        if (c->p < c->end && *c->p == close) {
            c->p++;
            return 0;
        }
        for (;;) {
            enum json_type t;
            if (close == '}') {
                if ((err = scan_string(c)))
                    return err;
                skip_ws(c);
                if (c->p >= c->end || *c->p != ':')
                    return -EINVAL;
                c->p++;
                skip_ws(c);
            }
            if ((err = scan_value(c, depth + 1, &t)))
                return err;
            skip_ws(c);
            if (c->p >= c->end)
                return -EINVAL;
            if (*c->p == close) {
                c->p++;
                return 0;
            }
            if (*c->p != ',')
                return -EINVAL;
            c->p++;
            skip_ws(c);
        }
    }
    if (ch == '"') {
        *type = JSON_STRING;
        return scan_string(c);
    }
    if (ch == 't' || ch == 'f') {
        *type = JSON_BOOL;
        return scan_literal(c, ch == 't' ? "true" : "false");
    }
    if (ch == 'n') {
        *type = JSON_NULL;
        return scan_literal(c, "null");
    }
    *type = JSON_NUMBER;
    return scan_number(c);
}

int json_validate(const char *doc, size_t len)
{
    struct cursor c = { doc, doc + len };
    enum json_type t;
    skip_ws(&c);
    int err = scan_value(&c, 0, &t);
    if (err)
        return err;
    skip_ws(&c);
    return c.p == c.end ? 0 : -EINVAL;
}

/* Compares the JSON string at [s, e) (quotes included) with key[0, klen), escapes raw. */
static bool key_equals(const char *s, const char *e, const char *key, size_t klen)
{
    return (size_t)(e - s) == klen + 2 && memcmp(s + 1, key, klen) == 0;
}

int json_find(const char *doc, size_t len, const char *path, struct json_value *out)
{
    struct cursor c = { doc, doc + len };
    enum json_type t;
    skip_ws(&c);
    const char *vstart = c.p;
    const char *comp = path;
    for (;;) {
        if (*comp == '\0') {
            struct cursor v = { vstart, c.end };
            int err = scan_value(&v, 0, &t);
            if (err)
                return err;
            *out = (struct json_value){ t, vstart, (size_t)(v.p - vstart) };
            return 0;
        }
        const char *dot = strchr(comp, '.');
        size_t klen = dot ? (size_t)(dot - comp) : strlen(comp);
        c.p = vstart;
        if (c.p >= c.end || *c.p != '{')
            return -ENOTDIR;
        c.p++;
        skip_ws(&c);
        bool found = false;
        while (c.p < c.end && *c.p != '}') {
            const char *ks = c.p;
            int err = scan_string(&c);
            if (err)
                return err;
            const char *ke = c.p;
            skip_ws(&c);
            if (c.p >= c.end || *c.p != ':')
                return -EINVAL;
            c.p++;
            skip_ws(&c);
            if (key_equals(ks, ke, comp, klen)) {
                vstart = c.p;
                found = true;
                break;
            }
            if ((err = scan_value(&c, 1, &t)))
                return err;
            skip_ws(&c);
            if (c.p < c.end && *c.p == ',') {
                c.p++;
                skip_ws(&c);
            }
        }
        if (!found)
            return -ENOENT;
        comp = dot ? dot + 1 : comp + klen;
    }
}

int json_get_bool(const struct json_value *v, bool *out)
{
    if (v->type != JSON_BOOL)
        return -EINVAL;
    *out = v->start[0] == 't';
    return 0;
}

int json_get_u64(const struct json_value *v, uint64_t *out)
{
    if (v->type != JSON_NUMBER)
        return -EINVAL;
    uint64_t x = 0;
    for (size_t i = 0; i < v->len; i++) {
        char ch = v->start[i];
        if (ch < '0' || ch > '9')
            return -EINVAL;   /* sign, fraction or exponent */
        uint64_t d = (uint64_t)(ch - '0');
        if (x > (UINT64_MAX - d) / 10)
            return -ERANGE;
        x = x * 10 + d;
    }
    *out = x;
    return 0;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    return ch - 'A' + 10;
}

int json_get_string(const struct json_value *v, char *out, size_t cap)
{
    if (v->type != JSON_STRING || cap == 0)
        return -EINVAL;
    size_t o = 0;
    int err = 0;
    for (size_t i = 1; i + 1 < v->len; i++) {
        char ch = v->start[i];
        if (ch == '\\') {
            char e = v->start[++i];
            switch (e) {
            case 'b': ch = '\b'; break;
            case 'f': ch = '\f'; break;
            case 'n': ch = '\n'; break;
            case 'r': ch = '\r'; break;
            case 't': ch = '\t'; break;
            case 'u': {
                int cp = 0;
                for (int k = 1; k <= 4; k++)
                    cp = cp * 16 + hexval(v->start[i + k]);
                i += 4;
                ch = cp < 0x80 ? (char)cp : '?';
                break;
            }
            default: ch = e; break;   /* \" \\ \/ */
            }
        }
        if (o + 1 >= cap) {
            err = -ENOSPC;
            break;
        }
        out[o++] = ch;
    }
    out[o] = '\0';
    return err;
}
