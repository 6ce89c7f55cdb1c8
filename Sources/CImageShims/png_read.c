// Reading PNG through libpng's classic API with its longjmp error handling contained in C.
// See include/CImageShims.h for why this shim exists.
#include "CImageShims.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

struct dk_png_reader {
    png_structp png;
    png_infop info;
    FILE *file;
    const unsigned char *data;   // memory source, when file is NULL
    size_t size;
    size_t offset;
    dk_png_header header;
    uint32_t rows_read;
    char error[512];
    char warnings[512];
};

static void append(char *buffer, size_t capacity, const char *text) {
    size_t used = strlen(buffer);
    if (used + 3 >= capacity) return;
    if (used > 0) { strcat(buffer, "; "); used += 2; }
    strncat(buffer, text, capacity - used - 1);
}

static void on_error(png_structp png, png_const_charp text) {
    dk_png_reader *reader = (dk_png_reader *)png_get_error_ptr(png);
    append(reader->error, sizeof reader->error, text);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp text) {
    dk_png_reader *reader = (dk_png_reader *)png_get_error_ptr(png);
    append(reader->warnings, sizeof reader->warnings, text);
}

// One read function for files and memory, so a short read says what happened.
static void read_data(png_structp png, png_bytep out, size_t count) {
    dk_png_reader *reader = (dk_png_reader *)png_get_io_ptr(png);
    if (reader->file) {
        if (fread(out, 1, count, reader->file) != count)
            png_error(png, ferror(reader->file) ? "read error" : "unexpected end of file (truncated file)");
        return;
    }
    if (count > reader->size - reader->offset) png_error(png, "unexpected end of data (truncated file)");
    memcpy(out, reader->data + reader->offset, count);
    reader->offset += count;
}

static void copy_message(const dk_png_reader *reader, char *message, size_t message_size) {
    if (message == NULL || message_size == 0) return;
    const char *text = reader->error[0] ? reader->error : "libpng failed without a message";
    // Warnings often carry the detail ("Image width is zero in IHDR" before "Invalid IHDR data").
    if (reader->warnings[0]) snprintf(message, message_size, "%s (%s)", text, reader->warnings);
    else snprintf(message, message_size, "%s", text);
}

static void destroy(dk_png_reader *reader) {
    png_destroy_read_struct(&reader->png, &reader->info, NULL);
    if (reader->file) fclose(reader->file);
    free(reader);
}

