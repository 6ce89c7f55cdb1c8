// Why this C target exists: libpng's classic (non-simplified) reading API reports errors by
// longjmp, which must never unwind through Swift frames. The simplified png_image_* reader
// cannot return the file's samples unchanged (it premultiplies 16-bit colour by alpha and
// applies gamma conversions), so reading goes through these functions, which own the
// setjmp and turn every libpng error and warning into a message string.
// Not public API: only DeblurIO imports this module.
#ifndef DEBLURKIT_CIMAGESHIMS_H
#define DEBLURKIT_CIMAGESHIMS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The widest PNG read, in pixels. libpng allocates and clears two rows of the header's width
/// before reading any data, so the width alone decides the memory a tiny hostile file costs
/// (16 bytes per pixel of RGBA16: 64 MB here). libpng's own default limit is 1000000.
enum { DK_PNG_MAX_WIDTH = 1 << 22 };

/// An open PNG being read; opaque to Swift.
typedef struct dk_png_reader dk_png_reader;

/// The header of a PNG, after the reader's expansions (palette → RGB(A), 1/2/4-bit → 8-bit,
/// tRNS → alpha). `channels` counts alpha; `file_bit_depth` and `color_type` are the IHDR values.
typedef struct dk_png_header {
    uint32_t width;
    uint32_t height;
    int file_bit_depth;     // 1, 2, 4, 8 or 16 as stored
    int color_type;         // PNG_COLOR_TYPE_* as stored
    int sample_bits;        // 8 or 16 after expansion
    int channels;           // 1…4 after expansion, alpha included
    int has_alpha;          // alpha channel or tRNS chunk present
    int interlaced;
    // An APNG's acTL frame count (0 for a still PNG), and whether its default (IDAT) image is
    // the first of those frames (an fcTL before IDAT) rather than an image of its own.
    uint32_t animation_frames;
    int default_image_is_frame;
} dk_png_header;

/// Opens a PNG file (path) or memory buffer (data/size, when path is NULL) and reads its
/// header. Returns NULL on failure with the reason in `message` (always NUL-terminated).
/// A header of more than `max_pixels` pixels, or wider than DK_PNG_MAX_WIDTH, is returned as
/// read, with `channels` and `sample_bits` 0 and nothing allocated for its rows: the caller
/// refuses it.
dk_png_reader *dk_png_open(const char *path, const void *data, size_t size, uint64_t max_pixels,
                           dk_png_header *header, char *message, size_t message_size);

/// Decodes all rows into `pixels` (height rows of width·channels samples, 8-bit or native-endian
/// 16-bit, interleaved). Returns 1 on success, 0 with the reason in `message`.
int dk_png_read_image(dk_png_reader *reader, void *pixels, size_t row_bytes,
                      char *message, size_t message_size);

/// Decodes the next `count` rows (at most 64) of a non-interlaced image into `pixels`, rows
/// `row_bytes` apart; after the last row, also reads the file's end (checking its CRCs).
/// Returns 1 on success, 0 with the reason in `message`.
int dk_png_read_rows(dk_png_reader *reader, void *pixels, size_t row_bytes, uint32_t count,
                     char *message, size_t message_size);

/// Warnings libpng issued so far ("" when none).
const char *dk_png_warnings(const dk_png_reader *reader);

/// Frees the reader and closes its file.
void dk_png_close(dk_png_reader *reader);

#ifdef __cplusplus
}
#endif
#endif
