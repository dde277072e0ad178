/*
 * IGVM v1 reader; see igvm.h. Every field is copied out of the file before it is
 * looked at, every offset and size is checked against the file before it is used, and
 * the plan is only returned when the whole file passed. Rules follow the IGVM v1
 * definitions (microsoft/igvm igvm_defs) as reference/openvmm-facts.md section 5.1
 * summarises them, narrowed to what Mezzanine's image uses (docs/image.md).
 */
#include "kernel/boot/igvm.h"

#include <errno.h>
#include <string.h>

#include "kernel/lib/compiler.h"
#include "kernel/lib/crc32.h"
#include "kernel/lib/sha256.h"

/* Walk state shared by the directive handlers. */
struct walk {
    const uint8_t *image;
    uint64_t size;
    uint64_t data_start;          /* first byte after the variable header */
    struct igvm_plan *plan;
    struct igvm_error *error;
    bool have_platform, have_required, have_vp_context, have_info;
    uint64_t highest_page_gpa;    /* of the pages so far */
    struct sha256_ctx digest;
};

static int refuse(struct igvm_error *error, const char *check, const char *detail)
{
    error->check = check;
    error->detail = detail;
    error->has_value = false;
    error->value = 0;
    return -EINVAL;
}

static int refuse_at(struct igvm_error *error, const char *check, const char *detail,
                     uint64_t value)
{
    refuse(error, check, detail);
    error->value = value;
    error->has_value = true;
    return -EINVAL;
}