dk_png_reader *dk_png_open(const char *path, const void *data, size_t size, uint64_t max_pixels,
                           dk_png_header *header, char *message, size_t message_size) {
    if (message && message_size) message[0] = 0;
    dk_png_reader *reader = calloc(1, sizeof *reader);
    if (reader == NULL) { snprintf(message, message_size, "out of memory"); return NULL; }
    if (path) {
        reader->file = fopen(path, "rb");
        if (reader->file == NULL) { snprintf(message, message_size, "%s", strerror(errno)); free(reader); return NULL; }
    } else {
        reader->data = data; reader->size = size;
    }
    unsigned char signature[8];
    size_t got = reader->file ? fread(signature, 1, 8, reader->file)
                              : (size >= 8 ? (memcpy(signature, data, 8), 8) : size);
    if (got < 8 || png_sig_cmp(signature, 0, 8) != 0) {
        snprintf(message, message_size, got == 0 ? "empty file" : "not a PNG file (wrong signature)");
        if (reader->file) fclose(reader->file);
        free(reader);
        return NULL;
    }
    reader->offset = 8;
    reader->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, reader, on_error, on_warning);
    if (reader->png) reader->info = png_create_info_struct(reader->png);
    if (reader->png == NULL || reader->info == NULL) {
        snprintf(message, message_size, "libpng could not allocate its reader");
        destroy(reader);
        return NULL;
    }
    if (setjmp(png_jmpbuf(reader->png))) {
        copy_message(reader, message, message_size);
        destroy(reader);
        return NULL;
    }
    png_set_read_fn(reader->png, reader, read_data);
    png_set_sig_bytes(reader->png, 8);
    // libpng's default limit of 1000000 pixels per side would call a valid 2000000 × 100 image
    // corrupt; the checks below, before any row buffer exists, decide instead.
    png_set_user_limits(reader->png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    // libpng ignores APNG's chunks; keeping the two that precede IDAT tells an animation's frame
    // count, which the reader reports (only the default image is decoded).
    static const png_byte animation_chunks[] = "acTL\0fcTL\0";
    png_set_keep_unknown_chunks(reader->png, PNG_HANDLE_CHUNK_ALWAYS, animation_chunks, 2);
    png_read_info(reader->png, reader->info);

    dk_png_header h;
    memset(&h, 0, sizeof h);
    h.width = png_get_image_width(reader->png, reader->info);
    h.height = png_get_image_height(reader->png, reader->info);
    h.file_bit_depth = png_get_bit_depth(reader->png, reader->info);
    h.color_type = png_get_color_type(reader->png, reader->info);
    h.interlaced = png_get_interlace_type(reader->png, reader->info) != PNG_INTERLACE_NONE;
    int has_trns = png_get_valid(reader->png, reader->info, PNG_INFO_tRNS) != 0;
    h.has_alpha = (h.color_type & PNG_COLOR_MASK_ALPHA) != 0 || has_trns;
    png_unknown_chunkp chunks = NULL;
    int chunk_count = png_get_unknown_chunks(reader->png, reader->info, &chunks);
    for (int i = 0; i < chunk_count; i++) {
        if (memcmp(chunks[i].name, "acTL", 4) == 0 && chunks[i].size >= 8) {
            const png_byte *d = chunks[i].data;
            h.animation_frames = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
        } else if (memcmp(chunks[i].name, "fcTL", 4) == 0) {
            h.default_image_is_frame = 1;
        }
    }
    if ((uint64_t)h.width * h.height > max_pixels || h.width > DK_PNG_MAX_WIDTH) {
        // png_read_update_info would allocate (and clear) a row of the claimed width.
        reader->header = h;
        *header = h;
        return reader;
    }

    // Samples come out unchanged apart from these expansions; no gamma or colour-space
    // transforms are requested, so file values map linearly to [0, 1] (Docs/FileFormats.md).
    if (h.color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(reader->png);
    if (h.color_type == PNG_COLOR_TYPE_GRAY && h.file_bit_depth < 8) png_set_expand_gray_1_2_4_to_8(reader->png);
    if (has_trns) png_set_tRNS_to_alpha(reader->png);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (h.file_bit_depth == 16) png_set_swap(reader->png);
#endif
    if (h.interlaced) png_set_interlace_handling(reader->png);
    png_read_update_info(reader->png, reader->info);
    h.sample_bits = png_get_bit_depth(reader->png, reader->info);
    h.channels = png_get_channels(reader->png, reader->info);
    reader->header = h;
    *header = h;
    return reader;
}

int dk_png_read_image(dk_png_reader *reader, void *pixels, size_t row_bytes,
                      char *message, size_t message_size) {
    if (message && message_size) message[0] = 0;
    png_uint_32 height = reader->header.height;
    // Allocated before setjmp so a longjmp cannot leak it.
    png_bytep *rows = malloc(sizeof(png_bytep) * (height ? height : 1));
    if (rows == NULL) { snprintf(message, message_size, "out of memory"); return 0; }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = (png_bytep)pixels + (size_t)y * row_bytes;
    if (setjmp(png_jmpbuf(reader->png))) {
        copy_message(reader, message, message_size);
        free(rows);
        return 0;
    }
    if (png_get_rowbytes(reader->png, reader->info) > row_bytes) {
        free(rows);
        snprintf(message, message_size, "row buffer too small");
        return 0;
    }
    png_read_image(reader->png, rows);
    png_read_end(reader->png, NULL);
    free(rows);
    return 1;
}

int dk_png_read_rows(dk_png_reader *reader, void *pixels, size_t row_bytes, uint32_t count,
                     char *message, size_t message_size) {
    if (message && message_size) message[0] = 0;
    png_bytep rows[64];
    if (count > 64 || reader->header.interlaced || count > reader->header.height - reader->rows_read ||
        png_get_rowbytes(reader->png, reader->info) > row_bytes) {
        snprintf(message, message_size, "invalid row request");
        return 0;
    }
    for (uint32_t y = 0; y < count; y++) rows[y] = (png_bytep)pixels + (size_t)y * row_bytes;
    if (setjmp(png_jmpbuf(reader->png))) {
        copy_message(reader, message, message_size);
        return 0;
    }
    png_read_rows(reader->png, rows, NULL, count);
    reader->rows_read += count;
    if (reader->rows_read == reader->header.height) png_read_end(reader->png, NULL);
    return 1;
}

const char *dk_png_warnings(const dk_png_reader *reader) { return reader->warnings; }

void dk_png_close(dk_png_reader *reader) {
    if (reader) destroy(reader);
}
