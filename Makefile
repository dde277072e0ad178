# Mezzanine: one Makefile; build/ is the only output directory.
#   make            kernel (build/kernel.elf, build/kernel.bin)
#   make run        boot Mezzanine under QEMU: SeaBIOS → GRUB → Linux in VTL0, its shell here
#   make test       unit tests, then integration tests; ends with "N passed, N failed"
#   make linux-guest  the Linux guest disk (build/linux/disk.img, docs/linux.md)
#   make debug      QEMU stopped at the first instruction, gdb attached with symbols
#   make check-layers / check-statics   the SPEC section 2 rules (run by make test)
# `run` and `test` first install missing Debian packages (tools/deps.sh).

PYTHON      ?= /usr/bin/python3
BUILD       := build
KCC         := clang --target=x86_64-elf
KLD         := $(shell command -v ld.lld || command -v ld.lld-14)
HOSTCC      ?= cc
NEWLIB      := $(BUILD)/newlib
JSMN_HEADER := /usr/include/jsmn.h
JSMN_DIR    := $(BUILD)/gen/jsmn
VTL0_DEFAULT ?= /usr/share/seabios/bios-256k.bin

# V=1 shows whole command lines.
ifeq ($(V),1)
Q :=
else
Q := @
endif

VERSION     := $(shell cat VERSION)
GITREV      := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

# ---- sources, grouped by layer (SPEC section 2) ------------------------------------
ARCH_SRCS := \
	arch/x86_64/boot/entry.S \
	arch/x86_64/cpu/traps.S \
	arch/x86_64/boot/relocate.S \
	arch/x86_64/boot/handoff.S \
	arch/x86_64/cpu/gdt.c \
	arch/x86_64/cpu/idt.c \
	arch/x86_64/cpu/trap.c \
	arch/x86_64/cpu/trap_dump.c \
	arch/x86_64/paging.c \
	arch/x86_64/cpu/tsc.c \
	arch/x86_64/cpu/tsc_calc.c \
	arch/x86_64/decode/insn_decode.c \
	arch/x86_64/decode/insn_mmio.c \
	arch/x86_64/decode/guest_walk.c \
	arch/x86_64/svm/svm.c \
	arch/x86_64/svm/svm_run.S

KERNEL_SRCS := \
	kernel/main.c \
	kernel/core/console.c \
	kernel/core/log.c \
	kernel/lib/log_format.c \
	kernel/lib/log_ring.c \
	kernel/core/panic.c \
	kernel/core/cmdline.c \
	kernel/boot/multiboot_parse.c \
	kernel/boot/loader_parse.c \
	kernel/boot/igvm.c \
	kernel/boot/igvm_params.c \
	kernel/boot/igvm_boot.c \
	kernel/lib/sha256.c \
	kernel/lib/crc32.c \
	kernel/core/machine.c \
	kernel/core/test_hooks.c \
	kernel/core/syscalls.c \
	kernel/host/poll.c \
	kernel/core/inspect.c \
	kernel/core/inspect_tree.c \
	kernel/host/inspect_nodes.c \
	kernel/host/diag.c \
	kernel/host/diag_proto.c \
	kernel/host/host_ring.c \
	kernel/vtl0/partition.c \
	kernel/vtl0/partition_inspect.c \
	kernel/vtl0/partition_state.c \
	kernel/servicing/servicing.c \
	kernel/servicing/persisted.c \
	kernel/servicing/handoff.c \
	kernel/servicing/watchdog.c \
	kernel/vtl0/devices.c \
	kernel/vtl0/device.c \
	kernel/vtl0/emuplat/bridge.c \
	kernel/vtl0/bench_exits.c \
	kernel/vtl0/ports.c \
	kernel/vtl0/pci.c \
	kernel/vtl0/cpu.c \
	kernel/vtl0/cpu_model.c \
	kernel/vtl0/interrupts.c \
	kernel/vtl0/memory.c \
	kernel/vtl0/segment_load.c \
	kernel/vtl0/emuplat/display.c \
	kernel/host/screenshot.c

MM_SRCS := \
	mm/memmap.c \
	mm/pmm.c \
	mm/vtl2_space.c \
	mm/gpa_map.c

DRIVER_SRCS := \
	drivers/hw/uart16550.c \
	drivers/hw/hpet.c \
	drivers/vdev/testdev/testdev.c \
	drivers/vdev/testdev/testdev_format.c \
	drivers/vdev/chipset/pam.c \
	drivers/vdev/chipset/pam_get.c \
	drivers/vdev/chipset/pam_faithful.c \
	drivers/vdev/chipset/i440bx.c \
	drivers/vdev/chipset/fwcfg_view.c \
	drivers/vdev/chipset/cmos_view.c \
	drivers/vdev/chipset/legacy_ports.c \
	drivers/vdev/chipset/pci_proxy.c \
	drivers/vdev/display/framebuffer.c \
	drivers/vdev/display/bochs_display.c

# The Guest Emulation Transport (docs/get.md): wire format, framing, client, DPS, glue.
GET_SRCS := \
	get/codec.c \
	get/frame.c \
	kernel/lib/crc32c.c \
	get/transport_uart.c \
	get/transport_ring.c \
	get/client.c \
	kernel/lib/json.c \
	get/dps.c \
	kernel/host/get_instance.c