/* Does [offset, offset + len) lie inside the file's data part? */
static bool file_range_ok(const struct walk *w, uint64_t offset, uint64_t len)
{
    return offset >= w->data_start && offset <= w->size && len <= w->size - offset;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

static int check_compat(struct walk *w, uint32_t mask, uint64_t at)
{
    if (!w->have_platform)
        return refuse_at(w->error, "sections out of order",
                         "directive before SUPPORTED_PLATFORM", at);
    if (mask != w->plan->compatibility_mask)
        return refuse_at(w->error, "compatibility mask",
                         "directive is not for the supported platform", at);
    return 0;
}

static int on_platform(struct walk *w, const void *body, uint64_t at)
{
    struct igvm_supported_platform p;
    memcpy(&p, body, sizeof(p));
    if (w->have_platform)
        return refuse_at(w->error, "supported platform", "more than one platform", at);
    if (p.compatibility_mask == 0 || (p.compatibility_mask & (p.compatibility_mask - 1)) != 0)
        return refuse_at(w->error, "supported platform",
                         "compatibility mask must have exactly one bit", at);
    if (p.platform_type != IGVM_PLATFORM_NATIVE)
        return refuse_at(w->error, "supported platform", "platform type is not native", at);
    if (p.platform_version != 1)
        return refuse_at(w->error, "supported platform", "platform version is not 1", at);
    if (p.highest_vtl != 2)
        return refuse_at(w->error, "supported platform", "highest VTL is not 2", at);
    w->plan->compatibility_mask = p.compatibility_mask;
    w->plan->highest_vtl = p.highest_vtl;
    w->have_platform = true;
    return 0;
}

static int on_relocatable(struct walk *w, const void *body, uint64_t at)
{
    struct igvm_relocatable_region r;
    struct igvm_plan *plan = w->plan;
    memcpy(&r, body, sizeof(r));
    int err = check_compat(w, r.compatibility_mask, at);
    if (err)
        return err;
    if (plan->relocatable)
        return refuse_at(w->error, "relocatable region", "more than one region", at);
    if (r.vp_index != 0 || r.vtl != 2 || r.flags != IGVM_RELOC_IS_VTL2)
        return refuse_at(w->error, "relocatable region",
                         "only a VTL2 region for VP 0 without RIP/GDTR fixups is supported", at);
    if (r.relocation_alignment < IGVM_PAGE_SIZE ||
        (r.relocation_alignment & (r.relocation_alignment - 1)) != 0)
        return refuse_at(w->error, "relocatable region", "alignment is not a power of two", at);
    if (r.relocation_region_size == 0 || !IS_ALIGNED(r.relocation_region_size, IGVM_PAGE_SIZE) ||
        !IS_ALIGNED(r.relocation_region_gpa, r.relocation_alignment) ||
        r.relocation_region_gpa + r.relocation_region_size < r.relocation_region_gpa)
        return refuse_at(w->error, "relocatable region", "region is empty or misaligned", at);
    if (r.minimum_relocation_gpa > r.maximum_relocation_gpa)
        return refuse_at(w->error, "relocatable region", "minimum above maximum", at);
    plan->relocatable = true;
    plan->region_gpa = r.relocation_region_gpa;
    plan->region_size = r.relocation_region_size;
    plan->region_alignment = r.relocation_alignment;
    plan->region_min_gpa = r.minimum_relocation_gpa;
    plan->region_max_gpa = r.maximum_relocation_gpa;
    return 0;
}

static struct igvm_plan_area *find_area(struct igvm_plan *plan, uint32_t index)
{
    for (uint32_t i = 0; i < plan->area_count; i++) {
        if (plan->areas[i].index == index)
            return &plan->areas[i];
    }
    return NULL;
}

static int on_parameter_area(struct walk *w, const void *body, uint64_t at)
{
    struct igvm_parameter_area a;
    struct igvm_plan *plan = w->plan;
    memcpy(&a, body, sizeof(a));
    if (!w->have_platform)
        return refuse_at(w->error, "sections out of order", "directive before SUPPORTED_PLATFORM", at);
    if (a.number_of_bytes == 0 || !IS_ALIGNED(a.number_of_bytes, IGVM_PAGE_SIZE) ||
        a.number_of_bytes > IGVM_MAX_PARAM_AREA_SIZE)
        return refuse_at(w->error, "parameter area does not fit",
                         "size is zero, not a page multiple or above 64 KiB", at);
    if (a.file_offset != 0)
        return refuse_at(w->error, "parameter area", "initial data is not supported", at);
    if (find_area(plan, a.parameter_area_index) != NULL)
        return refuse_at(w->error, "parameter area", "index declared twice", at);
    if (plan->area_count == IGVM_MAX_PARAM_AREAS)
        return refuse_at(w->error, "parameter area", "too many parameter areas", at);
    struct igvm_plan_area *area = &plan->areas[plan->area_count++];
    memset(area, 0, sizeof(*area));
    area->index = a.parameter_area_index;
    area->size = a.number_of_bytes;
    return 0;
}

/* MEMORY_MAP and COMMAND_LINE: where a parameter goes in a declared, not yet inserted
 * area; it must fit there with room for at least its smallest value. */
static int on_parameter_use(struct walk *w, uint32_t type, const void *body, uint64_t at)
{
    struct igvm_parameter p;
    memcpy(&p, body, sizeof(p));
    if (!w->have_platform)
        return refuse_at(w->error, "sections out of order", "directive before SUPPORTED_PLATFORM", at);
    struct igvm_plan_area *area = find_area(w->plan, p.parameter_area_index);
    if (area == NULL)
        return refuse_at(w->error, "parameter area", "parameter names an undeclared area", at);
    if (area->inserted)
        return refuse_at(w->error, "sections out of order",
                         "parameter placed in an area already inserted", at);
    bool is_map = type == IGVM_VHT_MEMORY_MAP;
    uint64_t minimum = is_map ? 2 * sizeof(struct igvm_memory_map_entry) : 2;
    if ((uint64_t)p.byte_offset + minimum > area->size)
        return refuse_at(w->error, "parameter area does not fit",
                         "parameter runs past the end of its area", at);
    if (area->has_memory_map || area->has_command_line ||
        (is_map ? w->plan->memory_map_area : w->plan->command_line_area) != NULL)
        return refuse_at(w->error, "parameter area", "parameter given twice or area shared", at);
    if (is_map) {
        area->has_memory_map = true;
        area->memory_map_offset = p.byte_offset;
        w->plan->memory_map_area = area;
    } else {
        area->has_command_line = true;
        area->command_line_offset = p.byte_offset;
        w->plan->command_line_area = area;
    }
    return 0;
}

static int on_parameter_insert(struct walk *w, const void *body, uint64_t at)
{
    struct igvm_parameter_insert ins;
    memcpy(&ins, body, sizeof(ins));
    int err = check_compat(w, ins.compatibility_mask, at);
    if (err)
        return err;
    struct igvm_plan_area *area = find_area(w->plan, ins.parameter_area_index);
    if (area == NULL)
        return refuse_at(w->error, "parameter area", "insert names an undeclared area", at);
    if (area->inserted)
        return refuse_at(w->error, "parameter area", "area inserted twice", at);
    if (!IS_ALIGNED(ins.gpa, IGVM_PAGE_SIZE) || ins.gpa + area->size < ins.gpa)
        return refuse_at(w->error, "parameter area does not fit", "insert address misaligned", at);
    area->inserted = true;
    area->gpa = ins.gpa;
    return 0;
}

/* The digest record of one PAGE_DATA (docs/image.md): the directive body with the file
 * offset replaced by "has data", then the data. */
static void digest_page(struct walk *w, const struct igvm_page_data *pd)
{
    struct igvm_page_data record = *pd;
    record.file_offset = pd->file_offset != 0 ? 1 : 0;
    sha256_update(&w->digest, &record, sizeof(record));
    if (pd->file_offset != 0)
        sha256_update(&w->digest, w->image + pd->file_offset, IGVM_PAGE_SIZE);
}

static int on_page_data(struct walk *w, const void *body, uint64_t at)
{
    struct igvm_page_data pd;
    struct igvm_plan *plan = w->plan;
    memcpy(&pd, body, sizeof(pd));
    int err = check_compat(w, pd.compatibility_mask, at);
    if (err)
        return err;
    if (pd.flags != 0 || pd.data_type != IGVM_PAGE_TYPE_NORMAL || pd.reserved != 0)
        return refuse_at(w->error, "page data", "only normal 4 KiB measured pages are supported", at);
    if (!IS_ALIGNED(pd.gpa, IGVM_PAGE_SIZE) || pd.gpa > UINT64_MAX - IGVM_PAGE_SIZE)
        return refuse_at(w->error, "page data out of range", "address misaligned", at);
    if (pd.file_offset != 0 && !file_range_ok(w, pd.file_offset, IGVM_PAGE_SIZE))
        return refuse_at(w->error, "page data out of range", "data lies outside the file", at);
    /* Above every page so far (images list their pages in ascending order) it cannot
     * repeat one; otherwise every earlier page is compared. */
    if (plan->page_count != 0 && pd.gpa <= w->highest_page_gpa) {
        for (uint32_t i = 0; i < plan->page_count; i++) {
            if (plan->pages[i].gpa == pd.gpa)
                return refuse_at(w->error, "overlapping page data", "two pages at one address", pd.gpa);
        }
    }
    if (plan->page_count == 0 || pd.gpa > w->highest_page_gpa)
        w->highest_page_gpa = pd.gpa;
    if (plan->page_count == IGVM_MAX_PAGES) {
        refuse_at(w->error, "page data out of range", "more pages than a kernel slot holds", at);
        return -E2BIG;
    }
    plan->pages[plan->page_count].gpa = pd.gpa;
    plan->pages[plan->page_count].file_offset = pd.file_offset;
    plan->page_count++;
    if (pd.file_offset != 0)
        plan->data_page_count++;
    digest_page(w, &pd);
    return 0;
}

static uint64_t register_value(const struct igvm_vbs_vp_register *r)
{
    uint64_t v;
    memcpy(&v, r->value, sizeof(v));
    return v;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0)
            return false;
    }
    return true;
}

