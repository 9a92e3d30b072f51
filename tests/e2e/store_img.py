"""Helpers for e2e scripts that poke a store image by docs/store.md:
CRC-32C and the newest valid slot of the store in MBR partition 4.
Usage from a test: python3 "$E2E_DIR/store_img.py" COMMAND IMAGE OUT [PSF].
put: the newest slot's body becomes the PSF store in file PSF (length and
CRCs as a writer sets them), as a writer outside pstate's gates would."""
import struct
import sys


def crc32c(data, crc=0):
    crc ^= 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 & -(crc & 1))
    return crc ^ 0xffffffff


def newest_slot(img):
    """Byte offset of the newest valid slot header (sector size 512)."""
    part = struct.unpack_from('<I', img, 446 + 3 * 16 + 8)[0] * 512
    n = struct.unpack_from('<I', img, part + 24)[0]
    best = None
    for i in range(n):
        lba = struct.unpack_from('<Q', img, part + 64 + 16 * i)[0]
        h = part + lba * 512
        if img[h:h + 8] != b'\x89psslot\x1a':
            continue
        if crc32c(img[h:h + 60]) != struct.unpack_from('<I', img, h + 60)[0]:
            continue
        gen = struct.unpack_from('<Q', img, h + 16)[0]
        if best is None or gen > best[0]:
            best = (gen, h)
    return best[1]


def main():
    what, src, dst = sys.argv[1:4]
    img = bytearray(open(src, 'rb').read())
    h = newest_slot(img)
    if what == 'header':
        # A header byte under the MAC (the timestamp), CRC recomputed:
        # valid for every reader, not for the key.
        ts = struct.unpack_from('<Q', img, h + 48)[0]
        struct.pack_into('<Q', img, h + 48, ts + 1)
        struct.pack_into('<I', img, h + 60, crc32c(bytes(img[h:h + 60])))
    elif what == 'mac':
        # The auth trailer's last MAC byte (no CRC covers the trailer).
        length = struct.unpack_from('<I', img, h + 24)[0]
        img[h + 512 + length + 63] ^= 1
    elif what == 'put':
        body = open(sys.argv[4], 'rb').read()
        img[h + 512:h + 512 + len(body)] = body
        struct.pack_into('<II', img, h + 24, len(body), crc32c(body))
        struct.pack_into('<I', img, h + 60, crc32c(bytes(img[h:h + 60])))
    else:
        sys.exit('store_img.py: unknown command ' + what)
    open(dst, 'wb').write(img)


if __name__ == '__main__':
    main()