# Saved state (docs/saved-state.md): the schemas in kernel/servicing/proto, compiled by
# Debian's nanopb generator into build/gen/proto; nanopb's runtime from Debian's nanopb
# source package (tools/nanopb/fetch.sh, cached in build/nanopb); the envelope codec and
# one codec per device core.
NANOPB_DIR   := $(BUILD)/nanopb/runtime
NANOPB_SRCS  := $(NANOPB_DIR)/pb_common.c $(NANOPB_DIR)/pb_encode.c $(NANOPB_DIR)/pb_decode.c
PROTO_DIR    := kernel/servicing/proto
PROTO_GEN    := $(BUILD)/gen/proto
PROTOS       := state_unit servicing memory_range i440bx pam_get framebuffer bochs_display \
		partition legacy_ports \
	pci_proxy cmos_view fwcfg_view testdev
PROTO_SRCS   := $(patsubst %,$(PROTO_GEN)/%.pb.c,$(PROTOS)) $(PROTO_GEN)/google/protobuf/any.pb.c
PROTO_STAMP  := $(PROTO_GEN)/.stamp
# Buffers only (no stream callbacks); 64-bit fields are needed (GPAs); no floats in any
# schema, and PB_CONVERT_DOUBLE_FLOAT stays off, so nothing touches the FPU.
NANOPB_DEFS  := -DPB_BUFFER_ONLY=1 -I$(NANOPB_DIR) -I$(PROTO_GEN)
STATE_CODEC_SRCS := \
	drivers/vdev/chipset/i440bx_state.c \
	drivers/vdev/chipset/pam_get_state.c \
	drivers/vdev/chipset/pci_proxy_state.c \
	drivers/vdev/chipset/cmos_view_state.c \
	drivers/vdev/chipset/fwcfg_view_state.c \
	drivers/vdev/display/framebuffer_state.c \
	drivers/vdev/display/bochs_display_state.c \
	drivers/vdev/testdev/testdev_state.c \
	drivers/vdev/chipset/legacy_ports_state.c
STATE_PB_SRCS := $(NANOPB_SRCS) $(PROTO_SRCS) kernel/lib/pb_codec.c
STATE_SRCS := $(STATE_PB_SRCS) kernel/servicing/envelope.c $(STATE_CODEC_SRCS)

KERNEL_ALL_SRCS := $(ARCH_SRCS) $(KERNEL_SRCS) $(MM_SRCS) $(DRIVER_SRCS) $(GET_SRCS) $(STATE_SRCS)
KERNEL_OBJS := $(patsubst %,$(BUILD)/kernel/%.o,$(KERNEL_ALL_SRCS))

# Pure modules and the unit test that covers each (tests/unit/test_NAME.c).
UNIT_TESTS := memmap pmm cmdline log_format log_ring paging trap_dump uart16550 multiboot_parse tsc_calc testdev
unit_memmap_SRCS          := mm/memmap.c
unit_pmm_SRCS             := mm/pmm.c
unit_cmdline_SRCS         := kernel/core/cmdline.c kernel/lib/log_format.c
unit_log_format_SRCS      := kernel/lib/log_format.c
unit_log_ring_SRCS        := kernel/lib/log_ring.c
unit_paging_SRCS          := arch/x86_64/paging.c
unit_trap_dump_SRCS       := arch/x86_64/cpu/trap_dump.c
unit_uart16550_SRCS       := drivers/hw/uart16550.c
unit_multiboot_parse_SRCS := kernel/boot/multiboot_parse.c
unit_tsc_calc_SRCS        := arch/x86_64/cpu/tsc_calc.c
unit_testdev_SRCS         := drivers/vdev/testdev/testdev.c drivers/vdev/testdev/testdev_format.c
UNIT_TESTS += crc32c crc32
unit_crc32c_SRCS          := kernel/lib/crc32c.c
unit_crc32_SRCS           := kernel/lib/crc32.c
UNIT_TESTS += get_protocol get_frame get_client get_json inspect diag_proto
unit_get_protocol_SRCS    := get/codec.c
unit_get_frame_SRCS       := get/frame.c kernel/lib/crc32c.c get/transport_uart.c drivers/hw/uart16550.c
unit_get_client_SRCS      := get/client.c get/codec.c get/dps.c kernel/lib/json.c
unit_get_json_SRCS        := kernel/lib/json.c get/dps.c
UNIT_TESTS += get_ring hpet
unit_hpet_SRCS            := drivers/hw/hpet.c
unit_get_ring_SRCS        := get/transport_ring.c
UNIT_TESTS += json
unit_json_SRCS            := kernel/lib/json.c
unit_inspect_SRCS         := kernel/core/inspect.c kernel/core/inspect_tree.c kernel/lib/json.c
unit_diag_proto_SRCS      := kernel/host/diag_proto.c
UNIT_TESTS += gpa_map pam fwcfg_view cmos_view pci_proxy
unit_gpa_map_SRCS         := mm/gpa_map.c arch/x86_64/paging.c
unit_pam_SRCS             := drivers/vdev/chipset/pam.c
unit_fwcfg_view_SRCS      := drivers/vdev/chipset/fwcfg_view.c
unit_cmos_view_SRCS       := drivers/vdev/chipset/cmos_view.c
unit_pci_proxy_SRCS       := drivers/vdev/chipset/pci_proxy.c
UNIT_TESTS += i440bx pam_get pam_faithful
unit_i440bx_SRCS          := drivers/vdev/chipset/i440bx.c drivers/vdev/chipset/pam.c \
	drivers/vdev/chipset/i440bx_state.c $(STATE_PB_SRCS)