static int on_vp_context(struct walk *w, const void *body, uint64_t at)
{
    struct igvm_vp_context vp;
    struct igvm_vbs_vp_context_header header;
    memcpy(&vp, body, sizeof(vp));
    int err = check_compat(w, vp.compatibility_mask, at);
    if (err)
        return err;
    if (w->have_vp_context || vp.vp_index != 0 || vp.reserved != 0)
        return refuse_at(w->error, "vp context", "only one context, for VP 0", at);
    if (!file_range_ok(w, vp.file_offset, sizeof(header)))
        return refuse_at(w->error, "vp context", "register data lies outside the file", at);
    memcpy(&header, w->image + vp.file_offset, sizeof(header));
    if (header.register_count == 0 || header.register_count > IGVM_MAX_VP_REGISTERS ||
        !file_range_ok(w, vp.file_offset + sizeof(header),
                       (uint64_t)header.register_count * sizeof(struct igvm_vbs_vp_register)))
        return refuse_at(w->error, "vp context", "register count out of range", at);

    struct igvm_entry_state *e = &w->plan->entry;
    bool have_rip = false;
    uint64_t seen = 0;
    for (uint32_t i = 0; i < header.register_count; i++) {
        struct igvm_vbs_vp_register r;
        memcpy(&r, w->image + vp.file_offset + sizeof(header) + i * sizeof(r), sizeof(r));
        if (r.vtl != 2 || !all_zero(r.mbz, sizeof(r.mbz)) || !all_zero(r.value + 8, 8))
            return refuse_at(w->error, "vp context", "register record malformed", at);
        uint64_t *slot;
        unsigned bit;
        switch (r.register_name) {
        case HV_X64_REGISTER_RIP:  slot = &e->rip;  bit = 0; have_rip = true; break;
        case HV_X64_REGISTER_RSP:  slot = &e->rsp;  bit = 1; break;
        case HV_X64_REGISTER_RSI:  slot = &e->rsi;  bit = 2; break;
        case HV_X64_REGISTER_RDI:  slot = &e->rdi;  bit = 3; break;
        case HV_X64_REGISTER_CR0:  slot = &e->cr0;  bit = 4; break;
        case HV_X64_REGISTER_CR4:  slot = &e->cr4;  bit = 5; break;
        case HV_X64_REGISTER_EFER: slot = &e->efer; bit = 6; break;
        default:
            return refuse_at(w->error, "vp context", "unsupported register", r.register_name);
        }
        if (seen & (1ull << bit))
            return refuse_at(w->error, "vp context", "register given twice", r.register_name);
        seen |= 1ull << bit;
        *slot = register_value(&r);
    }
    if (!have_rip)
        return refuse_at(w->error, "vp context", "no RIP", at);
    w->have_vp_context = true;
    return 0;
}

