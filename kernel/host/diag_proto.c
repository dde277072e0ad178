/* Diag protocol helpers; see diag_proto.h. */
#include "kernel/host/diag_proto.h"

#include <errno.h>
#include <string.h>

int diag_parse_request(const uint8_t *msg, size_t len, struct diag_request *req,
                       const uint8_t **args, size_t *args_len)
{
    if (len < sizeof(*req))
        return -EMSGSIZE;
    memcpy(req, msg, sizeof(*req));
    *args = msg + sizeof(*req);
    *args_len = len - sizeof(*req);
    if (req->version != DIAG_VERSION)
        return -EPROTONOSUPPORT;
    if (req->op > DIAG_OP_LAST)
        return -EOPNOTSUPP;
    return 0;
}

size_t diag_encode_response(void *out, const struct diag_request *req, int32_t status)
{
    struct diag_response r = { .version = DIAG_VERSION,
                               .op = (uint8_t)(req->op | DIAG_OP_RESPONSE),
                               .tag = req->tag, .status = status };
    memcpy(out, &r, sizeof(r));
    return sizeof(r);
}

int diag_split_words(const char *text, size_t len, char words[][64], int max)
{
    int n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && text[i] == ' ')
            i++;
        if (i == len)
            break;
        size_t s = i;
        while (i < len && text[i] != ' ')
            i++;
        if (n == max || i - s >= 64)
            return -E2BIG;
        memcpy(words[n], text + s, i - s);
        words[n][i - s] = '\0';
        n++;
    }
    return n;
}