unit_pam_get_SRCS         := drivers/vdev/chipset/pam_get.c drivers/vdev/chipset/pam_get_state.c \
	drivers/vdev/chipset/pam_faithful.c drivers/vdev/chipset/pam.c $(STATE_PB_SRCS)
unit_pam_faithful_SRCS    := drivers/vdev/chipset/pam_faithful.c drivers/vdev/chipset/pam_get.c \
	drivers/vdev/chipset/pam_get_state.c drivers/vdev/chipset/pam.c $(STATE_PB_SRCS)
UNIT_TESTS += insn_decode insn_mmio guest_walk cpu_model
unit_cpu_model_SRCS       := kernel/vtl0/cpu_model.c
unit_insn_decode_SRCS     := arch/x86_64/decode/insn_decode.c
unit_insn_mmio_SRCS       := arch/x86_64/decode/insn_mmio.c arch/x86_64/decode/insn_decode.c
unit_guest_walk_SRCS      := arch/x86_64/decode/guest_walk.c arch/x86_64/decode/insn_decode.c arch/x86_64/paging.c
UNIT_TESTS += framebuffer bochs_display screenshot
unit_framebuffer_SRCS     := drivers/vdev/display/framebuffer.c \
	drivers/vdev/display/framebuffer_state.c $(STATE_PB_SRCS)
unit_bochs_display_SRCS   := drivers/vdev/display/bochs_display.c \
	drivers/vdev/display/bochs_display_state.c $(STATE_PB_SRCS)
unit_screenshot_SRCS      := kernel/host/screenshot.c drivers/vdev/display/framebuffer.c
# Saved state: the generic device suite over every core, the envelope, the golden blobs.
UNIT_TESTS += saved_state
unit_saved_state_SRCS     := tests/unit/state_adapters.c $(STATE_SRCS) drivers/vdev/chipset/i440bx.c drivers/vdev/chipset/pam.c \
	drivers/vdev/chipset/pam_get.c drivers/vdev/chipset/pam_faithful.c drivers/vdev/chipset/pci_proxy.c \
	drivers/vdev/chipset/cmos_view.c \
	drivers/vdev/chipset/fwcfg_view.c drivers/vdev/display/framebuffer.c \
	drivers/vdev/display/bochs_display.c drivers/vdev/testdev/testdev.c \
	drivers/vdev/chipset/legacy_ports.c kernel/vtl0/partition_state.c
$(BUILD)/unit/test_saved_state: HOSTCFLAGS += -DMEZZ_VECTORS_DIR='"$(CURDIR)/tests/vectors"'
UNIT_TESTS += partition_state
unit_partition_state_SRCS := kernel/vtl0/partition_state.c $(STATE_PB_SRCS)
# The IGVM image and its loader library (docs/image.md). test_igvm corrupts copies of the
# real build/mezzanine.igvm, so it is built after the image.
UNIT_TESTS += restore_watchdog
unit_restore_watchdog_SRCS := kernel/servicing/watchdog.c
UNIT_TESTS += sha256 igvm loader_parse
unit_sha256_SRCS          := kernel/lib/sha256.c
unit_igvm_SRCS            := kernel/boot/igvm.c kernel/boot/igvm_params.c kernel/boot/igvm_boot.c \
                             kernel/lib/sha256.c kernel/lib/crc32.c mm/memmap.c
unit_loader_parse_SRCS    := kernel/boot/loader_parse.c kernel/boot/multiboot_parse.c kernel/boot/igvm_params.c mm/memmap.c
# Servicing: the persisted page a new instance accepts.
UNIT_TESTS += persisted
unit_persisted_SRCS       := kernel/servicing/persisted.c
UNIT_BINS := $(patsubst %,$(BUILD)/unit/test_%,$(UNIT_TESTS))

# ---- flags ---------------------------------------------------------------------------
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
KCFLAGS := -std=gnu11 -O2 -g $(WARNINGS) \
	-ffreestanding -mgeneral-regs-only -mno-red-zone -mcmodel=kernel -fno-pic -fno-pie \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-ffunction-sections -fdata-sections \
	-nostdlibinc -isystem $(NEWLIB)/include -isystem $(JSMN_DIR) -I. -I$(BUILD)/gen $(NANOPB_DEFS) -MMD -MP
KASFLAGS := -g -I. -MMD -MP
KLDFLAGS := -nostdlib -static -T linker.ld --gc-sections -z max-page-size=4096

HOSTCFLAGS := -std=gnu11 -O1 -g $(WARNINGS) -Wno-missing-prototypes \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -I. -I$(BUILD)/gen \
	$(NANOPB_DEFS) -MMD -MP