static int on_required_memory(struct walk *w, const void *body, uint64_t at)
{
    struct igvm_required_memory rm;
    memcpy(&rm, body, sizeof(rm));
    int err = check_compat(w, rm.compatibility_mask, at);
    if (err)
        return err;
    if (w->have_required)
        return refuse_at(w->error, "required memory", "more than one range", at);
    if (rm.flags != IGVM_REQUIRED_MEMORY_VTL2_PROTECTABLE || rm.reserved != 0 ||
        rm.number_of_bytes == 0 || !IS_ALIGNED(rm.gpa, IGVM_PAGE_SIZE) ||
        !IS_ALIGNED(rm.number_of_bytes, IGVM_PAGE_SIZE) ||
        rm.gpa + rm.number_of_bytes < rm.gpa)
        return refuse_at(w->error, "required memory", "range malformed or not VTL2", at);
    w->plan->required_gpa = rm.gpa;
    w->plan->required_size = rm.number_of_bytes;
    w->have_required = true;
    return 0;
}

static int on_image_info(struct walk *w, const void *body, uint32_t length, uint64_t at)
{
    struct mezz_image_info *info = &w->plan->info;
    if (length != sizeof(*info))
        return refuse_at(w->error, "image info", "wrong size", at);
    if (w->have_info)
        return refuse_at(w->error, "image info", "given twice", at);
    memcpy(info, body, sizeof(*info));
    if (info->magic != MEZZ_IMAGE_INFO_MAGIC || info->info_version != MEZZ_IMAGE_INFO_VERSION)
        return refuse_at(w->error, "image info", "bad magic or version", at);
    /* Strings are NUL padded; keep them terminated whatever the file says. */
    info->version[sizeof(info->version) - 1] = '\0';
    info->build_id[sizeof(info->build_id) - 1] = '\0';
    w->have_info = true;
    return 0;
}

/* Section of a TLV type (without the ignorable bit): 1 platform, 2 init, 3 directive,
 * 0 none. */
static int section_of(uint32_t type)
{
    if (type >= IGVM_SECTION_PLATFORM_FIRST && type <= IGVM_SECTION_PLATFORM_LAST)
        return 1;
    if (type >= IGVM_SECTION_INIT_FIRST && type <= IGVM_SECTION_INIT_LAST)
        return 2;
    if (type >= IGVM_SECTION_DIRECTIVE_FIRST && type <= IGVM_SECTION_DIRECTIVE_LAST)
        return 3;
    return 0;
}

