# Mezzanine: one Makefile; build/ is the only output directory.
#   make            kernel (build/kernel.elf, build/kernel.bin)
#   make run        boot Mezzanine under QEMU with the default VTL0 payload
#   make test       unit tests, then integration tests; ends with "N passed, N failed"
#   make debug      QEMU stopped at the first instruction, gdb attached with symbols
# `run` and `test` first install missing Debian packages (tools/deps.sh).

PYTHON      ?= /usr/bin/python3
BUILD       := build
KCC         := clang --target=x86_64-elf
KLD         := $(shell command -v ld.lld || command -v ld.lld-14)
HOSTCC      ?= cc
NEWLIB      := $(BUILD)/newlib
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
	arch/x86_64/boot.S \
	arch/x86_64/traps.S \
	arch/x86_64/relocate.S \
	arch/x86_64/gdt.c \
	arch/x86_64/idt.c \
	arch/x86_64/trap.c \
	arch/x86_64/trap_dump.c \
	arch/x86_64/paging.c \
	arch/x86_64/tsc.c \
	arch/x86_64/tsc_calc.c

KERNEL_SRCS := \
	kernel/main.c \
	kernel/console.c \
	kernel/log.c \
	kernel/log_format.c \
	kernel/log_ring.c \
	kernel/panic.c \
	kernel/cmdline.c \
	kernel/multiboot_parse.c \
	kernel/machine.c \
	kernel/test_hooks.c \
	kernel/syscalls.c \
	kernel/poll.c

MM_SRCS := \
	mm/memmap.c \
	mm/pmm.c \
	mm/vtl2_space.c

DRIVER_SRCS := \
	drivers/uart16550.c \
	drivers/testdev.c \
	drivers/testdev_format.c

KERNEL_ALL_SRCS := $(ARCH_SRCS) $(KERNEL_SRCS) $(MM_SRCS) $(DRIVER_SRCS)
KERNEL_OBJS := $(patsubst %,$(BUILD)/kernel/%.o,$(KERNEL_ALL_SRCS))

# Pure modules and the unit test that covers each (tests/unit/test_NAME.c).
UNIT_TESTS := memmap pmm cmdline log_format log_ring paging trap_dump uart16550 multiboot_parse tsc_calc testdev
unit_memmap_SRCS          := mm/memmap.c
unit_pmm_SRCS             := mm/pmm.c
unit_cmdline_SRCS         := kernel/cmdline.c kernel/log_format.c
unit_log_format_SRCS      := kernel/log_format.c
unit_log_ring_SRCS        := kernel/log_ring.c
unit_paging_SRCS          := arch/x86_64/paging.c
unit_trap_dump_SRCS       := arch/x86_64/trap_dump.c
unit_uart16550_SRCS       := drivers/uart16550.c
unit_multiboot_parse_SRCS := kernel/multiboot_parse.c
unit_tsc_calc_SRCS        := arch/x86_64/tsc_calc.c
unit_testdev_SRCS         := drivers/testdev.c drivers/testdev_format.c
UNIT_BINS := $(patsubst %,$(BUILD)/unit/test_%,$(UNIT_TESTS))

# ---- flags ---------------------------------------------------------------------------
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
KCFLAGS := -std=gnu11 -O2 -g $(WARNINGS) \
	-ffreestanding -mgeneral-regs-only -mno-red-zone -mcmodel=kernel -fno-pic -fno-pie \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-ffunction-sections -fdata-sections \
	-nostdlibinc -isystem $(NEWLIB)/include -I. -I$(BUILD)/gen -MMD -MP
KASFLAGS := -g -I. -MMD -MP
KLDFLAGS := -nostdlib -static -T linker.ld --gc-sections -z max-page-size=4096

HOSTCFLAGS := -std=gnu11 -O1 -g $(WARNINGS) -Wno-missing-prototypes \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -I. -MMD -MP
HOSTLIBS := -lcmocka

.PHONY: all kernel unit test run debug deps clean newlib
all: kernel
kernel: $(BUILD)/kernel.bin

# ---- newlib (from Debian's newlib-source, cached in build/newlib) ----------------------
newlib: $(NEWLIB)/lib/libc.a
$(NEWLIB)/lib/libc.a: tools/newlib/build.sh tools/newlib/newlib-cc
	$(Q)tools/newlib/build.sh $(NEWLIB)

# ---- kernel --------------------------------------------------------------------------
$(BUILD)/gen/kernel/version.h: VERSION FORCE
	@mkdir -p $(dir $@)
	@printf '#define MEZZ_VERSION "%s"\n#define MEZZ_GITREV "%s"\n' '$(VERSION)' '$(GITREV)' > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

$(BUILD)/kernel/%.c.o: %.c $(NEWLIB)/lib/libc.a $(BUILD)/gen/kernel/version.h
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

# ---- unit tests (native, cmocka, ASan+UBSan) -------------------------------------------
unit: $(UNIT_BINS)

.SECONDEXPANSION:
$(BUILD)/unit/test_%: tests/unit/test_%.c $$(unit_%_SRCS)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) -o $@ $(filter %.c,$^) $(HOSTLIBS)

# ---- the two commands ------------------------------------------------------------------
deps:
	$(Q)tools/deps.sh

test: deps
	$(Q)$(MAKE) --no-print-directory kernel unit
	$(Q)$(PYTHON) tools/run-tests --build $(BUILD) $(UNIT_BINS)

run: deps
	$(Q)$(MAKE) --no-print-directory kernel
	$(Q)tools/mezz run --vtl0 $(VTL0_DEFAULT) $(MEZZ_ARGS)

debug: deps
	$(Q)$(MAKE) --no-print-directory kernel
	$(Q)tools/debug.sh $(BUILD)

clean:
	rm -rf $(BUILD)/kernel $(BUILD)/unit $(BUILD)/gen $(BUILD)/kernel.elf $(BUILD)/kernel.bin

FORCE:

-include $(shell find $(BUILD)/kernel $(BUILD)/unit -name '*.d' 2>/dev/null)
