#!/usr/bin/env python3
"""Write the PSF golden vectors into tests/vectors/.

This is an INDEPENDENT encoder: it was written from docs/format.md alone and
shares no code with libpsf (format/).  It has its own bit-at-a-time CRC-32C
(docs/format.md section 3.1), packs every integer with the struct module
("<" = little-endian, no alignment), and computes container counts and sizes
itself.  Signatures and record field offsets are copied from
format/psf_schema.h by hand (they are part of the schema, not of the format).

For each vector NAME it writes:

  NAME.bin   the exact bytes of the file (a store, possibly damaged, possibly
             followed by bytes that are not part of the store)
  NAME.txt   a short human explanation: what it holds, the expected verdict,
             and for invalid vectors the expected error and offset

and one machine-readable manifest, MANIFEST, one line per vector:

  name verdict errname offset

verdict is "valid" or "invalid"; errname is a libpsf error name without the
PSF_ERR_ prefix (OK for valid vectors); offset is the decimal byte offset
psf_check_full() reports through *bad_off (0 for valid vectors and for header
errors, 32 for a body CRC mismatch, else the offending element).

Invalid vectors carry correct CRCs unless a CRC is the point, so that the
structural check is what fails.

The generated files are committed: they are the golden data.  This script
documents how they were made and regenerates them byte for byte:

    scripts/gen-vectors.py [OUTDIR]        (default: tests/vectors)
    scripts/gen-vectors.py --check [OUTDIR]  (compare instead of writing)

It also checks that the section 9 example it encodes is byte-identical to the
hex listing in docs/format.md.
"""
import os
import re
import struct
import sys

# ---------------------------------------------------------------------------
# docs/format.md section 3.1: CRC-32C, bit at a time.

def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


CRC_VECTORS = [
    (b"", 0x00000000),
    (b"123456789", 0xE3069283),
    (bytes(32), 0x8A9136AA),
    (b"\xff" * 32, 0x62A8AB43),
    (bytes(range(32)), 0x46DD794E),
]
for _data, _want in CRC_VECTORS:
    assert crc32c(_data) == _want, (_data, hex(crc32c(_data)))

# ---------------------------------------------------------------------------
# docs/format.md sections 3, 4: header and elements.

MAGIC = b"\x89pstate\x1a"
HEADER_SIZE = 32
MAX_TOTAL = 16 * 1024 * 1024


def u8(v):
    return struct.pack("<B", v)


def u16(v):
    return struct.pack("<H", v)


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


def sig(container, ns, ident):
    return (0x80000000 if container else 0) | ((ns & 0x7FFF) << 16) | (ident & 0xFFFF)