static uint32_t expected_length(uint32_t type)
{
    switch (type) {
    case IGVM_VHT_SUPPORTED_PLATFORM: return sizeof(struct igvm_supported_platform);
    case IGVM_VHT_RELOCATABLE_REGION: return sizeof(struct igvm_relocatable_region);
    case IGVM_VHT_PARAMETER_AREA:     return sizeof(struct igvm_parameter_area);
    case IGVM_VHT_PAGE_DATA:          return sizeof(struct igvm_page_data);
    case IGVM_VHT_PARAMETER_INSERT:   return sizeof(struct igvm_parameter_insert);
    case IGVM_VHT_VP_CONTEXT:         return sizeof(struct igvm_vp_context);
    case IGVM_VHT_REQUIRED_MEMORY:    return sizeof(struct igvm_required_memory);
    case IGVM_VHT_MEMORY_MAP:
    case IGVM_VHT_COMMAND_LINE:       return sizeof(struct igvm_parameter);
    default:                          return 0;
    }
}

static int on_tlv(struct walk *w, uint32_t type, const uint8_t *body, uint32_t length, uint64_t at)
{
    if (type == MEZZ_VHT_IMAGE_INFO)
        return on_image_info(w, body, length, at);
    uint32_t want = expected_length(type);
    if (want == 0) {
        if (type & IGVM_TYPE_IGNORABLE) {
            w->plan->ignored_tlv_count++;
            return 0;
        }
        return refuse_at(w->error, "unknown non-ignorable TLV", "a loader must understand it",
                         type);
    }
    if (length != want)
        return refuse_at(w->error, "TLV length", "wrong length for its type", at);
    switch (type) {
    case IGVM_VHT_SUPPORTED_PLATFORM: return on_platform(w, body, at);
    case IGVM_VHT_RELOCATABLE_REGION: return on_relocatable(w, body, at);
    case IGVM_VHT_PARAMETER_AREA:     return on_parameter_area(w, body, at);
    case IGVM_VHT_PAGE_DATA:          return on_page_data(w, body, at);
    case IGVM_VHT_PARAMETER_INSERT:   return on_parameter_insert(w, body, at);
    case IGVM_VHT_VP_CONTEXT:         return on_vp_context(w, body, at);
    case IGVM_VHT_REQUIRED_MEMORY:    return on_required_memory(w, body, at);
    default:                          return on_parameter_use(w, type, body, at);
    }
}

static int check_fixed_header(const uint8_t *image, size_t size, struct igvm_fixed_header *h,
                              struct igvm_error *error)
{
    if (size < sizeof(*h))
        return refuse(error, "truncated file", "shorter than the fixed header");
    memcpy(h, image, sizeof(*h));
    if (h->magic != IGVM_MAGIC)
        return refuse(error, "bad magic", "not an IGVM file");
    if (h->format_version != IGVM_FORMAT_VERSION)
        return refuse_at(error, "bad version", "format version is not 1", h->format_version);
    if (h->total_file_size > size)
        return refuse_at(error, "truncated file", "shorter than the header says", size);
    if (h->total_file_size < size)
        return refuse_at(error, "file size", "longer than the header says", size);
    if (size > IGVM_MAX_FILE_SIZE)
        return refuse(error, "file size", "larger than 64 MiB");
    if (h->variable_header_offset < sizeof(*h) ||
        !IS_ALIGNED(h->variable_header_offset, IGVM_TLV_ALIGN) ||
        h->variable_header_size == 0 ||
        (uint64_t)h->variable_header_offset + h->variable_header_size > size)
        return refuse(error, "truncated file", "variable header outside the file");
    uint32_t stored = h->checksum;
    struct igvm_fixed_header zeroed = *h;
    zeroed.checksum = 0;
    uint32_t crc = crc32_update(0, &zeroed, sizeof(zeroed));
    crc = crc32_update(crc, image + sizeof(zeroed), h->variable_header_offset - sizeof(zeroed));
    crc = crc32_update(crc, image + h->variable_header_offset, h->variable_header_size);
    if (crc != stored)
        return refuse_at(error, "bad CRC", "header checksum mismatch", crc);
    return 0;
}

static int walk_tlvs(struct walk *w, uint64_t start, uint64_t end)
{
    uint64_t pos = start;
    int last_section = 0;
    while (pos < end) {
        struct igvm_tlv_header h;
        if (end - pos < sizeof(h))
            return refuse_at(w->error, "truncated file", "TLV header cut off", pos);
        memcpy(&h, w->image + pos, sizeof(h));
        uint64_t padded = ALIGN_UP((uint64_t)h.length, IGVM_TLV_ALIGN);
        if (padded > end - pos - sizeof(h))
            return refuse_at(w->error, "truncated file", "TLV runs past the variable header", pos);
        uint32_t bare = h.type & IGVM_TYPE_MASK;
        int section = section_of(bare);
        if (section == 0 && !(h.type & IGVM_TYPE_IGNORABLE))
            return refuse_at(w->error, "unknown non-ignorable TLV", "type outside every section",
                             h.type);
        if (section != 0) {
            if (section < last_section)
                return refuse_at(w->error, "sections out of order",
                                 "platform, init and directive sections must be in order", pos);
            last_section = section;
        }
        w->plan->tlv_count++;
        int err = on_tlv(w, h.type, w->image + pos + sizeof(h), h.length, pos);
        if (err)
            return err;
        pos += sizeof(h) + padded;
    }
    return 0;
}