HOSTLIBS := -lcmocka

.PHONY: all kernel unit test run debug deps clean newlib efi
all: kernel guests
# kernel: the flat multiboot kernel, the IGVM image made from it, and the boot shim
# that loads the image (what `make run` and the tests boot; docs/image.md).
kernel: $(BUILD)/kernel.bin $(BUILD)/mezzanine.igvm $(BUILD)/shim.bin $(BUILD)/host/igvm-dump \
	$(BUILD)/efi/esp.img

# ---- newlib (from Debian's newlib-source, cached in build/newlib) ----------------------
newlib: $(NEWLIB)/lib/libc.a
$(NEWLIB)/lib/libc.a: tools/newlib/build.sh tools/newlib/newlib-cc
	$(Q)tools/newlib/build.sh $(NEWLIB)

# ---- saved-state schemas and nanopb (docs/saved-state.md) -------------------------------
# The runtime is fetched once per nanopb version (tools/nanopb/fetch.sh); the generator is
# Debian's nanopb_generator.py, with google/protobuf/any.proto from libprotobuf-dev.
NANOPB_STAMP := $(NANOPB_DIR)/.version
$(NANOPB_STAMP): tools/nanopb/fetch.sh
	$(Q)tools/nanopb/fetch.sh $(NANOPB_DIR:/runtime=)
$(NANOPB_SRCS): $(NANOPB_STAMP) ;

# PROTO_VARIANT=alt (the alt build, servicing-alt below): the generator reads the schemas
# as tools/proto-variant turns them, with the lines marked "//alt: " as schema
# (docs/saved-state.md, "Two builds, one schema"); otherwise the files as they are.
PROTO_VARIANT ?=
PROTO_SRC_DIR := $(if $(PROTO_VARIANT),$(BUILD)/gen/proto-src,$(PROTO_DIR))
$(PROTO_STAMP): $(patsubst %,$(PROTO_DIR)/%.proto,$(PROTOS)) $(PROTO_DIR)/mezzanine.options $(NANOPB_STAMP) \
		tools/proto-variant
	@mkdir -p $(PROTO_GEN)
	@echo "  NANOPB  $(PROTO_DIR)/*.proto$(if $(PROTO_VARIANT), (variant $(PROTO_VARIANT)))"
	$(Q)$(if $(PROTO_VARIANT),$(PYTHON) tools/proto-variant $(PROTO_VARIANT) $(PROTO_DIR) $(PROTO_SRC_DIR))
	$(Q)nanopb_generator.py -q -I $(PROTO_SRC_DIR) -I /usr/include -f $(PROTO_DIR)/mezzanine.options \
		-D $(PROTO_GEN) $(patsubst %,$(PROTO_SRC_DIR)/%.proto,$(PROTOS)) \
		/usr/include/google/protobuf/any.proto
	$(Q)touch $@
$(PROTO_SRCS): $(PROTO_STAMP) ;