def S(signature, payload=b"", length=None):
    """A structure: sig, len, payload.  length overrides the len field."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    assert not signature & 0x80000000
    return u32(signature) + u32(len(payload) if length is None else length) + payload


def C(signature, children=(), count=None, size=None):
    """A container: sig, count, size, children.  count/size override."""
    assert signature & 0x80000000
    body = b"".join(children)
    return (u32(signature) + u32(len(children) if count is None else count) +
            u32(len(body) if size is None else size) + body)


def PAD(n=0, fill=0):
    """A pad with an n-byte payload (writers should zero it; fill may not)."""
    return S(0, bytes([fill]) * n)


def store(root, *, total=None, major=1, minor=0, header_size=HEADER_SIZE,
          schema=1, flags=0, magic=MAGIC, body_crc=None, header_crc=None,
          trailing=b""):
    """Header + root (section 3, 8.3).  Any field may be forced; CRCs are
    computed over what is actually written unless forced."""
    if total is None:
        total = HEADER_SIZE + len(root)
    body_end = min(total, HEADER_SIZE + len(root))
    if body_crc is None:
        body_crc = crc32c(root[:body_end - HEADER_SIZE])
    hdr = (magic + u8(major) + u8(minor) + u16(header_size) + u32(schema) +
           u32(total) + u32(flags) + u32(body_crc))
    assert len(hdr) == 28
    if header_crc is None:
        header_crc = crc32c(hdr)
    return hdr + u32(header_crc) + root + trailing


# ---------------------------------------------------------------------------
# format/psf_schema.h, copied by hand.

NS_CORE, NS_AGENT, NS_BMC = 0x0000, 0x0001, 0x0002

NAME = sig(0, 0, 0x0001)
DESCRIPTION = sig(0, 0, 0x0002)
SERIAL_NUMBER = sig(0, 0, 0x0003)
HOSTNAME = sig(0, 0, 0x0004)
NETWORK_REF = sig(0, 0, 0x0005)
IMAGE_REF = sig(0, 0, 0x0006)
PATH = sig(0, 0, 0x0007)
TARGET = sig(0, 0, 0x0008)
BOOT_ORDER = sig(0, 0, 0x0009)
UPLINK = sig(0, 0, 0x000A)
OWNER = sig(0, 0, 0x000B)
WRITER = sig(0, 0, 0x000C)
PROFILE_REF = sig(0, 0, 0x000D)
MAC_LIST = sig(0, 0, 0x000E)
WWN_LIST = sig(0, 0, 0x000F)
FC_BOOT = sig(0, 0, 0x0010)

ROOT = sig(1, 0, 0x0100)
VMS = sig(1, 0, 0x0101)
VM = sig(1, 0, 0x0102)
NICS = sig(1, 0, 0x0103)
NIC = sig(1, 0, 0x0104)
STORAGE = sig(1, 0, 0x0105)
CONTROLLER = sig(1, 0, 0x0106)
SERIAL_PORTS = sig(1, 0, 0x0107)
SERIAL_PORT = sig(1, 0, 0x0108)
NETWORKS = sig(1, 0, 0x0109)
NETWORK = sig(1, 0, 0x010A)
IMAGES = sig(1, 0, 0x010B)
IMAGE = sig(1, 0, 0x010C)
RESERVATIONS = sig(1, 0, 0x010D)
RESERVATION = sig(1, 0, 0x010E)
PROFILES = sig(1, 0, 0x010F)
PROFILE = sig(1, 0, 0x0110)
STORE_INFO = sig(1, 0, 0x0111)
AGENT_STATE = sig(1, NS_AGENT, 0x0100)
BMC_STATE = sig(1, NS_BMC, 0x0100)

VM_CONFIG = sig(0, 0, 0x0200)
NIC_CONFIG = sig(0, 0, 0x0201)
CONTROLLER_CONFIG = sig(0, 0, 0x0202)
SERIAL_CONFIG = sig(0, 0, 0x0203)
NETWORK_CONFIG = sig(0, 0, 0x0204)
IMAGE_CONFIG = sig(0, 0, 0x0205)
RESERVATION_CONFIG = sig(0, 0, 0x0206)
PROFILE_CONFIG = sig(0, 0, 0x0207)
STORE_RECORD = sig(0, 0, 0x0208)

# Record layouts: (field, offset, struct format).  Fields tile the record.
LAYOUTS = {
    "vm": (36, [("uuid", 0, "16s"), ("memory_kib", 16, "<Q"), ("vcpus", 24, "<H"),
                ("sockets", 26, "<H"), ("cores", 28, "<H"), ("threads", 30, "<H"),
                ("power", 32, "<B"), ("pxe", 33, "<B"), ("pxe_nic", 34, "<H")]),
    "nic": (8, [("mac", 0, "6s"), ("model", 6, "<B"), ("flags", 7, "<B")]),
    "controller": (3, [("media", 0, "<B"), ("flags", 1, "<B"), ("bus", 2, "<B")]),
    "serial": (5, [("port", 0, "<H"), ("concentrator", 2, "<H"), ("mode", 4, "<B")]),
    "network": (8, [("kind", 0, "<B"), ("flags", 1, "<B"), ("vlan", 2, "<H"),
                    ("mtu", 4, "<I")]),
    "image": (11, [("size_bytes", 0, "<Q"), ("format", 8, "<B"), ("media", 9, "<B"),
                   ("flags", 10, "<B")]),
    "reservation": (18, [("kind", 0, "<B"), ("flags", 1, "<B"), ("first", 2, "<Q"),
                         ("count", 10, "<Q")]),
    "profile": (18, [("uuid", 0, "16s"), ("state", 16, "<B"), ("target_kind", 17, "<B")]),
    "store": (9, [("writer_kind", 0, "<B"), ("time", 1, "<Q")]),
}


def record(layout, **values):
    """Pack a record: every field at its offset, defaults zero."""
    size, fields = LAYOUTS[layout]
    out = bytearray(size)
    pos = 0
    for name, off, fmt in fields:
        assert off == pos, (layout, name)  # fields tile the record
        v = values.pop(name, None)
        raw = struct.pack(fmt, v if v is not None else (b"" if "s" in fmt else 0))
        out[off:off + len(raw)] = raw
        pos = off + len(raw)
    assert pos == size and not values, (layout, values)
    return bytes(out)


# Enumerations used below (psf_schema.h).
POWER_ON, POWER_LAST = 1, 2
PXE_ON = 1
BOOT_DISK, BOOT_CDROM, BOOT_NETWORK = 1, 2, 3
NIC_VIRTIO, NIC_E1000 = 1, 2
NICF_LINK_DOWN = 0x01
MEDIA_DISK, MEDIA_CDROM = 0, 1
CTLF_BOOTABLE, CTLF_READONLY = 0x01, 0x02
BUS_VIRTIO, BUS_SATA, BUS_SCSI = 1, 2, 4
SERIAL_OBSERVER = 1
NET_BRIDGED, NET_NAT, NET_ISOLATED = 0, 1, 2
IMG_RAW, IMG_QCOW2 = 0, 1
IMGF_SHAREABLE = 0x01
RES_CPU, RES_MEMORY, RES_PCI = 1, 2, 3
PROFILE_UNASSIGNED, PROFILE_ASSIGNED = 0, 1
TARGET_NONE, TARGET_VM = 0, 2
WRITER_PSCTL = 1

# ---------------------------------------------------------------------------
# The vectors.

VECTORS = []  # (name, bytes, verdict, errname, offset, explanation)


def vector(name, data, err="OK", off=0, text=""):
    verdict = "valid" if err == "OK" else "invalid"
    VECTORS.append((name, bytes(data), verdict, err, off, text.strip()))


def doc_example():
    """docs/format.md section 9."""
    return store(C(ROOT, [
        C(VMS, [C(VM, [S(NAME, "vm1")])]),
        S(sig(0, 0x0123, 0x0007), b"\xab\xcd"),
    ]))


def doc_listing():
    """The hex listing of docs/format.md section 9, or None without docs."""
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "docs", "format.md")
    if not os.path.exists(path):
        return None
    text = open(path, encoding="utf-8").read()
    sec = text[text.index("## 9. Example"):]
    block = sec[sec.index("```") + 3:]
    block = block[:block.index("```")]
    out = bytearray()
    for line in block.splitlines():
        # "OFFSET  hex bytes ...  comment": hex tokens until the first other
        # word (the comment may follow a single space).
        tokens = line.split()
        if not tokens or not tokens[0].isdigit():
            continue
        hexes = []
        for t in tokens[1:]:
            if not re.fullmatch(r"[0-9a-f]{2}", t):
                break
            hexes.append(int(t, 16))
        if not hexes:
            continue
        assert int(tokens[0]) == len(out), ("listing offset", line)
        out += bytes(hexes)
    return bytes(out)


def schema_sample():
    uuid_web = bytes.fromhex("6f1c2f8e4b3a4e0a9d5c7b2a1e0f3d4c")
    uuid_db = bytes.fromhex("0a1b2c3d4e5f40718293a4b5c6d7e8f9")
    uuid_srv = bytes.fromhex("11223344556677889900aabbccddeeff")
    wwnn = bytes.fromhex("2000001b32a1b2c3")
    wwpn = bytes.fromhex("2100001b32a1b2c3")
    tgt_wwpn = bytes.fromhex("500a098187654321")
    lun = bytes.fromhex("0001000000000000")
    # Placement as in docs/schema.md ("The tree").
    web01 = C(VM, [
        S(NAME, "web01"),
        S(DESCRIPTION, "front end, two NICs"),
        S(SERIAL_NUMBER, "VM-WEB01-0001"),
        S(VM_CONFIG, record("vm", uuid=uuid_web, memory_kib=4194304, vcpus=4,
                            sockets=1, cores=2, threads=2, power=POWER_ON)),
        S(BOOT_ORDER, bytes([BOOT_DISK, BOOT_NETWORK])),
        C(NICS, [
            C(NIC, [S(NAME, "eth0"),
                    S(NETWORK_REF, "lan"),
                    S(NIC_CONFIG, record("nic", mac=bytes.fromhex("525400123456"),
                                         model=NIC_VIRTIO))]),
            C(NIC, [S(NAME, "eth1"),
                    S(NETWORK_REF, "dmz"),
                    S(NIC_CONFIG, record("nic", mac=bytes.fromhex("525400abcdef"),
                                         model=NIC_E1000, flags=NICF_LINK_DOWN))]),
        ]),
        C(STORAGE, [
            C(CONTROLLER, [S(NAME, "root"),
                           S(IMAGE_REF, "web01-root"),
                           S(CONTROLLER_CONFIG, record("controller", media=MEDIA_DISK,
                                                       flags=CTLF_BOOTABLE, bus=BUS_VIRTIO))]),
            C(CONTROLLER, [S(NAME, "cd"),
                           S(IMAGE_REF, "installer"),
                           S(CONTROLLER_CONFIG, record("controller", media=MEDIA_CDROM,
                                                       flags=CTLF_READONLY, bus=BUS_SATA))]),
        ]),
        C(SERIAL_PORTS, [
            C(SERIAL_PORT, [S(HOSTNAME, "web01-console"),
                            S(SERIAL_CONFIG, record("serial", port=0, concentrator=7001,
                                                    mode=SERIAL_OBSERVER))]),
            C(SERIAL_PORT, [S(SERIAL_CONFIG, record("serial", port=1))]),
        ]),
    ])
    db01 = C(VM, [
        S(NAME, "db01"),
        S(VM_CONFIG, record("vm", uuid=uuid_db, memory_kib=16777216, vcpus=8,
                            power=POWER_LAST, pxe=PXE_ON, pxe_nic=0)),
        S(BOOT_ORDER, bytes([BOOT_NETWORK, BOOT_DISK, BOOT_CDROM])),
        S(PROFILE_REF, "gold"),
        C(NICS, [C(NIC, [S(NAME, "eth0"), S(NETWORK_REF, "lan"),
                         S(NIC_CONFIG, record("nic"))])]),
    ])
    root = C(ROOT, [
        C(STORE_INFO, [S(STORE_RECORD, record("store", writer_kind=WRITER_PSCTL,
                                              time=1767225600)),
                       S(WRITER, "psctl 1.0 on host-a")]),
        C(VMS, [web01, db01]),
        C(NETWORKS, [
            C(NETWORK, [S(NAME, "lan"),
                        S(UPLINK, "eno1"),
                        S(NETWORK_CONFIG, record("network", kind=NET_BRIDGED, mtu=9000))]),
            C(NETWORK, [S(NAME, "dmz"),
                        S(UPLINK, "eno2"),
                        S(NETWORK_CONFIG, record("network", kind=NET_NAT, vlan=42, mtu=1500))]),
            C(NETWORK, [S(NAME, "lab"),
                        S(DESCRIPTION, "no way out"),
                        S(NETWORK_CONFIG, record("network", kind=NET_ISOLATED))]),
        ]),
        C(IMAGES, [
            C(IMAGE, [S(NAME, "web01-root"),
                      S(PATH, "/var/lib/pstate/images/web01-root.qcow2"),
                      S(IMAGE_CONFIG, record("image", size_bytes=21474836480,
                                             format=IMG_QCOW2, media=MEDIA_DISK))]),
            C(IMAGE, [S(NAME, "installer"),
                      S(DESCRIPTION, "install ISO"),
                      S(PATH, "/srv/iso/installer.iso"),
                      S(IMAGE_CONFIG, record("image", size_bytes=734003200,
                                             format=IMG_RAW, media=MEDIA_CDROM,
                                             flags=IMGF_SHAREABLE))]),
        ]),
        C(RESERVATIONS, [
            C(RESERVATION, [S(NAME, "cpu-pin"),
                            S(OWNER, "db01"),
                            S(RESERVATION_CONFIG, record("reservation", kind=RES_CPU,
                                                         first=2, count=4))]),
            C(RESERVATION, [S(NAME, "hugepages"),
                            S(OWNER, "db01"),
                            S(RESERVATION_CONFIG, record("reservation", kind=RES_MEMORY,
                                                         first=0x100000000, count=0x40000000))]),
            C(RESERVATION, [S(NAME, "gpu"),
                            S(OWNER, "web01"),
                            S(RESERVATION_CONFIG, record("reservation", kind=RES_PCI,
                                                         first=0x0300, count=1))]),
            C(RESERVATION, [S(NAME, "host-cpus"),  # no OWNER: for the hypervisor
                            S(RESERVATION_CONFIG, record("reservation", kind=RES_CPU,
                                                         first=0, count=2))]),
        ]),
        C(PROFILES, [
            C(PROFILE, [S(NAME, "gold"),
                        S(DESCRIPTION, "database server"),
                        S(SERIAL_NUMBER, "SN-0042-XYZ"),
                        S(PROFILE_CONFIG, record("profile", uuid=uuid_srv,
                                                 state=PROFILE_ASSIGNED, target_kind=TARGET_VM)),
                        S(MAC_LIST, bytes.fromhex("525400000001525400000002")),
                        S(WWN_LIST, wwnn + wwpn),
                        S(FC_BOOT, tgt_wwpn + lun),
                        S(BOOT_ORDER, bytes([BOOT_DISK])),
                        S(TARGET, "db01")]),
            C(PROFILE, [S(NAME, "spare"),
                        S(PROFILE_CONFIG, record("profile", state=PROFILE_UNASSIGNED,
                                                 target_kind=TARGET_NONE))]),
        ]),
    ])
    return store(root)


def unknown_namespaces():
    hw = 0x0123      # a hardware vendor
    hv = 0x4001      # a hypervisor vendor
    site = 0x7000    # site-local
    root = C(ROOT, [
        C(sig(1, hw, 0x0001), [                                  # depth 2
            S(sig(0, hw, 0x0002), "bios-settings"),
            C(sig(1, hw, 0x0003), [                              # depth 3
                C(sig(1, hw, 0x0004), [                          # depth 4
                    S(sig(0, hw, 0x0005), b"\x01\x02\x03\x04"),
                    C(sig(1, hw, 0x0006)),                       # empty, depth 5
                ]),
            ]),
        ]),
        C(AGENT_STATE, [S(sig(0, NS_AGENT, 0x0001), u64(0x1122334455667788))]),
        C(VMS, [
            C(VM, [
                S(sig(0, hv, 0x0010), "hv-private"),
                S(NAME, "vm1"),
                C(sig(1, hv, 0x0011), [S(sig(0, hv, 0x0012), b"\xff" * 7)]),
                C(NICS, [
                    C(NIC, [                                     # depth 5
                        S(NIC_CONFIG, record("nic", mac=bytes.fromhex("020000000001"))),
                        C(sig(1, site, 0x0001), [                # depth 6
                            C(sig(1, site, 0x0002), [            # depth 7
                                S(sig(0, site, 0x0003), "deep"),
                            ]),
                        ]),
                        S(sig(0, site, 0x0004)),                 # empty payload
                    ]),
                ]),
                S(sig(0, NS_CORE, 0x0FFF), "future core struct"),
                C(sig(1, NS_CORE, 0x0FFE), [S(NAME, "future core container")]),
            ]),
        ]),
        S(sig(0, 0x7FFE, 0xFFFF), b"\x00\x00"),
        C(BMC_STATE, [S(sig(0, NS_BMC, 0x0001), "sel-cursor=17")]),
    ])
    return store(root)


def pads():
    root = C(ROOT, [
        PAD(0),                                     # eight zero bytes
        C(VMS, [
            PAD(16),
            C(VM, [S(NAME, "vm1"), PAD(5, fill=0xAA)]),   # garbage in a pad
            PAD(3, fill=0x55),
        ]),
        C(NETWORKS, [PAD(0), PAD(1), PAD(0)]),     # only pads
        C(IMAGES),                                  # empty
        PAD(32),                                    # 40 bytes of room at the end
    ])
    return store(root)


def trailing_unknown_bytes():
    cfg = record("vm", memory_kib=1048576, vcpus=2, power=POWER_ON)
    extra = bytes.fromhex("deadbeefcafef00d0102030405060708")
    root = C(ROOT, [C(VMS, [C(VM, [S(NAME, "vm1"), S(VM_CONFIG, cfg + extra)])])])
    return store(root)


def short_records():
    vmcfg = record("vm", memory_kib=2097152, uuid=bytes(range(1, 17)))[:24]
    niccfg = record("nic", mac=bytes.fromhex("525400000042"))[:6]
    root = C(ROOT, [
        C(VMS, [C(VM, [
            S(NAME, "short"),
            S(VM_CONFIG, vmcfg),               # ends after memory_kib
            C(NICS, [C(NIC, [S(NIC_CONFIG, niccfg)])]),  # MAC only
            C(SERIAL_PORTS, [C(SERIAL_PORT, [S(SERIAL_CONFIG, u16(3))])]),  # port only
        ])]),
        C(NETWORKS, [C(NETWORK, [S(NAME, "n0"), S(NETWORK_CONFIG, b"")])]),  # empty
    ])
    return store(root)


def nested(depth, inner=()):
    """depth containers nested in each other, the outermost being the root;
    the others are 0x7000-namespace containers with id = their depth."""
    node = list(inner)
    for d in range(depth, 1, -1):
        node = [C(sig(1, 0x7000, d), node)]
    return C(ROOT, node)


def build():
    doc = doc_example()
    listing = doc_listing()
    if listing is not None:
        assert doc == listing, "section 9 example differs from docs/format.md"
    assert len(doc) == 89 and doc[24:28] == bytes.fromhex("00d6687e")

    empty = store(C(ROOT))
    vector("valid-empty-root", empty, text="""
