// Package gguf writes and reads GGUF v3 model files, and builds a tiny
// random-weight llama model that a real inference engine (Ollama, llama.cpp)
// can load and serve on a CPU.
//
// The format is written by hand from the public GGUF specification
// (ggml/docs/gguf.md): a little-endian header (magic "GGUF", version 3,
// tensor count, metadata count), typed metadata key/value pairs, a table of
// tensor infos (name, dimensions innermost first as in ggml's ne[], ggml
// type, offset into the data section), padding to general.alignment, then
// the tensor data with every tensor aligned. No Go library in the module
// graph writes GGUF: the converters that do are Python (gguf-py) or live
// inside Ollama's own internal packages, which cannot be imported.
//
// The reader exists so tests can check what the writer produced; it parses
// the header, metadata and tensor table, not tensor data, and reports
// malformed input as a *FormatError carrying the byte offset.
//
// TinyLlama builds the benchmark model. hypobench needs a server nobody here
// wrote, no model can be downloaded in CI, and the OpenAI API that Ollama
// serves has no ignore_eos, so the model is built to be unable to stop:
// every token embedding carries a large constant in one residual dimension
// (the anchor) that no layer reads or writes, and the output matrix's weight
// on the anchor is +1 for printable tokens and -1 for everything else. After
// the final RMSNorm the anchor holds most of the vector's norm, so printable
// tokens out-score EOS by tens of logits and every request returns exactly
// max_tokens tokens. The vocabulary is SentencePiece-style (<unk>, <s>,
// </s>, 256 byte tokens, ▁ and printable ASCII, then unused padding), so one
// prompt character is about one token.
package gguf
