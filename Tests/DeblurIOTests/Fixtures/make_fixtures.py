#!/usr/bin/env python3
"""Regenerates the DeblurIO test fixtures (tiny files written by other writers).

Run with the peers interpreter (numpy, Pillow, tifffile):
    /tmp/peers/bin/python Tests/DeblurIOTests/Fixtures/make_fixtures.py
Pixel values follow the formulas below; ImageIOFixtureTests.swift evaluates the same
formulas, so the expected values are not copied by hand anywhere.

    f8(c, y, x)  = (37x + 101y + 53c + 11) mod 256
    f16(c, y, x) = (7919x + 104729y + 15485863c + 12345) mod 65536
    ffloat(p, y, x) = (x − 2y)·0.25 + p

PNG bit depths and colour types Pillow cannot write (2/4-bit gray, 16-bit RGBA, interlaced)
come from the minimal encoder `png()` below (zlib + CRC, filter 0). The files under bad/
are hand-made damaged or unsupported files.
"""
import io, os, struct, zlib
import numpy as np
import tifffile
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def f8(c, y, x): return (37 * x + 101 * y + 53 * c + 11) % 256
def f16(c, y, x): return (7919 * x + 104729 * y + 15485863 * c + 12345) % 65536
def ffloat(p, y, x): return (x - 2 * y) * 0.25 + p