Smallest valid store: the 32-byte header and an empty root container
(0x80000100, count 0, size 0); total_length 44.
Expected: valid.""")

    vector("valid-doc-example", doc, text="""
The example of docs/format.md section 9, byte for byte: root { vms { vm {
name "vm1" } }, unknown vendor structure 0x01230007 = ab cd }; total 89,
body_crc 0x7e68d600, header_crc 0xcce81fc2.  tests rebuild it with the
builder and compare bytes.
Expected: valid.""")

    vector("valid-schema-sample", schema_sample(), text="""
A full configuration using the core schema (psf_schema.h ids and record
offsets, placed as in docs/schema.md): store-info (store-record writer psctl,
time 1767225600 at the unaligned offset 1; writer string); vms { web01
(description, serial number, vm-config uuid 6f1c2f8e..., memory 4194304 KiB,
4 vcpus 1/2/2, power on; boot-order disk, network; nics { eth0 virtio
52:54:00:12:34:56 on "lan", eth1 e1000 52:54:00:ab:cd:ef link-down on "dmz" };
storage { "root": virtio disk bootable, image "web01-root"; "cd": sata cdrom
readonly, image "installer" }; serial-ports { port 0 -> concentrator 7001
observer, hostname "web01-console"; port 1 }), db01 (memory 16777216 KiB, 8
vcpus, power last, pxe on, profile-ref "gold", one default nic on "lan") };
networks { lan bridged mtu 9000 uplink eno1, dmz nat vlan 42 mtu 1500 uplink
eno2, lab isolated }; images { web01-root qcow2 20 GiB, installer raw cdrom
shareable }; reservations { cpu-pin cpu 2+4 and hugepages memory
0x100000000+0x40000000 for db01, gpu pci 0x0300+1 for web01, host-cpus cpu
0+2 with no owner }; profiles { gold: assigned to vm db01, serial number,
mac-list (2 MACs), wwn-list (1 port), fc-boot (1 target), boot-order;
spare: unassigned }.
Expected: valid.""")

    vector("valid-unknown-namespaces", unknown_namespaces(), text="""