/* Checks the walk's results as a whole and relocates them to load_base. */
static int finish_plan(struct walk *w, uint64_t load_base)
{
    struct igvm_plan *plan = w->plan;
    struct igvm_error *error = w->error;

    if (!w->have_platform)
        return refuse(error, "supported platform", "no SUPPORTED_PLATFORM");
    if (!w->have_required)
        return refuse(error, "required memory", "no REQUIRED_MEMORY");
    if (!w->have_vp_context)
        return refuse(error, "vp context", "no VP_CONTEXT");
    if (!w->have_info)
        return refuse(error, "image info", "no digest TLV");
    if (plan->page_count == 0)
        return refuse(error, "page data", "no pages");

    for (uint32_t i = 0; i < plan->area_count; i++) {
        if (!plan->areas[i].inserted)
            return refuse_at(error, "parameter area", "area never inserted", plan->areas[i].index);
    }

    /* Everything must lie in the relocatable region (if any) and in REQUIRED_MEMORY. */
    uint64_t lo = plan->relocatable ? plan->region_gpa : plan->required_gpa;
    uint64_t hi = plan->relocatable ? plan->region_gpa + plan->region_size
                                    : plan->required_gpa + plan->required_size;
    if (lo < plan->required_gpa || hi > plan->required_gpa + plan->required_size)
        return refuse(error, "relocatable region", "region outside REQUIRED_MEMORY");
    for (uint32_t i = 0; i < plan->page_count; i++) {
        uint64_t gpa = plan->pages[i].gpa;
        if (gpa < lo || gpa + IGVM_PAGE_SIZE > hi)
            return refuse_at(error, "page data out of range", "page outside the image's region", gpa);
    }
    for (uint32_t i = 0; i < plan->area_count; i++) {
        const struct igvm_plan_area *a = &plan->areas[i];
        if (a->gpa < lo || a->gpa > hi || a->size > hi - a->gpa)
            return refuse_at(error, "parameter area does not fit",
                             "inserted area outside the image's region", a->gpa);
        for (uint32_t j = 0; j < plan->page_count; j++) {
            if (ranges_overlap(a->gpa, a->size, plan->pages[j].gpa, IGVM_PAGE_SIZE))
                return refuse_at(error, "parameter area does not fit",
                                 "inserted area overlaps page data", a->gpa);
        }
        for (uint32_t j = 0; j < i; j++) {
            if (ranges_overlap(a->gpa, a->size, plan->areas[j].gpa, plan->areas[j].size))
                return refuse_at(error, "parameter area does not fit",
                                 "inserted areas overlap", a->gpa);
        }
    }

    /* Structure first, so a misplaced page is named as such; then the content. */
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_final(&w->digest, digest);
    if (plan->info.page_count != plan->page_count ||
        plan->info.data_page_count != plan->data_page_count ||
        memcmp(digest, plan->info.digest, sizeof(digest)) != 0)
        return refuse(error, "digest mismatch", "page data does not match the image's SHA-256");

    uint64_t delta = 0;
    if (load_base == IGVM_LOAD_AT_IMAGE_ADDRESS) {
        plan->load_base = plan->relocatable ? plan->region_gpa : plan->required_gpa;
    } else {
        if (!plan->relocatable)
            return refuse(error, "relocatable region", "image cannot be relocated");
        if (!IS_ALIGNED(load_base, plan->region_alignment) || load_base < plan->region_min_gpa ||
            load_base > plan->region_max_gpa || plan->region_size > plan->region_max_gpa - load_base)
            return refuse_at(error, "relocatable region",
                             "load address misaligned or outside the allowed range", load_base);
        plan->load_base = load_base;
        delta = load_base - plan->region_gpa;   /* modular: works downwards too */
    }
    plan->required_gpa += delta;
    plan->image_low = UINT64_MAX;
    plan->image_high = 0;
    for (uint32_t i = 0; i < plan->page_count; i++) {
        plan->pages[i].gpa += delta;
        if (plan->pages[i].gpa < plan->image_low)
            plan->image_low = plan->pages[i].gpa;
        if (plan->pages[i].gpa + IGVM_PAGE_SIZE > plan->image_high)
            plan->image_high = plan->pages[i].gpa + IGVM_PAGE_SIZE;
    }
    for (uint32_t i = 0; i < plan->area_count; i++) {
        plan->areas[i].gpa += delta;
        if (plan->areas[i].gpa < plan->image_low)
            plan->image_low = plan->areas[i].gpa;
        if (plan->areas[i].gpa + plan->areas[i].size > plan->image_high)
            plan->image_high = plan->areas[i].gpa + plan->areas[i].size;
    }
    return 0;
}

