/*
 * igvm-dump FILE [LOAD_BASE]: runs the C loader library (kernel/boot/igvm.c) natively on
 * FILE and prints its load plan as JSON, or {"error": "..."} with exit status 1. The
 * integration tests compare it with the independent Python reader (tests/harness/igvm.py).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernel/boot/igvm.h"

static struct igvm_plan plan;

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: igvm-dump FILE [LOAD_BASE]\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        perror(argv[1]);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *image = malloc((size_t)size + 1);
    if (fread(image, 1, (size_t)size, f) != (size_t)size)
        return 2;
    fclose(f);
    uint64_t base = argc > 2 ? strtoull(argv[2], NULL, 0) : IGVM_LOAD_AT_IMAGE_ADDRESS;
    struct igvm_error error;
    if (igvm_plan_load(image, (size_t)size, base, &plan, &error) != 0) {
        char text[200];
        igvm_error_format(&error, text, sizeof(text));
        printf("{\"error\": \"%s\", \"check\": \"%s\"}\n", text, error.check);
        free(image);
        return 1;
    }
    printf("{\"version\": \"%s\", \"build_id\": \"%s\", \"digest\": \"", plan.info.version,
           plan.info.build_id);
    for (int i = 0; i < 32; i++)
        printf("%02x", plan.info.digest[i]);
    printf("\", \"compatibility_mask\": %u, \"highest_vtl\": %u,\n", plan.compatibility_mask,
           plan.highest_vtl);
    printf(" \"region\": {\"gpa\": %" PRIu64 ", \"size\": %" PRIu64 ", \"alignment\": %" PRIu64
           ", \"min\": %" PRIu64 ", \"max\": %" PRIu64 "},\n", plan.region_gpa, plan.region_size,
           plan.region_alignment, plan.region_min_gpa, plan.region_max_gpa);
    printf(" \"load_base\": %" PRIu64 ", \"required\": [%" PRIu64 ", %" PRIu64 "],\n",
           plan.load_base, plan.required_gpa, plan.required_size);
    printf(" \"entry\": {\"rip\": %" PRIu64 ", \"cr0\": %" PRIu64 ", \"cr4\": %" PRIu64
           ", \"efer\": %" PRIu64 "},\n", plan.entry.rip, plan.entry.cr0, plan.entry.cr4,
           plan.entry.efer);
    printf(" \"areas\": [");
    for (uint32_t i = 0; i < plan.area_count; i++)
        printf("%s{\"index\": %u, \"size\": %" PRIu64 ", \"gpa\": %" PRIu64 "}", i ? ", " : "",
               plan.areas[i].index, plan.areas[i].size, plan.areas[i].gpa);
    printf("],\n \"memory_map\": [%u, %u], \"command_line\": [%u, %u],\n",
           plan.memory_map_area->index, plan.memory_map_area->memory_map_offset,
           plan.command_line_area->index, plan.command_line_area->command_line_offset);
    printf(" \"pages\": [");
    for (uint32_t i = 0; i < plan.page_count; i++)
        printf("%s[%" PRIu64 ", %u]", i ? ", " : "", plan.pages[i].gpa, plan.pages[i].file_offset);
    printf("]}\n");
    free(image);
    return 0;
}
