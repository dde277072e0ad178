"""Regexes for the console lines docs/boot-contract.md fixes, shared by the tests."""

import re

BANNER = re.compile(r"^Mezzanine (?P<version>\S+) \((?P<rev>\S+)\) x86_64 paravisor$")
LOG_LINE = re.compile(r"^\[ *\d+\.\d{6}\] [EWID] \S+: .*$")
MEMORY_MAP_START = re.compile(r"memory map \(firmware\):")
VTL2_REGION_START = re.compile(r"vtl2 region:")
BOOT_COMPLETE = re.compile(r"boot complete")
EXCEPTION_HEADER = (r"^EXCEPTION #{mnemonic} \(vector {vector}\) "
                    r"error=0x(?P<error>[0-9a-fA-F]+) at RIP=0x(?P<rip>[0-9a-fA-F]+)")
CR2 = re.compile(r"CR2=0x(?P<cr2>[0-9a-fA-F]+)")
PANIC_LINE = re.compile(r"^PANIC: (?P<message>.*)$", re.MULTILINE)
TOUCHED_ADDRESS = re.compile(r"fault: touching unmapped address 0x(?P<address>[0-9a-fA-F]+)")
KERNEL_IMAGE = re.compile(
    r"kernel image: phys 0x(?P<start>[0-9a-fA-F]+) - 0x(?P<end>[0-9a-fA-F]+)")


def exception_header(mnemonic: str, vector: int) -> re.Pattern:
    return re.compile(EXCEPTION_HEADER.format(mnemonic=mnemonic, vector=vector), re.MULTILINE)