int igvm_plan_load(const uint8_t *image, size_t size, uint64_t load_base, struct igvm_plan *plan,
                   struct igvm_error *error)
{
    struct igvm_fixed_header h;
    memset(plan, 0, sizeof(*plan));
    int err = check_fixed_header(image, size, &h, error);
    if (err)
        return err;

    struct walk w = {
        .image = image,
        .size = size,
        .data_start = (uint64_t)h.variable_header_offset + h.variable_header_size,
        .plan = plan,
        .error = error,
    };
    sha256_init(&w.digest);
    err = walk_tlvs(&w, h.variable_header_offset, w.data_start);
    if (err)
        return err;
    return finish_plan(&w, load_base);
}

static bool page_holds(const void *dst, const void *src)
{
    return memcmp(dst, src, IGVM_PAGE_SIZE) == 0;
}

static int apply(const struct igvm_plan *plan, const uint8_t *image, igvm_phys_fn phys, void *ctx,
                 bool skip_equal)
{
    for (uint32_t i = 0; i < plan->page_count; i++) {
        const struct igvm_plan_page *p = &plan->pages[i];
        void *dst = phys(ctx, p->gpa, IGVM_PAGE_SIZE);
        if (dst == NULL)
            return -EFAULT;
        if (p->file_offset != 0) {
            if (!skip_equal || !page_holds(dst, image + p->file_offset))
                memcpy(dst, image + p->file_offset, IGVM_PAGE_SIZE);
        } else {
            memset(dst, 0, IGVM_PAGE_SIZE);
        }
    }
    for (uint32_t i = 0; i < plan->area_count; i++) {
        void *dst = phys(ctx, plan->areas[i].gpa, plan->areas[i].size);
        if (dst == NULL)
            return -EFAULT;
        memset(dst, 0, plan->areas[i].size);
    }
    return 0;
}

int igvm_plan_apply(const struct igvm_plan *plan, const uint8_t *image, igvm_phys_fn phys,
                    void *ctx)
{
    return apply(plan, image, phys, ctx, false);
}

int igvm_plan_apply_changed(const struct igvm_plan *plan, const uint8_t *image, igvm_phys_fn phys,
                            void *ctx)
{
    return apply(plan, image, phys, ctx, true);
}

/* Appends s to out[*len..cap), always leaving it terminated. */
static void append(char *out, size_t cap, size_t *len, const char *s)
{
    while (*s != '\0' && *len + 1 < cap)
        out[(*len)++] = *s++;
    out[*len] = '\0';
}

void igvm_error_format(const struct igvm_error *error, char *out, size_t cap)
{
    size_t len = 0;
    if (cap == 0)
        return;
    out[0] = '\0';
    append(out, cap, &len, error->check != NULL ? error->check : "unknown");
    if (error->detail != NULL) {
        append(out, cap, &len, ": ");
        append(out, cap, &len, error->detail);
    }
    if (error->has_value) {
        char hex[19] = "0x";
        int digits = 0;
        for (int shift = 60; shift >= 0; shift -= 4) {
            unsigned nibble = (unsigned)(error->value >> shift) & 0xF;
            if (nibble == 0 && digits == 0 && shift != 0)
                continue;
            hex[2 + digits++] = "0123456789abcdef"[nibble];
        }
        hex[2 + digits] = '\0';
        append(out, cap, &len, " (at ");
        append(out, cap, &len, hex);
        append(out, cap, &len, ")");
    }
}
