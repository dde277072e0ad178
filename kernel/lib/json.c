/*
 * JSON path lookup over jsmn; see json.h.
 *
 * jsmn (Debian's libjsmn-dev, through kernel/lib/jsmn_wrapper.h) splits the document into
 * tokens in document order and matches the brackets. It is lenient by design: it takes
 * "01", "tru", "[1 2]", "{"a":1,}" or "{'a':1}" and stops at a NUL byte. So before anything
 * is looked up, walk_value() holds every token and every gap between two tokens against
 * RFC 8259's grammar: each byte of the document is either inside a token whose text was
 * checked or is whitespace or the one punctuation mark the grammar expects there.
 */
#include "kernel/lib/json.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "kernel/lib/jsmn_wrapper.h"

/* A tokenized, checked document. */
struct doc {
    const char *text;
    size_t len;
    const jsmntok_t *tok;
    int ntok;
};

/* The grammar walk: the next byte of the text not yet accounted for. */
struct walk {
    const struct doc *d;
    size_t pos;
};

static bool is_ws(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_hex(char ch)
{
    return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static void skip_ws(struct walk *w)
{
    while (w->pos < w->d->len && is_ws(w->d->text[w->pos]))
        w->pos++;
}

/* Whitespace, then the byte ch. */
static int expect(struct walk *w, char ch)
{
    skip_ws(w);
    if (w->pos >= w->d->len || w->d->text[w->pos] != ch)
        return -EINVAL;
    w->pos++;
    return 0;
}

/* Skips a run of digits; returns how many there were. */
static size_t digits(const char *s, size_t n, size_t *i)
{
    size_t start = *i;
    while (*i < n && is_digit(s[*i]))
        (*i)++;
    return *i - start;
}

/* RFC 8259 section 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static bool is_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        digits(s, n, &i);
    else
        return false;
    if (i < n && s[i] == '.') {
        i++;
        if (!digits(s, n, &i))
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (!digits(s, n, &i))
            return false;
    }
    return i == n;
}

/* A jsmn primitive: a number or one of the three literals, nothing else. */
static bool primitive_ok(const char *s, size_t n)
{
    return (n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0) ||
           (n == 4 && memcmp(s, "null", 4) == 0) || is_number(s, n);
}

/* A string body (between the quotes): no control character, only RFC 8259 escapes. */
static bool string_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == '"')
            return false;
        if (ch != '\\')
            continue;
        if (++i >= n)
            return false;
        if (s[i] == 'u') {
            if (n - i - 1 < 4)
                return false;
            for (size_t k = 1; k <= 4; k++) {
                if (!is_hex(s[i + k]))
                    return false;
            }
            i += 4;
        } else if (s[i] == '\0' || !strchr("\"\\/bfnrt", s[i])) {
            return false;
        }
    }
    return true;
}

/* Where a token's text begins in the document: strings include their opening quote. */
static size_t raw_start(const jsmntok_t *t)
{
    return (size_t)t->start - (t->type == JSMN_STRING ? 1 : 0);
}

/*
 * Checks the value at token i (nested `depth` containers deep) and the whitespace before
 * it. Returns the index of the first token after the value's subtree, or -EINVAL (the
 * grammar is broken), -E2BIG (nested deeper than JSON_MAX_DEPTH).
 */
static int walk_value(struct walk *w, int i, int depth)
{
    const struct doc *d = w->d;
    if (i >= d->ntok)
        return -EINVAL;
    const jsmntok_t *t = &d->tok[i];
    skip_ws(w);
    if (t->start < (t->type == JSMN_STRING ? 1 : 0) || t->end < t->start ||
        (size_t)t->end > d->len || raw_start(t) != w->pos)
        return -EINVAL;
    const char *body = d->text + t->start;
    size_t body_len = (size_t)(t->end - t->start);
    switch (t->type) {
    case JSMN_PRIMITIVE:
        if (!primitive_ok(body, body_len))
            return -EINVAL;
        w->pos = (size_t)t->end;
        return i + 1;
    case JSMN_STRING:
        if (!string_ok(body, body_len) || (size_t)t->end >= d->len || d->text[t->end] != '"')
            return -EINVAL;
        w->pos = (size_t)t->end + 1;
        return i + 1;
    case JSMN_ARRAY:
    case JSMN_OBJECT: {
        if (depth >= JSON_MAX_DEPTH)
            return -E2BIG;
        bool object = t->type == JSMN_OBJECT;
        w->pos++;   /* the opening bracket, where jsmn's token starts */
        int j = i + 1;
        for (int n = 0; j < d->ntok && d->tok[j].start < t->end; n++) {
            if (n > 0 && expect(w, ','))
                return -EINVAL;
            if (object) {
                if (d->tok[j].type != JSMN_STRING)
                    return -EINVAL;   /* keys are strings */
                j = walk_value(w, j, depth + 1);
                if (j < 0)
                    return j;
                if (expect(w, ':') || j >= d->ntok || d->tok[j].start >= t->end)
                    return -EINVAL;   /* a key without its value */
            }
            j = walk_value(w, j, depth + 1);
            if (j < 0)
                return j;
        }
        if (expect(w, object ? '}' : ']') || w->pos != (size_t)t->end)
            return -EINVAL;
        return j;
    }
    default:
        return -EINVAL;
    }
}