# ---- jsmn (SPEC section 10): Debian's libjsmn-dev, one header holding the whole library --
# The kernel sees that header alone (a directory with a link to it), never the rest of
# /usr/include; kernel/lib/jsmn_wrapper.h configures it. Native builds use /usr/include.
$(JSMN_DIR)/jsmn.h:
	@test -f $(JSMN_HEADER) || { echo "$(JSMN_HEADER) is missing: run tools/deps.sh (libjsmn-dev)" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(Q)ln -sf $(JSMN_HEADER) $@

# ---- kernel --------------------------------------------------------------------------
$(BUILD)/gen/kernel/version.h: VERSION FORCE
	@mkdir -p $(dir $@)
	@printf '#define MEZZ_VERSION "%s"\n#define MEZZ_GITREV "%s"\n' '$(VERSION)' '$(GITREV)' > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

$(BUILD)/kernel/%.c.o: %.c $(NEWLIB)/lib/libc.a | $(BUILD)/gen/kernel/version.h $(JSMN_DIR)/jsmn.h $(PROTO_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(KCC) $(KCFLAGS) -c $< -o $@

$(BUILD)/kernel/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(KCC) $(KASFLAGS) -c $< -o $@

$(BUILD)/kernel.elf: $(KERNEL_OBJS) linker.ld $(NEWLIB)/lib/libc.a tools/check-no-fpu.sh
	@echo "  LD      $@"
	$(Q)$(KLD) $(KLDFLAGS) -o $@.tmp $(KERNEL_OBJS) $(NEWLIB)/lib/libc.a
	@echo "  CHECK   no SSE/x87 in $@"
	$(Q)tools/check-no-fpu.sh $@.tmp
	$(Q)mv $@.tmp $@

$(BUILD)/kernel.bin: $(BUILD)/kernel.elf
	@echo "  OBJCOPY $@"
	$(Q)objcopy -O binary $< $@

# ---- the paravisor image and the boot shim (docs/image.md) -----------------------------
$(BUILD)/mezzanine.igvm: $(BUILD)/kernel.elf tools/mkimage VERSION
	@echo "  MKIMAGE $@"
	$(Q)$(PYTHON) tools/mkimage --kernel $< --version '$(VERSION)' --build-id '$(GITREV)' -o $@

SHIM_SRCS := \
	arch/x86_64/boot/shim/shim_entry.S \
	arch/x86_64/boot/shim/shim.c \
	arch/x86_64/boot/shim/pit_stamp.c \
	arch/x86_64/cpu/tsc_calc.c \
	kernel/boot/igvm.c \
	kernel/boot/igvm_boot.c \
	kernel/boot/igvm_params.c \
	kernel/boot/multiboot_parse.c \
	kernel/core/cmdline.c \
	kernel/lib/log_format.c \
	kernel/lib/sha256.c \
	kernel/lib/crc32.c \
	mm/memmap.c
SHIM_OBJS := $(patsubst %,$(BUILD)/shim/%.o,$(SHIM_SRCS))
# The shim runs identity mapped at 1 MiB: the small code model, otherwise as the kernel.
SHIM_CFLAGS := $(filter-out -mcmodel=kernel,$(KCFLAGS)) -mcmodel=small

$(BUILD)/shim/%.c.o: %.c $(NEWLIB)/lib/libc.a
	@mkdir -p $(dir $@)
	@echo "  CC      $< (shim)"
	$(Q)$(KCC) $(SHIM_CFLAGS) -c $< -o $@

$(BUILD)/shim/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $< (shim)"
	$(Q)$(KCC) $(KASFLAGS) -c $< -o $@

$(BUILD)/shim.elf: $(SHIM_OBJS) arch/x86_64/boot/shim/shim.ld $(NEWLIB)/lib/libc.a
	@echo "  LD      $@"
	$(Q)$(KLD) -nostdlib -static -T arch/x86_64/boot/shim/shim.ld --gc-sections -z max-page-size=4096 \
		-o $@.tmp $(SHIM_OBJS) $(NEWLIB)/lib/libc.a
	$(Q)tools/check-no-fpu.sh $@.tmp
	$(Q)mv $@.tmp $@

$(BUILD)/shim.bin: $(BUILD)/shim.elf
	@echo "  OBJCOPY $@"
	$(Q)objcopy -O binary $< $@

# The same shim printing TSC stamps of its phases (tools/bench/boot_phases); not part of
# `make kernel`, nothing boots it by default.
SHIM_STAMPS_OBJS := $(patsubst %,$(BUILD)/shim-stamps/%.o,$(SHIM_SRCS))

$(BUILD)/shim-stamps/%.c.o: %.c $(NEWLIB)/lib/libc.a
	@mkdir -p $(dir $@)
	@echo "  CC      $< (shim, phase stamps)"
	$(Q)$(KCC) $(SHIM_CFLAGS) -DSHIM_PHASE_STAMPS -c $< -o $@

$(BUILD)/shim-stamps/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $< (shim, phase stamps)"
	$(Q)$(KCC) $(KASFLAGS) -DSHIM_PHASE_STAMPS -c $< -o $@

$(BUILD)/shim-stamps.elf: $(SHIM_STAMPS_OBJS) arch/x86_64/boot/shim/shim.ld $(NEWLIB)/lib/libc.a
	@echo "  LD      $@"
	$(Q)$(KLD) -nostdlib -static -T arch/x86_64/boot/shim/shim.ld --gc-sections -z max-page-size=4096 \
		-o $@.tmp $(SHIM_STAMPS_OBJS) $(NEWLIB)/lib/libc.a
	$(Q)tools/check-no-fpu.sh $@.tmp
	$(Q)mv $@.tmp $@

$(BUILD)/shim-stamps.bin: $(BUILD)/shim-stamps.elf
	@echo "  OBJCOPY $@"
	$(Q)objcopy -O binary $< $@

# ---- the UEFI loader (gnu-efi + GNU ld, toolchain.md section 2) and its ESP ------------
EFI_BUILD := $(BUILD)/efi
EFI_SRCS := \
	arch/x86_64/efi/efi_loader.c \
	arch/x86_64/efi/efi_libc.c \
	arch/x86_64/efi/efi_enter.S \
	kernel/boot/igvm.c \
	kernel/boot/igvm_boot.c \
	kernel/boot/igvm_params.c \
	kernel/core/cmdline.c \
	kernel/lib/log_format.c \
	kernel/lib/sha256.c \
	kernel/lib/crc32.c \
	mm/memmap.c
EFI_OBJS := $(patsubst %,$(EFI_BUILD)/%.o,$(EFI_SRCS))
# efi_main is called with the SysV ABI by gnu-efi's crt0 (not EFIAPI); -mgeneral-regs-only
# keeps the shared code as integer-only as in the kernel.
EFI_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -I. -I/usr/include/efi -I/usr/include/efi/x86_64 \
	-I/usr/include/efi/protocol -fpic -ffreestanding -fno-stack-protector -fno-stack-check \
	-fshort-wchar -mno-red-zone -maccumulate-outgoing-args -mgeneral-regs-only \
	-ffunction-sections -fdata-sections -DGNU_EFI_USE_MS_ABI -MMD -MP
EFI_LDS := /usr/lib/elf_x86_64_efi.lds

$(EFI_BUILD)/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  EFICC   $<"
	$(Q)gcc $(EFI_CFLAGS) -c $< -o $@

$(EFI_BUILD)/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  EFIAS   $<"
	$(Q)gcc -c $< -o $@

$(EFI_BUILD)/BOOTX64.EFI: $(EFI_OBJS)
	@echo "  EFILD   $@"
	$(Q)# Drop what the loader never calls first (log_format_line's snprintf, ...): the
	$(Q)# final link must keep crt0's unreferenced .reloc section, so it cannot collect.
	$(Q)ld -r --gc-sections -u efi_main -o $(EFI_BUILD)/loader.o $(EFI_OBJS)
	$(Q)ld -shared -Bsymbolic -nostdlib -znocombreloc --no-undefined -T $(EFI_LDS) \
		/usr/lib/crt0-efi-x86_64.o $(EFI_BUILD)/loader.o -L/usr/lib -lgnuefi -lefi \
		-o $(EFI_BUILD)/loader.so
	$(Q)objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j .rel.* -j .rela.* -j .reloc --target efi-app-x86_64 --subsystem=10 \
		$(EFI_BUILD)/loader.so $@

# The ESP image: the loader as the removable-media boot path and the IGVM image; runs
# add \cmdline.txt and \modules\NAME to their own copy (tests/harness/qemu.py).
$(EFI_BUILD)/esp.img: $(EFI_BUILD)/BOOTX64.EFI $(BUILD)/mezzanine.igvm
	@echo "  ESP     $@"
	$(Q)rm -f $@.tmp && mkfs.fat -C -n MEZZESP $@.tmp 16384 >/dev/null
	$(Q)mmd -i $@.tmp ::/EFI ::/EFI/BOOT ::/modules
	$(Q)mcopy -i $@.tmp $(EFI_BUILD)/BOOTX64.EFI ::/EFI/BOOT/BOOTX64.EFI
	$(Q)mcopy -i $@.tmp $(BUILD)/mezzanine.igvm ::/mezzanine.igvm
	$(Q)mv $@.tmp $@

efi: $(EFI_BUILD)/esp.img

# igvm-dump: the C library's view of an image, for the tests (tests/integration/test_image.py).
IGVM_LIB_SRCS := kernel/boot/igvm.c kernel/lib/sha256.c kernel/lib/crc32.c
$(BUILD)/host/igvm-dump: tests/tools/igvm_dump.c $(IGVM_LIB_SRCS)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) -o $@ $(filter %.c,$^)

# ---- unit tests (native, cmocka, ASan+UBSan) -------------------------------------------
unit: $(UNIT_BINS)

.SECONDEXPANSION:
$(BUILD)/unit/test_%: tests/unit/test_%.c $$(unit_%_SRCS) | $(PROTO_STAMP)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(unit_$*_CFLAGS) -o $@ $(filter %.c,$^) $(HOSTLIBS)

unit_igvm_CFLAGS := -DMEZZ_TEST_IGVM='"$(abspath $(BUILD)/mezzanine.igvm)"'
$(BUILD)/unit/test_igvm: $(BUILD)/mezzanine.igvm

# ---- test firmware (tests/guests/testfw, docs/testdev.md) -------------------------------
# One flat 64 KiB VTL0 image: the same C built three times (real, protected, long mode)
# into three slots, the 32- and 64-bit builds included in the 16-bit link as blobs.
FW_DIR   := tests/guests/testfw
FW_BUILD := $(BUILD)/guests/testfw
TESTFW   := $(BUILD)/guests/testfw.bin
FW_CC    := clang
FW_COMMON_SRCS := \
	$(FW_DIR)/main.c \
	$(FW_DIR)/interp.c \
	$(FW_DIR)/source.c \
	$(FW_DIR)/report.c \
	$(FW_DIR)/cpu.c \
	$(FW_DIR)/halt.c \
	$(FW_DIR)/exceptions.c \
	$(FW_DIR)/mode.c \
	$(FW_DIR)/mem.c \
	$(FW_DIR)/irq.c \
	$(FW_DIR)/tick.S \
	$(FW_DIR)/pci.c \
	$(FW_DIR)/draw.c \
	$(FW_DIR)/string.c \
	$(FW_DIR)/segload.c \
	drivers/vdev/testdev/testdev.c \
	drivers/vdev/testdev/testdev_format.c
FW16_SRCS := $(FW_DIR)/entry16.S $(FW_DIR)/probe_real.c $(FW_DIR)/flat16.S $(FW_COMMON_SRCS) \
	$(FW_DIR)/slots.S
FW32_SRCS := $(FW_DIR)/entry32.S $(FW_DIR)/probe_flat.c $(FW_DIR)/paging.c $(FW_COMMON_SRCS)
FW64_SRCS := $(FW_DIR)/entry64.S $(FW_DIR)/probe_flat.c $(FW_DIR)/paging.c $(FW_COMMON_SRCS)
FW_TARGET_16 := --target=i386-elf -m16
FW_TARGET_32 := --target=i386-elf
FW_TARGET_64 := --target=x86_64-elf -mno-red-zone
FW_CFLAGS := -std=gnu11 -Os -g $(WARNINGS) -ffreestanding -nostdlibinc -mgeneral-regs-only \
	-fno-pic -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-ffunction-sections -fdata-sections -I. -I$(FW_DIR)/include -I$(FW_BUILD) -MMD -MP
FW_LDFLAGS := -nostdlib -static --gc-sections --no-dynamic-linker

.PHONY: guests servicing-alt
guests: $(TESTFW) servicing-alt

# The same sources built again with another version string ($(VERSION)-alt) and the alt
# schema variant (one unit, testdev, with a new optional field) into $(BUILD)/alt: the
# image tests/integration/test_servicing.py upgrades to and downgrades from
# (docs/servicing.md). Shares newlib and nanopb with the main build; about 10 s.
SERVICING_ALT_IMAGE := $(BUILD)/alt/mezzanine.igvm
servicing-alt: $(NANOPB_STAMP) $(NEWLIB)/lib/libc.a
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/alt NEWLIB=$(abspath $(NEWLIB)) \
		NANOPB_DIR=$(abspath $(NANOPB_DIR)) VERSION='$(VERSION)-alt' PROTO_VARIANT=alt \
		$(SERVICING_ALT_IMAGE)

# A golden servicing blob (docs/servicing.md, "Compatibility"), made only on request:
# `make servicing-golden NAME=testfw-v2` captures one from a real servicing cycle of this
# tree into tests/vectors/servicing/NAME.bin (never over an existing file).
.PHONY: servicing-golden
servicing-golden: kernel $(TESTFW)
	@test -n "$(NAME)" || { echo "usage: make servicing-golden NAME=testfw-vN" >&2; exit 2; }
	$(Q)$(PYTHON) tools/servicing-golden tests/vectors/servicing/$(NAME).bin

$(FW_BUILD)/default_script.bin: tests/harness/testscript.py
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	$(Q)$(PYTHON) tests/harness/testscript.py --slot > $@.tmp && mv $@.tmp $@

define FW_MODE_RULES
FW$(1)_OBJS := $$(patsubst %,$(FW_BUILD)/$(1)/%.o,$$(FW$(1)_SRCS))
$(FW_BUILD)/$(1)/%.c.o: %.c
	@mkdir -p $$(dir $$@)
	@echo "  CC$(1)    $$<"
	$(Q)$(FW_CC) $(FW_TARGET_$(1)) -DFW_BITS=$(1) $(FW_CFLAGS) -c $$< -o $$@
$(FW_BUILD)/$(1)/%.S.o: %.S
	@mkdir -p $$(dir $$@)
	@echo "  AS$(1)    $$<"
	$(Q)$(FW_CC) $(FW_TARGET_$(1)) -DFW_BITS=$(1) -I. -I$(FW_BUILD) -MMD -MP -c $$< -o $$@
$(FW_BUILD)/fw$(1).ld: $(FW_DIR)/fw$(1).ld.S $(FW_DIR)/layout.h
	@mkdir -p $$(dir $$@)
	$(Q)$(FW_CC) -E -P -x c -I. $$< -o $$@
$(FW_BUILD)/fw$(1).elf: $$(FW$(1)_OBJS) $(FW_BUILD)/fw$(1).ld tools/check-no-fpu.sh
	@echo "  LD      $$@"
	$(Q)$(KLD) $(FW_LDFLAGS) -T $(FW_BUILD)/fw$(1).ld -o $$@ $$(FW$(1)_OBJS)
	$(Q)$(if $(filter 16,$(1)),true,tools/check-no-fpu.sh $$@)   # objdump reads 16-bit code as 32
$(FW_BUILD)/fw$(1).bin: $(FW_BUILD)/fw$(1).elf
	$(Q)objcopy -O binary $$< $$@
endef
$(foreach bits,16 32 64,$(eval $(call FW_MODE_RULES,$(bits))))

$(FW_BUILD)/16/$(FW_DIR)/slots.S.o: $(FW_BUILD)/fw32.bin $(FW_BUILD)/fw64.bin \
	$(FW_BUILD)/default_script.bin

$(TESTFW): $(FW_BUILD)/fw16.bin
	@echo "  FW      $@"
	$(Q)test "$$(stat -c %s $<)" -eq 65536 || { echo "$< is not 64 KiB" >&2; exit 1; }
	$(Q)cp $< $@

# ---- the Linux guest (tests/guests/linux, docs/linux.md) --------------------------------
# Debian's kernel and busybox-static (apt-get download, kept in build/linux/debs), an
# initramfs and a GRUB hybrid disk image. Rebuilt when one of the recipe's files changes.
LINUX_DIR   := tests/guests/linux
LINUX_BUILD := $(BUILD)/linux
LINUX_DISK  := $(LINUX_BUILD)/disk.img
LINUX_INPUTS := $(addprefix $(LINUX_DIR)/,build_image.py init inittab rcS profile grub.cfg)

.PHONY: linux-guest
linux-guest: $(LINUX_DISK)

$(LINUX_DISK): $(LINUX_INPUTS)
	@echo "  LINUX   $@"
	$(Q)$(PYTHON) $(LINUX_DIR)/build_image.py $(LINUX_BUILD)

# ---- fuzzing (libFuzzer, clang; tests/fuzz/) ---------------------------------------------
# `make fuzz` runs each target for FUZZ_SECONDS (CI: 60) from tests/fuzz/corpus/NAME;
# `make test` runs them too, through tools/run-tests.
FUZZ_TARGETS := get_decoder frame insn_decode saved_state igvm ring servicing fwcfg
fuzz_get_decoder_SRCS := get/codec.c get/client.c get/dps.c kernel/lib/json.c
fuzz_frame_SRCS       := get/frame.c kernel/lib/crc32c.c
fuzz_ring_SRCS        := get/transport_ring.c
fuzz_insn_decode_SRCS := arch/x86_64/decode/insn_decode.c arch/x86_64/decode/insn_mmio.c
fuzz_saved_state_SRCS := $(unit_saved_state_SRCS)
fuzz_igvm_SRCS        := kernel/boot/igvm.c kernel/lib/sha256.c kernel/lib/crc32.c
# The fw_cfg directory a new instance takes from the persisted part (docs/servicing.md).
fuzz_fwcfg_SRCS       := drivers/vdev/chipset/fwcfg_view.c
# A new instance's servicing boot path: boot block, persisted page, blob (docs/servicing.md).
fuzz_servicing_SRCS   := $(unit_saved_state_SRCS) kernel/boot/loader_parse.c \
	kernel/boot/multiboot_parse.c kernel/boot/igvm_params.c mm/memmap.c kernel/servicing/persisted.c
FUZZ_BINS    := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS))
FUZZ_SECONDS ?= $(if $(CI),60,15)
FUZZCFLAGS   := -std=gnu11 -O1 -g $(WARNINGS) -Wno-missing-prototypes \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I. -I$(BUILD)/gen $(NANOPB_DEFS) -MMD -MP

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(fuzz_%_SRCS) | $(PROTO_STAMP)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	$(Q)clang $(FUZZCFLAGS) -o $@ $(filter %.c,$^)

