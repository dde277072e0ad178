/* Mezzanine's own inspect tree (kernel_ambient.inspect): the wrappers of inspect.h. */
#include "kernel/core/ambient.h"
#include "kernel/core/inspect.h"

int inspect_register(const char *name, inspect_fn fn, void *ctx)
{
    return inspect_registry_add(&kernel_ambient.inspect, name, fn, ctx);
}

int inspect_run(const char *path, char *out, size_t cap)
{
    return inspect_registry_run(&kernel_ambient.inspect, path, out, cap);
}

void inspect_registry_reset(void)
{
    kernel_ambient.inspect.node_count = 0;
}
