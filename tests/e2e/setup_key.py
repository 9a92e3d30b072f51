#!/usr/bin/env python3
"""setup_key.py - change the store of a key image made by `psctl init`
(MBR partition 4) the way the BIOS setup tests need (docs/store.md layout).

  setup_key.py damage IMG       overwrite every slot (superblocks stay):
                                no slot is valid
  setup_key.py newer IMG        both superblock copies say version 2 (a
                                newer major layout), their CRCs fixed
  setup_key.py put IMG PSF      slot 0 (a fresh store, generation 1) holds
                                the PSF file's bytes, its header fixed
  setup_key.py semblob OUT ADDR OUT: a semaphore marker (docs/semaphore.md
                                2) pointing at ADDR; OUT.sem: a free
                                semaphore structure (section 3) for ADDR
  setup_key.py newest IMG       print the newest valid slot's generation,
                                owner and token
"""
import struct
import sys

# One CRC-32C for the e2e scripts (this file's directory is on sys.path).
from store_img import crc32c


def partition(f):
    """First sector and sector count of MBR entry 4."""
    f.seek(446 + 3 * 16 + 8)
    return struct.unpack('<II', f.read(8))


def rewrite(f, at, fix):
    """Read 512 bytes at byte at, let fix change them, write them back."""
    f.seek(at)
    b = bytearray(f.read(512))
    fix(b)
    f.seek(at)
    f.write(b)


def semblob(out, addr):
    mk = bytearray(32)
    mk[0:8] = b'_PS_SEM_'
    mk[8], mk[9] = 32, 1
    struct.pack_into('<IQI', mk, 12, 192, addr, 0)
    mk[10] = (0x100 - sum(mk)) & 0xff
    sem = bytearray(192)
    sem[0:4] = b'PSSM'
    sem[4], sem[5] = 1, 8
    struct.pack_into('<H', sem, 6, 192)
    open(out, 'wb').write(mk)
    open(out + '.sem', 'wb').write(sem)


def newest(f):
    start, _ = partition(f)
    f.seek(start * 512)
    sb = f.read(512)
    best = None
    for i in range(struct.unpack_from('<I', sb, 24)[0]):
        f.seek((start + struct.unpack_from('<Q', sb, 64 + 16 * i)[0]) * 512)
        h = f.read(64)
        if h[:8] != b'\x89psslot\x1a' or \
                crc32c(h[:60]) != struct.unpack_from('<I', h, 60)[0]:
            continue
        gen, token, owner = struct.unpack_from('<Q', h, 16)[0], \
            struct.unpack_from('<Q', h, 32)[0], h[40]
        if best is None or gen > best[0]:
            best = (gen, owner, token)
    print('generation %d owner %d token %d' % best)


def main():
    what, img = sys.argv[1], sys.argv[2]
    if what == 'semblob':
        return semblob(img, int(sys.argv[3], 0))
    f = open(img, 'r+b')
    start, size = partition(f)
    if what == 'newest':
        newest(f)
    elif what == 'damage':
        f.seek(start * 512 + 512)
        f.write(b'\x5a' * (size * 512 - 1024))
    elif what == 'newer':
        def v2(sb):
            struct.pack_into('<I', sb, 8, 2)
            struct.pack_into('<I', sb, 508, crc32c(bytes(sb[:508])))
        for lba in (start, start + size - 1):
            rewrite(f, lba * 512, v2)
    elif what == 'put':
        body = open(sys.argv[3], 'rb').read()
        f.seek(start * 512)
        lba = struct.unpack_from('<Q', f.read(512), 64)[0]

        def hdr(h):
            struct.pack_into('<II', h, 24, len(body), crc32c(body))
            struct.pack_into('<I', h, 60, crc32c(bytes(h[:60])))
        rewrite(f, (start + lba) * 512, hdr)
        f.seek((start + lba + 1) * 512)
        f.write(body)
    else:
        sys.exit('usage: setup_key.py damage|newer|put|newest IMG [PSF] | semblob OUT ADDR')


if __name__ == '__main__':
    main()