Elements of namespaces a reader does not know, at several depths: a
hardware-vendor (0x0123) container tree 4 levels deep under the root with an
empty container at depth 5, the agent (0x0001) and BMC (0x0002) state
containers, a hypervisor-vendor (0x4001) structure before the vm name and a
container after it, a site-local (0x7000) container chain at depths 6 and 7
inside a nic, an empty-payload site-local structure, a 0x7ffe structure at
the root, and unknown core-namespace ids (structure 0x00000fff, container
0x80000ffe) that a later schema might add.  Known elements are still found
by signature and name (vms / vm "vm1").
Expected: valid.""")

    vector("valid-pads", pads(), text="""
Pads (signature 0) everywhere a child may be: an 8-byte pad (length 0) first
in the root, a pad with a 16-byte zero payload before the vm, a pad with a
garbage payload (5 x 0xaa) after the vm name and one (3 x 0x55) after the vm,
a networks container holding only pads, an empty images container, and a
pad with a 32-byte zero payload (40 bytes of room) at the end of the root.  Pads count in count and size; pad-skipping iteration
sees root: vms, networks, images.
Expected: valid.""")

    vector("valid-trailing-unknown-bytes", trailing_unknown_bytes(), text="""
A vm-config record of 52 bytes: the 36 bytes psf_schema.h defines (memory
1048576 KiB, 2 vcpus, power on) followed by 16 unknown trailing bytes
(de ad be ef ca fe f0 0d 01 .. 08) that a later schema version added.
Readers use the known fields and ignore the rest.
Expected: valid.""")

    vector("valid-short-record", short_records(), text="""