fuzz: fuzz-build
	$(Q)$(PYTHON) tools/run-tests --no-integration --fuzz-seconds $(FUZZ_SECONDS) \
		$(addprefix --fuzz ,$(FUZZ_BINS))

# ---- static checks (SPEC section 2; docs/architecture.md) -------------------------------
#   make check-layers   include cycles and includes against the layer matrix in the doc
#   make check-statics  mutable file-scope state outside kernel/main.c, from the objects
# `make test` runs both first, each counted as one test: a cycle, an upward include or a
# new mutable static fails it. CHECKS_ADVISORY=1 shows their findings without counting a
# failure (for a tree in the middle of a restructuring, never for CI).
CHECKS_ADVISORY ?= 0
KERNEL_C_OBJS := $(filter %.c.o,$(KERNEL_OBJS))
CHECK_LAYERS_CMD  := $(PYTHON) tools/check-layers
CHECK_STATICS_CMD := $(PYTHON) tools/check-statics $(KERNEL_C_OBJS)

.PHONY: check-layers check-statics
check-layers:
	$(Q)$(CHECK_LAYERS_CMD)

check-statics: $(KERNEL_C_OBJS)
	$(Q)$(CHECK_STATICS_CMD)

# ---- the two commands ------------------------------------------------------------------
deps:
	$(Q)tools/deps.sh

