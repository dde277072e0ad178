/*
 * HPET timer as Mezzanine's own wake-up source (docs/get.md, "Served whatever VTL0
 * does"): one comparator in periodic mode delivering through its FSB route (an MSI
 * write) with delivery mode NMI. VTL0 never sees the HPET (its MMIO is not mapped for
 * VTL0, docs/partition.md) and cannot mask an NMI, so the tick brings Mezzanine back
 * from VTL0 whatever VTL0 does. Register layout: IA-PC HPET specification 1.0a, 2.3;
 * QEMU offers FSB delivery with `-global hpet.msi=on`. Pure: registers through ops.
 */
#ifndef MEZZ_DRIVERS_HPET_H
#define MEZZ_DRIVERS_HPET_H

#include <stdbool.h>
#include <stdint.h>

#define HPET_BASE          0xFED00000u
#define HPET_GCAP_ID       0x000   /* 63:32 period in fs, 12:8 last timer, 15 legacy cap */
#define HPET_GEN_CONF      0x010
#define HPET_GEN_ENABLE    0x1u
#define HPET_MAIN_COUNTER  0x0F0
#define HPET_TN_CONF(n)    (0x100u + 0x20u * (n))
#define HPET_TN_CMP(n)     (0x108u + 0x20u * (n))
#define HPET_TN_FSB(n)     (0x110u + 0x20u * (n))   /* low: data, high: address */
#define HPET_TN_INT_ENB    (1u << 2)
#define HPET_TN_PERIODIC   (1u << 3)
#define HPET_TN_PER_CAP    (1u << 4)
#define HPET_TN_SETVAL     (1u << 6)
#define HPET_TN_FSB_EN     (1u << 14)
#define HPET_TN_FSB_CAP    (1u << 15)
#define HPET_FS_PER_US     1000000000ull

/* MSI to the local APIC (Intel SDM vol. 3, "Message Signalled Interrupts"):
 * address 0xFEE00000 | destination << 12, data delivery mode NMI (100b << 8). */
#define MSI_ADDRESS_BASE   0xFEE00000u
#define MSI_DATA_NMI       (4u << 8)

struct hpet_ops {
    uint32_t (*read)(void *ctx, unsigned reg);
    void (*write)(void *ctx, unsigned reg, uint32_t value);
    void *ctx;
};

struct hpet_nmi_timer {
    struct hpet_ops ops;
    bool running;
    unsigned timer;          /* the comparator in use */
    uint64_t period_ticks;
    uint64_t count_ticks_at; /* after a period change: the shorter period, for one count */
    uint32_t period_fs;      /* the counter's tick */
    uint32_t period_us;      /* the period in use */
    uint32_t last_cmp;       /* comparator value when ticks were last counted */
    uint64_t nmis_seen;      /* NMIs accounted so far (all kinds) */
    uint32_t ticks_owed;     /* ticks counted whose NMI has not been seen yet */

    uint64_t ticks_claimed;  /* NMIs taken as Mezzanine's own */
    uint64_t nmis_forwarded; /* NMIs that were not (VTL0's) */
};

/* A tick counted before its NMI arrived (QEMU moves the comparator, then sends the
 * MSI, and its main loop may be preempted in between) is carried over to later counts:
 * taking a tick's NMI for VTL0's would inject an NMI VTL0 never asked for. A late QEMU
 * timer moves the comparator several periods for one NMI; those ticks never bring an
 * NMI, so at most this many are carried: at worst one VTL0 NMI after such a late tick
 * is taken for a tick (lost, as when two NMIs merge). */
#define HPET_TICKS_OWED_MAX 1u

/*
 * Finds a comparator with FSB delivery and periodic mode and starts it: an NMI to
 * local APIC apic_id every period_us. Returns 0, -ENODEV (no HPET or no FSB-capable
 * periodic comparator: QEMU needs hpet.msi=on) or -EINVAL.
 */
int hpet_nmi_timer_start(struct hpet_nmi_timer *t, const struct hpet_ops *ops, uint32_t period_us,
                         uint8_t apic_id);
/* Stops the comparator and the counter: no NMI is sent after it returns (one already on
 * its way arrives before). What a handoff does before entering an image that has no IDT
 * yet. */
void hpet_nmi_timer_stop(struct hpet_nmi_timer *t);

/* Changes the period (from the next tick on): one register write, skipped when the
 * period is already us. */
void hpet_nmi_timer_set_period(struct hpet_nmi_timer *t, uint32_t us);
/*
 * Sorts NMIs: nmis_total is every NMI Mezzanine has taken so far (wherever it took
 * them: in its IDT, in an interrupt window, as an exit). The comparator's advance since
 * the last call says how many were ticks; the rest were someone else's (VTL0's: its
 * APIC, LINT1). Returns how many of the new NMIs were not ticks.
 */
unsigned hpet_nmi_timer_account(struct hpet_nmi_timer *t, uint64_t nmis_total);

#endif