Records truncated at field boundaries: vm-config of 24 bytes (uuid 01..10,
memory 2097152 KiB; vcpus and later fields absent -> default 0), nic-config of
6 bytes (MAC 52:54:00:00:00:42 only; model and flags default 0),
serial-config of 2 bytes (port 3), network-config of 0 bytes (all defaults).
Expected: valid.""")

    vector("valid-trailing-garbage", doc + b"\xff" * 16 + MAGIC + bytes(13), text="""
The section 9 example (total_length 89) followed by 37 bytes that are not part
of the store (0xff, then something that looks like another magic).  Bytes
past total_length are ignored: the file is 126 bytes, the store 89.
Expected: valid.""")

    vector("valid-minor-version", store(C(ROOT, [C(VMS)]), minor=7, schema=99), text="""
format_minor 7 and schema_version 99: a reader accepts any minor and any
schema version.  Root holds one empty vms container.
Expected: valid.""")

    vector("valid-ignorable-flags", store(C(ROOT), flags=0xA5A50000), text="""
flags = 0xa5a50000: only may-ignore bits (16-31) set.  Empty root.
Expected: valid.""")

    vector("valid-max-depth", store(nested(16, [S(NAME, "bottom")])), text="""
16 containers nested (the root is depth 1; the others are 0x7000-namespace
containers 0x80007002..0x80007010), the deepest holding a name "bottom".
Exactly the maximum depth.
Expected: valid.""")

    # ---------------------------------------------------------------- invalid
    vector("invalid-empty-file", b"", "TRUNCATED", 0, text="""