test: deps
	$(Q)$(MAKE) --no-print-directory kernel unit guests linux-guest fuzz-build
	$(Q)$(PYTHON) tools/run-tests --build $(BUILD) \
		--check "check-layers=$(CHECK_LAYERS_CMD)" --check "check-statics=$(CHECK_STATICS_CMD)" \
		$(if $(filter 1,$(CHECKS_ADVISORY)),--checks-advisory) \
		$(UNIT_BINS) --fuzz-seconds $(FUZZ_SECONDS) $(addprefix --fuzz ,$(FUZZ_BINS))

run: deps
	$(Q)$(MAKE) --no-print-directory kernel linux-guest
	$(Q)tools/mezz run --linux --vtl0 $(VTL0_DEFAULT) $(MEZZ_ARGS)

debug: deps
	$(Q)$(MAKE) --no-print-directory kernel
	$(Q)tools/debug.sh $(BUILD)

clean:
	rm -rf $(BUILD)/kernel $(BUILD)/unit $(BUILD)/guests $(BUILD)/gen $(BUILD)/kernel.elf $(BUILD)/kernel.bin \
		$(BUILD)/shim $(BUILD)/shim.elf $(BUILD)/shim.bin $(BUILD)/mezzanine.igvm $(BUILD)/efi \
		$(BUILD)/shim-stamps $(BUILD)/shim-stamps.elf $(BUILD)/shim-stamps.bin
	rm -rf $(LINUX_BUILD)/initramfs $(LINUX_BUILD)/iso $(LINUX_DISK)

FORCE:

-include $(shell find $(BUILD)/kernel $(BUILD)/shim $(BUILD)/shim-stamps $(BUILD)/efi $(BUILD)/unit $(BUILD)/guests $(BUILD)/fuzz -name '*.d' 2>/dev/null)
