/*
 * Exit-cost benchmark (mezz.bench=exits; tools/bench/exits.py). A built-in VTL0 loops on
 * `out dx, al` to an intercepted port (QEMU's exit device, which VTL0 may not reach, so
 * Mezzanine drops it). The same VTL0 is measured two ways, in alternating rounds of one
 * boot: a bare VMRUN loop whose only handling is RIP = next RIP, and Mezzanine's full
 * exit path (partition_step: NPT check, interrupt injection, dispatch table, port
 * policy, halt check, host-channel poll). Results are TSC cycles per exit.
 */
#include "kernel/vtl0/bench_exits.h"

#include <string.h>

#include "arch/x86_64/cpu/cpu.h"
#include "arch/x86_64/svm/svm.h"
#include "kernel/lib/log.h"
#include "kernel/lib/sort_u64.h"
#include "kernel/vtl0/emuplat/bridge.h"
#include "kernel/vtl0/partition.h"
#include "mm/vtl2_space.h"

#define BENCH_FIRMWARE_SIZE  KiB(64)
#define BENCH_CODE_OFFSET    0xE000     /* F000:E000 */
/* Many short alternating rounds: host noise (shared machine, TCG) then lands on both
 * loops alike, and the median ratio of paired rounds is stable. */
#define BENCH_ROUNDS         101
#define BENCH_EXITS_PER_ROUND 200
#define PIC1_DATA            0x21
#define PIC2_DATA            0xA1

/* Real-mode code: mov dx, 0xF4; 1: out dx, al; jmp 1b. Reset vector: jmp F000:E000. */
static void build_firmware(uint8_t *bench_firmware)
{
    static const uint8_t loop[] = { 0xBA, 0xF4, 0x00, 0xEE, 0xEB, 0xFD };
    static const uint8_t reset[] = { 0xEA, 0x00, 0xE0, 0x00, 0xF0 };
    memset(bench_firmware, 0xF4, BENCH_FIRMWARE_SIZE);    /* hlt everywhere else */
    memcpy(bench_firmware + BENCH_CODE_OFFSET, loop, sizeof(loop));
    memcpy(bench_firmware + BENCH_FIRMWARE_SIZE - 16, reset, sizeof(reset));
}

static uint64_t bare_round(struct partition *p, unsigned exits)
{
    uint64_t start = rdtsc();
    for (unsigned i = 0; i < exits; i++) {
        svm_enter(p->vmcb_pa, p->host_vmcb_pa, &p->gprs, true);
        p->vmcb->control.tlb_control = TLB_CONTROL_NONE;
        /* Only the OUT moves on; the host tick's NMI exit (docs/get.md) just re-enters. */
        if (p->vmcb->control.exit_code == VMEXIT_IOIO)
            p->vmcb->save.rip = p->vmcb->control.exit_info2;
    }
    return rdtsc() - start;
}

static uint64_t full_round(struct partition *p, unsigned exits)
{
    uint64_t start = rdtsc();
    for (unsigned i = 0; i < exits; i++)
        partition_step(p);
    return rdtsc() - start;
}

void bench_exits_run(struct partition *p, struct vtl0_bridge *bridge, struct host_channels *host,
                     const struct idt_tables *idt, struct vtl2_space *space, struct pmm *pmm,
                     uint64_t low_ram_end)
{
    uint64_t bare[BENCH_ROUNDS], full[BENCH_ROUNDS], ratio[BENCH_ROUNDS];
    uint64_t firmware_pa;

    /* The firmware is copied by partition_init: a scratch page run that stays allocated
     * is no loss, the benchmark ends Mezzanine's useful life. */
    if (pmm_alloc(pmm, BENCH_FIRMWARE_SIZE / PAGE_SIZE, PAGE_SIZE, &firmware_pa) != 0) {
        log_error("bench", "exits: no VTL2 memory for the firmware");
        return;
    }
    uint8_t *bench_firmware = phys_to_virt(firmware_pa);
    build_firmware(bench_firmware);
    const struct partition_config cfg = {
        .host = host, .idt = idt, .space = space, .low_ram_end = low_ram_end, .firmware = bench_firmware,
        .firmware_size = BENCH_FIRMWARE_SIZE,
    };
    if (partition_init(p, &cfg, pmm) != 0) {
        log_error("bench", "exits: cannot set up the partition");
        return;
    }
    /* The host bridge decides what VTL0 sees below 1 MiB, where the loop runs; locally,
     * so that no GET call lands in the measurement. */
    vtl0_bridge_init(bridge, p, PAM_BACKEND_LOCAL, I440BX_DEVICE_ID);
    p->bridge = bridge;
    (void)vtl0_devices_start(&p->devices);
    /* No interrupts during the measurement: both loops would pay for them. */
    outb(PIC1_DATA, 0xFF);
    outb(PIC2_DATA, 0xFF);
    /* Warm up: reach the loop and let TCG translate both paths. */
    for (unsigned i = 0; i < 200; i++)
        partition_step(p);
    (void)bare_round(p, 200);

    uint64_t before = p->stats.exits[EXIT_KIND_IOIO];
    for (unsigned r = 0; r < BENCH_ROUNDS; r++) {
        /* Alternate which loop goes first, so neither always follows the other. */
        if (r & 1) {
            full[r] = full_round(p, BENCH_EXITS_PER_ROUND) / BENCH_EXITS_PER_ROUND;
            bare[r] = bare_round(p, BENCH_EXITS_PER_ROUND) / BENCH_EXITS_PER_ROUND;
        } else {
            bare[r] = bare_round(p, BENCH_EXITS_PER_ROUND) / BENCH_EXITS_PER_ROUND;
            full[r] = full_round(p, BENCH_EXITS_PER_ROUND) / BENCH_EXITS_PER_ROUND;
        }
        ratio[r] = bare[r] ? full[r] * 1000 / bare[r] : 0;
    }
    uint64_t counted = p->stats.exits[EXIT_KIND_IOIO] - before;
    sort_u64(bare, BENCH_ROUNDS);
    sort_u64(full, BENCH_ROUNDS);
    sort_u64(ratio, BENCH_ROUNDS);
    uint64_t bare_med = bare[BENCH_ROUNDS / 2], full_med = full[BENCH_ROUNDS / 2];
    uint64_t hz = log_tsc_hz();
    /* Median of the paired-round ratios, in thousandths (no floating point in VTL2). */
    uint64_t ratio_milli = ratio[BENCH_ROUNDS / 2];
    log_info("bench", "exits: rounds=%u exits_per_round=%u full_path_ioio_exits=%llu",
             BENCH_ROUNDS, BENCH_EXITS_PER_ROUND, (unsigned long long)counted);
    log_info("bench", "exits: bare_cycles=%llu full_cycles=%llu bare_ns=%llu full_ns=%llu "
             "ratio=%llu.%03llu",
             (unsigned long long)bare_med, (unsigned long long)full_med,
             (unsigned long long)(hz ? bare_med * 1000000000ull / hz : 0),
             (unsigned long long)(hz ? full_med * 1000000000ull / hz : 0),
             (unsigned long long)(ratio_milli / 1000), (unsigned long long)(ratio_milli % 1000));
}