A zero-byte file: shorter than the 32-byte header.
Expected: invalid, TRUNCATED at offset 0.""")

    vector("invalid-truncated-header", doc[:20], "TRUNCATED", 0, text="""
The first 20 bytes of the section 9 example: the header is cut.
Expected: invalid, TRUNCATED at offset 0.""")

    vector("invalid-truncated-body", doc[:70], "TRUNCATED", 0, text="""
The first 70 bytes of the section 9 example: the header (intact, CRC good)
says total_length 89 but the file holds 70 bytes.
Expected: invalid, TRUNCATED at offset 0.""")

    vector("invalid-bad-magic", store(C(ROOT), magic=b"\x89pstatE\x1a"), text="""
Empty-root store whose magic has 'E' for 'e' (CRCs recomputed over it).
Expected: invalid, BADMAGIC at offset 0.""", err="BADMAGIC", off=0)

    vector("invalid-erased-flash", b"\xff" * 64, "BADMAGIC", 0, text="""
64 bytes of 0xff (erased flash).
Expected: invalid, BADMAGIC at offset 0.""")

    vector("invalid-zeroed", bytes(64), "BADMAGIC", 0, text="""
64 zero bytes (zeroed media).
Expected: invalid, BADMAGIC at offset 0.""")

    vector("invalid-bad-major", store(C(ROOT), major=2), "BADVERSION", 0, text="""
