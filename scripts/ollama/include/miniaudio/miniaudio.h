/*
 * miniaudio.h - stand-in for the single-header audio library that Ollama's
 * vendored llama.cpp (tools/mtmd/mtmd-helper.cpp) includes for decoding audio
 * inputs of multimodal models.
 *
 * Go module zips drop vendor/ directories, so `go install
 * github.com/ollama/ollama@v0.17.4` cannot find the real header, and Debian 12
 * does not package it. hypobench only serves text models, which never reach
 * the audio path, so this header declares exactly the names mtmd-helper.cpp
 * references (found by grepping the module source) and makes every call fail
 * with MA_ERROR: an audio input is reported as undecodable instead of being
 * silently accepted.
 */
#ifndef HYPOBENCH_MINIAUDIO_STUB_H
#define HYPOBENCH_MINIAUDIO_STUB_H

#include <stddef.h>

typedef unsigned long long ma_uint64;
typedef unsigned int ma_uint32;
typedef int ma_result;

#define MA_SUCCESS 0
#define MA_ERROR (-1)

typedef enum { ma_format_unknown = 0, ma_format_f32 = 5 } ma_format;

typedef struct {
    ma_format format;
    ma_uint32 channels;
    ma_uint32 sampleRate;
} ma_decoder_config;

typedef struct {
    int unused;
} ma_decoder;

static inline ma_decoder_config ma_decoder_config_init(ma_format format, ma_uint32 channels, ma_uint32 sampleRate) {
    ma_decoder_config c;
    c.format = format;
    c.channels = channels;
    c.sampleRate = sampleRate;
    return c;
}

static inline ma_result ma_decoder_init_memory(const void *data, size_t size, const ma_decoder_config *config, ma_decoder *decoder) {
    (void)data; (void)size; (void)config; (void)decoder;
    return MA_ERROR;
}

static inline ma_result ma_decoder_get_length_in_pcm_frames(ma_decoder *decoder, ma_uint64 *length) {
    (void)decoder;
    if (length) *length = 0;
    return MA_ERROR;
}

static inline ma_result ma_decoder_read_pcm_frames(ma_decoder *decoder, void *out, ma_uint64 frameCount, ma_uint64 *framesRead) {
    (void)decoder; (void)out; (void)frameCount;
    if (framesRead) *framesRead = 0;
    return MA_ERROR;
}

static inline ma_result ma_decoder_uninit(ma_decoder *decoder) {
    (void)decoder;
    return MA_ERROR;
}

#endif /* HYPOBENCH_MINIAUDIO_STUB_H */