/* Tokenizes text[0, len) into tok[0, cap) and checks it: one value, whitespace around. */
static int parse(const char *text, size_t len, jsmntok_t *tok, unsigned int cap, struct doc *d)
{
    if (len > INT_MAX)
        return -E2BIG;   /* jsmn keeps offsets in int */
    jsmn_parser parser;
    jsmn_init(&parser);
    int n = jsmn_parse(&parser, text, len, tok, cap);
    if (n == JSMN_ERROR_NOMEM)
        return -E2BIG;
    if (n <= 0)
        return -EINVAL;   /* JSMN_ERROR_INVAL, JSMN_ERROR_PART, or no value at all */
    *d = (struct doc){ text, len, tok, n };
    struct walk w = { d, 0 };
    int next = walk_value(&w, 0, 0);
    if (next < 0)
        return next;
    skip_ws(&w);
    return next == n && w.pos == len ? 0 : -EINVAL;
}

/* The first token after token i's subtree (tokens are in document order). */
static int skip_subtree(const struct doc *d, int i)
{
    int j = i + 1;
    while (j < d->ntok && d->tok[j].start < d->tok[i].end)
        j++;
    return j;
}

/* Decodes one character of a checked string body at *s (< end); \uXXXX outside ASCII
 * becomes '?'. */
static char next_char(const char **s, const char *end)
{
    char ch = *(*s)++;
    if (ch != '\\' || *s >= end)
        return ch;
    char e = *(*s)++;
    switch (e) {
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'u': {
        unsigned int cp = 0;
        for (int k = 0; k < 4 && *s < end; k++) {
            char h = *(*s)++;
            cp = cp * 16 + (unsigned int)(is_digit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
        }
        return cp < 0x80 ? (char)cp : '?';
    }
    default:
        return e;   /* \" \\ \/ */
    }
}

/* Whether the key token (a checked string) decodes to key[0, klen). */
static bool key_equals(const struct doc *d, const jsmntok_t *t, const char *key, size_t klen)
{
    const char *s = d->text + t->start, *end = d->text + t->end;
    size_t k = 0;
    while (s < end) {
        if (k >= klen || next_char(&s, end) != key[k])
            return false;
        k++;
    }
    return k == klen;
}

/* The value of key[0, klen) in the object at token obj: its token index, or -ENOENT.
 * Duplicate keys: the first one wins. */
static int find_key(const struct doc *d, int obj, const char *key, size_t klen)
{
    int j = obj + 1;
    while (j + 1 < d->ntok && d->tok[j].start < d->tok[obj].end) {
        if (key_equals(d, &d->tok[j], key, klen))
            return j + 1;
        j = skip_subtree(d, j + 1);
    }
    return -ENOENT;
}

static struct json_value value_of(const struct doc *d, int i)
{
    const jsmntok_t *t = &d->tok[i];
    const char *start = d->text + raw_start(t);
    size_t len = (size_t)(t->end - t->start);
    switch (t->type) {
    case JSMN_OBJECT:
        return (struct json_value){ JSON_OBJECT, start, len };
    case JSMN_ARRAY:
        return (struct json_value){ JSON_ARRAY, start, len };
    case JSMN_STRING:
        return (struct json_value){ JSON_STRING, start, len + 2 };
    default:
        break;
    }
    enum json_type type = start[0] == 't' || start[0] == 'f' ? JSON_BOOL
                        : start[0] == 'n'                    ? JSON_NULL
                                                             : JSON_NUMBER;
    return (struct json_value){ type, start, len };
}

int json_validate(const char *doc, size_t len)
{
    jsmntok_t tok[JSON_MAX_TOKENS];
    struct doc d;
    return parse(doc, len, tok, JSON_MAX_TOKENS, &d);
}

static int find_path(const struct doc *dp, const char *path, struct json_value *out)
{
    const struct doc d = *dp;
    int i = 0;   /* the root value */
    const char *seg = path;
    while (*seg != '\0') {
        const char *dot = strchr(seg, '.');
        size_t seg_len = dot ? (size_t)(dot - seg) : strlen(seg);
        if (d.tok[i].type != JSMN_OBJECT)
            return -ENOTDIR;
        i = find_key(&d, i, seg, seg_len);
        if (i < 0)
            return i;
        seg = dot ? dot + 1 : seg + seg_len;
    }
    *out = value_of(&d, i);
    return 0;
}

int json_find(const char *doc, size_t len, const char *path, struct json_value *out)
{
    jsmntok_t tok[JSON_MAX_TOKENS];
    struct doc d;
    int err = parse(doc, len, tok, JSON_MAX_TOKENS, &d);
    return err ? err : find_path(&d, path, out);
}

int json_find_each(const char *doc, size_t len, const char *const paths[], size_t n,
                   struct json_value out[], int results[])
{
    jsmntok_t tok[JSON_MAX_TOKENS];
    struct doc d;
    int err = parse(doc, len, tok, JSON_MAX_TOKENS, &d);
    if (err)
        return err;
    for (size_t k = 0; k < n; k++)
        results[k] = find_path(&d, paths[k], &out[k]);
    return 0;
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
    if (v->type != JSON_NUMBER || v->len == 0)
        return -EINVAL;
    uint64_t x = 0;
    for (size_t i = 0; i < v->len; i++) {
        char ch = v->start[i];
        if (!is_digit(ch))
            return -EINVAL;   /* sign, fraction or exponent */
        uint64_t digit = (uint64_t)(ch - '0');
        if (x > (UINT64_MAX - digit) / 10)
            return -ERANGE;
        x = x * 10 + digit;
    }
    *out = x;
    return 0;
}

int json_get_string(const struct json_value *v, char *out, size_t cap)
{
    if (v->type != JSON_STRING || cap == 0 || v->len < 2)
        return -EINVAL;
    const char *s = v->start + 1, *end = v->start + v->len - 1;
    size_t o = 0;
    while (s < end) {
        if (o + 1 >= cap) {
            out[o] = '\0';
            return -ENOSPC;
        }
        out[o++] = next_char(&s, end);
    }
    out[o] = '\0';
    return 0;
}