Empty-root store with format_major 2 (header CRC correct for it).
Expected: invalid, BADVERSION at offset 0.""")

    vector("invalid-bad-header-size", store(C(ROOT), header_size=40), "BADHEADER", 0,
           text="""
Empty-root store with header_size 40 (header CRC correct for it).
Expected: invalid, BADHEADER at offset 0.""")

    bad_hcrc = bytearray(doc)
    bad_hcrc[28] ^= 0x01
    vector("invalid-header-crc", bad_hcrc, "HEADERCRC", 0, text="""
The section 9 example with bit 0 of header_crc (byte 28) flipped.
Expected: invalid, HEADERCRC at offset 0.""")

    bad_bcrc = store(C(ROOT, [C(VMS, [C(VM, [S(NAME, "vm1")])]),
                              S(sig(0, 0x0123, 0x0007), b"\xab\xcd")]),
                     body_crc=0x7E68D600 ^ 0x00010000)
    vector("invalid-body-crc", bad_bcrc, "BODYCRC", 32, text="""
The section 9 example with a wrong body_crc (0x7e69d600 instead of
0x7e68d600); the header CRC is correct for the header as written.
Expected: invalid, BODYCRC at offset 32 (the body).""")

    vector("invalid-unknown-flag", store(C(ROOT), flags=0x00000001), "BADFLAGS", 0, text="""
Empty-root store with flags = 0x00000001: a must-understand bit that
format 1.0 does not define.
Expected: invalid, BADFLAGS at offset 0.""")

    vector("invalid-total-too-large", store(C(ROOT), total=MAX_TOTAL + 1), "TOOLARGE", 0,
           text="""
Empty-root store (44 bytes in the file) whose header says total_length
16777217, one more than the 16 MiB limit.  libpsf checks the limit before
comparing with the file size.
Expected: invalid, TOOLARGE at offset 0.""")

    vector("invalid-total-too-small", store(C(ROOT), total=40), "BADHEADER", 0, text="""
Empty-root store (44 bytes in the file) whose header says total_length 40
(< 44, too small for a header and a root container); body CRC over [32,40).
Expected: invalid, BADHEADER at offset 0.""")

    vector("invalid-root-is-structure", store(S(NAME, "root")), "BADROOT", 32, text="""
The body is a single structure (name "root") instead of a container.
Expected: invalid, BADROOT at offset 32.""")

    vector("invalid-root-size", store(C(ROOT, [S(NAME, "a")], size=0)), "BADROOT", 32,
           text="""
Root container with count 1 but size 0 while the body is 21 bytes: the root's
size (0) is not total_length - 44 (9).
Expected: invalid, BADROOT at offset 32.""")

    vector("invalid-second-root", store(C(ROOT) + C(ROOT)), "BADROOT", 32, text="""
Two empty root containers back to back; total_length covers both, so the
first root's size (0) is not total_length - 44 (12).
Expected: invalid, BADROOT at offset 32.""")

    # name "vm1" claims 10 bytes but its parent vm ends after 3.
    overrun = store(C(ROOT, [
        C(VMS, [C(VM, [S(NAME, b"vm1", length=10)])]),
        S(sig(0, 0x0123, 0x0007), b"\xab\xcd"),
    ]))
    vector("invalid-overrun", overrun, "OVERRUN", 68, text="""
The section 9 example with the vm name's length set to 10: the name
structure at offset 68 claims to run to 86, past its parent vm, which ends
at 79 (still inside the store).  CRCs correct.
Expected: invalid, OVERRUN at offset 68.""")

    child_overrun = store(C(ROOT, [
        C(VMS, [C(VM, [S(NAME, "vm1")], size=40)]),
        S(sig(0, 0x0123, 0x0007), b"\xab\xcd"),
    ]))
    vector("invalid-container-overrun", child_overrun, "OVERRUN", 56, text="""