def grid(f, channels, h, w, dtype):
    a = np.zeros((h, w, channels), dtype=dtype)
    for c in range(channels):
        for y in range(h):
            for x in range(w):
                a[y, x, c] = f(c, y, x)
    return a


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, bit_depth, color_type, rows, interlace=0, ihdr_size=None, extra=b""):
    """rows: list of already packed scanlines (bytes, without filter byte); extra: chunks
    placed between IHDR and IDAT."""
    w, h = ihdr_size or (width, height)
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, interlace)
    raw = b"".join(b"\x00" + r for r in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def adam7_png(width, height, pixel):
    """An interlaced 8-bit RGB PNG; pixel(y, x) -> bytes of 3 samples."""
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = b""
    for x0, y0, dx, dy in passes:
        xs, ys = range(x0, width, dx), range(y0, height, dy)
        if not xs or not ys:
            continue
        for y in ys:
            raw += b"\x00" + b"".join(pixel(y, x) for x in xs)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 1)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def pack_bits(values, bits):
    out, acc, n = bytearray(), 0, 0
    for v in values:
        acc = (acc << bits) | v
        n += bits
        if n == 8:
            out.append(acc); acc, n = 0, 0
    if n:
        out.append(acc << (8 - n))
    return bytes(out)


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def main():
    # --- PNG from Pillow -------------------------------------------------------------------
    # Palette 5×4 with a transparent index 0 (tRNS): colours expanded, alpha dropped.
    palette = [((i * 40) % 256, 255 - i * 30, (i * i) % 256) for i in range(6)]
    p = Image.new("P", (5, 4))
    p.putpalette([v for rgb in palette for v in rgb])
    p.putdata([(x + 2 * y) % 6 for y in range(4) for x in range(5)])
    p.save(os.path.join(HERE, "palette.png"), transparency=0)
    # 1-bit gray 11×3 (rows cross a byte boundary).
    one = Image.new("1", (11, 3))
    one.putdata([255 if (3 * x + y) % 5 < 2 else 0 for y in range(3) for x in range(11)])
    one.save(os.path.join(HERE, "gray1.png"))
    # Gray + alpha, 8-bit, 6×5.
    la = np.stack([grid(f8, 1, 5, 6, np.uint8)[..., 0],
                   np.array([[(x * y * 40) % 256 for x in range(6)] for y in range(5)], np.uint8)], axis=-1)
    Image.fromarray(la, "LA").save(os.path.join(HERE, "gray_alpha.png"))
    # 16-bit gray 7×6.
    Image.fromarray(grid(f16, 1, 6, 7, np.uint16)[..., 0]).save(os.path.join(HERE, "gray16.png"))
    # 8-bit RGB 4×3 (Pillow).
    Image.fromarray(grid(f8, 3, 3, 4, np.uint8), "RGB").save(os.path.join(HERE, "rgb8.png"))

    # --- PNG from the minimal encoder -----------------------------------------------------
    write("gray2.png", png(7, 5, 2, 0, [pack_bits([(x + 3 * y) % 4 for x in range(7)], 2) for y in range(5)]))
    write("gray4.png", png(9, 3, 4, 0, [pack_bits([(5 * x + 3 * y) % 16 for x in range(9)], 4) for y in range(3)]))
    # RGBA 16-bit 5×3; alpha includes 0 so a premultiplying reader would lose the colour.
    rows = []
    for y in range(3):
        r = b""
        for x in range(5):
            r += struct.pack(">4H", f16(0, y, x), f16(1, y, x), f16(2, y, x), (x * 20000 + y) % 65536 if x else 0)
        rows.append(r)
    write("rgba16.png", png(5, 3, 16, 6, rows))
    # 1000003×2 gray, wider than libpng's default limit of 1000000 pixels per side.
    write("wide_gray8.png", png(1000003, 2, 8, 0, [bytes(f8(0, y, x) for x in range(1000003)) for y in range(2)]))
    # 16-bit gray 5×3 of 12-bit camera data shifted left by 4, tagged so: sBIT 12 and gAMA 1/2.2.
    # The samples are read as stored (k / 65535), neither shifted back nor gamma-corrected.
    write("gray16_sbit12_gama.png", png(5, 3, 16, 0, [struct.pack(">5H", *(f16(0, y, x) & 0xFFF0 for x in range(5))) for y in range(3)],
                                        extra=chunk(b"sBIT", bytes([12])) + chunk(b"gAMA", struct.pack(">I", 45455))))
    # Adam7-interlaced 8-bit RGB 11×9 (every pass non-empty).
    write("interlaced_rgb8.png", adam7_png(11, 9, lambda y, x: bytes(f8(c, y, x) for c in range(3))))

    # --- TIFF from tifffile ---------------------------------------------------------------
    tifffile.imwrite(os.path.join(HERE, "tiled_rgb16.tif"), grid(f16, 3, 40, 35, np.uint16),
                     photometric="rgb", tile=(16, 16), compression="zlib")
    tifffile.imwrite(os.path.join(HERE, "planar_rgb8.tif"), np.moveaxis(grid(f8, 3, 9, 13, np.uint8), -1, 0),
                     photometric="rgb", planarconfig="separate", rowsperstrip=4)
    tifffile.imwrite(os.path.join(HERE, "multipage_float.tif"),
                     np.stack([grid(lambda c, y, x: ffloat(p, y, x), 1, 5, 6, np.float32)[..., 0] for p in range(3)]),
                     photometric="minisblack")
    tifffile.imwrite(os.path.join(HERE, "float_gray_be.tif"), grid(lambda c, y, x: ffloat(0, y, x), 1, 4, 7, np.float32)[..., 0],
                     photometric="minisblack", byteorder=">")
    # NumPy's and scikit-image's floats are 64-bit (here zlib-compressed);
    # half floats big-endian, with a subnormal, the largest half, -inf and NaN.
    tifffile.imwrite(os.path.join(HERE, "float64_rgb.tif"), grid(f8, 3, 5, 6, np.float64) / 255,
                     photometric="rgb", compression="zlib")
    tifffile.imwrite(os.path.join(HERE, "float16_gray_be.tif"),
                     np.array([[0, 2.0 ** -24, 3 * 2.0 ** -24, 1 / 3, -2.5, 65504, -np.inf, np.nan]], dtype=np.float16),
                     photometric="minisblack", byteorder=">")
    tifffile.imwrite(os.path.join(HERE, "rgba8.tif"), np.concatenate(
        [grid(f8, 3, 6, 4, np.uint8), np.full((6, 4, 1), 7, np.uint8)], axis=-1),
        photometric="rgb", extrasamples=["unassalpha"])
    tifffile.imwrite(os.path.join(HERE, "bigtiff_gray8.tif"), grid(f8, 1, 7, 6, np.uint8)[..., 0],
                     photometric="minisblack", bigtiff=True)
    tifffile.imwrite(os.path.join(HERE, "miniswhite8.tif"), grid(f8, 1, 3, 5, np.uint8)[..., 0], photometric="miniswhite")
    tifffile.imwrite(os.path.join(HERE, "gray16_be.tif"), grid(f16, 1, 4, 5, np.uint16)[..., 0],
                     photometric="minisblack", byteorder=">")

    # --- unsupported or damaged -----------------------------------------------------------
    tifffile.imwrite(os.path.join(HERE, "bad/int32.tif"), np.arange(12, dtype=np.int32).reshape(3, 4), photometric="minisblack")
    tifffile.imwrite(os.path.join(HERE, "bad/int16.tif"), np.arange(12, dtype=np.int16).reshape(3, 4), photometric="minisblack")
    good = png(4, 3, 8, 0, [bytes(range(y * 4, y * 4 + 4)) for y in range(3)])
    write("bad/empty.png", b"")
    write("bad/truncated.png", good[: len(good) - 30])
    write("bad/wrong_magic.png", b"GIF89a" + good[6:])
    idat = good.index(b"IDAT")
    length = struct.unpack(">I", good[idat - 4: idat])[0]
    crc = bytearray(good); crc[idat + 4 + length] ^= 0x5A    # the IDAT chunk's stored CRC
    write("bad/bad_crc.png", bytes(crc))
    data = bytearray(good); data[idat + 6] ^= 0x5A           # one byte of the compressed data, CRC unchanged
    write("bad/bad_deflate.png", bytes(data))
    write("bad/zero_width.png", png(4, 3, 8, 0, [b"\0" * 4] * 3, ihdr_size=(0, 3)))
    write("bad/huge.png", png(4, 3, 8, 0, [b"\0" * 4] * 3, ihdr_size=(100000, 100000)))
    write("bad/huge_wide.png", png(4, 3, 8, 0, [b"\0" * 4] * 3, ihdr_size=(2147483647, 1)))
    write("bad/too_wide.png", png(4, 3, 16, 6, [b"\0" * 32] * 3, ihdr_size=(4194305, 1)))
    write("bad/huge.tif", tiff_header(100000, 100000, strip_offset=8))
    write("bad/zero_height.tif", tiff_header(4, 0, strip_offset=8))
    write("bad/bogus_offsets.tif", tiff_header(4, 3, strip_offset=0x7FFFFFF0))
    write("bad/truncated.tif", tifffile_bytes(np.arange(4096, dtype=np.uint16).reshape(64, 64))[:600])
    # Valid files in schemes the system libtiff lacks: JPEG 2000 (Leadtools' code, and Aperio's
    # for slide scans), JPEG XL. Only the header matters: the data is never decoded.
    write("bad/jpeg2000.tif", tiff_header(4, 3, strip_offset=8, compression=34712))
    write("bad/aperio_jpeg2000.tif", tiff_header(4, 3, strip_offset=8, compression=33005))
    write("bad/jpegxl.tif", tiff_header(4, 3, strip_offset=8, compression=50002))
    # Damaged data libtiff decodes with only a warning. PackBits: one run of 128 bytes for a
    # strip of 12 ("Discarding 116 bytes to avoid buffer overrun"). JPEG (Pillow's JPEG-in-TIFF,
    # 16×16 RGB): the end marker written halfway through the strip's data, zeros after it
    # ("Corrupt JPEG data: premature end of data segment"; libjpeg fills the rest with gray);
    # or the second half zeroed, end marker kept ("125 extraneous bytes before marker 0xd9":
    # the zeros decode as data, and 192 of the 256 pixels come out wrong, by up to 179 levels).
    write("bad/packbits_overrun.tif", tiff_header(4, 3, strip_offset=8, compression=32773, data=b"\x81\x10"))
    buffer = io.BytesIO()
    Image.fromarray(grid(f8, 3, 16, 16, np.uint8), "RGB").save(buffer, format="TIFF", compression="jpeg", quality=90)
    jpeg = bytearray(buffer.getvalue())
    with tifffile.TiffFile(io.BytesIO(bytes(jpeg))) as tif:
        offset, count = tif.pages[0].dataoffsets[0], tif.pages[0].databytecounts[0]
    zeroed = bytearray(jpeg)
    jpeg[offset + count // 2: offset + count] = b"\xff\xd9" + bytes(count - 2 - count // 2)
    write("bad/jpeg_damaged.tif", bytes(jpeg))
    zeroed[offset + count // 2: offset + count - 2] = bytes(count - 2 - count // 2)
    write("bad/jpeg_zeroed.tif", bytes(zeroed))


def tiff_header(width, height, strip_offset, compression=1, data=bytes(range(12))):
    """A little-endian 8-bit gray TIFF with one strip at `strip_offset`: width·height bytes
    (uncompressed), or the `data` bytes at offset 8 as they are (compressed)."""
    count = width * height % (1 << 32) if compression == 1 else len(data)
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, compression), (262, 3, 1, 1),
               (273, 4, 1, strip_offset), (277, 3, 1, 1), (278, 4, 1, max(height, 1)), (279, 4, 1, count)]
    ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries) + struct.pack("<I", 0)
    body = b"II*\0" + struct.pack("<I", 8 + len(data))   # the pixel data, then the IFD
    return body + data + ifd


def tifffile_bytes(array):
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, array, photometric="minisblack")
    return buffer.getvalue()


if __name__ == "__main__":
    main()