The section 9 example with the vm container's size set to 40: it would end
at 108, past its parent vms (ends at 79).
Expected: invalid, OVERRUN at offset 56.""")

    hdr_overrun = store(C(ROOT, [S(NAME, "ab"), u32(VMS) + u32(0)], count=2))
    vector("invalid-header-overrun", hdr_overrun, "OVERRUN", 54, text="""
Root { name "ab", then 8 bytes: a container signature (vms) and a count }:
the last element's 12-byte container header does not fit in the 8 bytes
left in the root.
Expected: invalid, OVERRUN at offset 54.""")

    frag = store(C(ROOT, [S(NAME, "ab"), b"\x01\x00\x00"], count=2))
    vector("invalid-tail-fragment", frag, "OVERRUN", 54, text="""
Root { name "ab", then 3 stray bytes 01 00 00 }: only 3 bytes are left in the
root where the next child's header needs 8; the store (and the file) ends
right there, so a reader must not read a 4-byte signature at 54.
Expected: invalid, OVERRUN at offset 54.""")

    vector("invalid-count-too-large", store(C(ROOT, [
        C(VMS, [C(VM, [S(NAME, "vm1")])], count=2),
        S(sig(0, 0x0123, 0x0007), b"\xab\xcd"),
    ])), "BADCOUNT", 44, text="""
The section 9 example with the vms count set to 2: its bytes hold one child.
Expected: invalid, BADCOUNT at offset 44 (the vms container).""")

    vector("invalid-count-too-small", store(C(ROOT, [
        C(VMS, [C(VM, [S(NAME, "vm1")], count=0)]),
        S(sig(0, 0x0123, 0x0007), b"\xab\xcd"),
    ])), "BADCOUNT", 56, text="""
The section 9 example with the vm count set to 0: its bytes hold one child
(the name).
Expected: invalid, BADCOUNT at offset 56 (the vm container).""")

    vector("invalid-zero-size-count", store(C(ROOT, [
        C(VMS, [], count=0xFFFFFFFF, size=0),
        S(NAME, "x"),
    ])), "BADCOUNT", 44, text="""
Root { vms with count 0xffffffff and size 0, name "x" }: a container that
claims children but has no bytes for them (a reader iterating by count alone
would loop on zero-size children).
Expected: invalid, BADCOUNT at offset 44 (the vms container).""")

    vector("invalid-too-deep", store(nested(17)), "TOODEEP", 32 + 16 * 12, text="""
17 containers nested (root, then 0x80007002..0x80007011), the innermost
empty: one level past the maximum of 16.
Expected: invalid, TOODEEP at offset 224 (the 17th container).""")

    vector("invalid-length-overflow", store(C(ROOT, [
        C(VMS, [C(VM, [S(NAME, b"vm1", length=0xFFFFFFFF)])]),
        S(sig(0, 0x0123, 0x0007), b"\xab\xcd"),
    ])), "OVERRUN", 68, text="""
The section 9 example with the vm name's length set to 0xffffffff: offset
plus length overflows 32 bits; a reader must not wrap around.
Expected: invalid, OVERRUN at offset 68.""")

    vector("invalid-size-overflow", store(C(ROOT, [
        C(VMS, [C(VM, [S(NAME, "vm1")])], size=0xFFFFFFF8),
        S(sig(0, 0x0123, 0x0007), b"\xab\xcd"),
    ])), "OVERRUN", 44, text="""
The section 9 example with the vms container's size set to 0xfffffff8 (its
end would wrap around 32 bits to a small offset).
Expected: invalid, OVERRUN at offset 44.""")


def write(outdir, check=False):
    build()
    names = [v[0] for v in VECTORS]
    assert len(set(names)) == len(names)
    files = {}
    manifest = ["# PSF golden vectors, written by scripts/gen-vectors.py: do not edit.",
                "# name verdict errname offset"]
    for name, data, verdict, err, off, text in VECTORS:
        manifest.append("%s %s %s %d" % (name, verdict, err, off))
        files[name + ".bin"] = data
        head = "%s: %s (%d bytes)\n\n" % (name, verdict, len(data))
        files[name + ".txt"] = (head + text + "\n").encode("utf-8")
    files["MANIFEST"] = ("\n".join(manifest) + "\n").encode("utf-8")
    bad = 0
    os.makedirs(outdir, exist_ok=True)
    for fname, data in sorted(files.items()):
        path = os.path.join(outdir, fname)
        if check:
            try:
                same = open(path, "rb").read() == data
            except OSError:
                same = False
            if not same:
                print("gen-vectors: %s differs" % path, file=sys.stderr)
                bad += 1
        else:
            with open(path, "wb") as f:
                f.write(data)
    if not check:
        print("gen-vectors: wrote %d vectors to %s" % (len(VECTORS), outdir))
    return bad


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    outdir = args[0] if args else "tests/vectors"
    return 1 if write(outdir, check) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
