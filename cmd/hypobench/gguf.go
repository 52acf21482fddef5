package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/hypobench/hypobench/gguf"
)

func init() {
	register("gguf", "write a tiny random-weight llama GGUF model that never emits EOS", ggufCmd)
}

// ggufCmd implements `hypobench gguf`: it builds gguf.TinyLlama with the
// given sizes and writes it to --out.
func ggufCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gguf", flag.ContinueOnError)
	fs.SetOutput(stderr)
	d := gguf.DefaultTinyLlama
	o := d
	fs.IntVar(&o.Layers, "layers", d.Layers, "transformer blocks")
	fs.IntVar(&o.Hidden, "hidden", d.Hidden, "embedding length")
	fs.IntVar(&o.FFN, "ffn", d.FFN, "feed-forward length")
	fs.IntVar(&o.Vocab, "vocab", d.Vocab, fmt.Sprintf("vocabulary size (>= %d)", gguf.MinVocab))
	fs.IntVar(&o.Heads, "heads", 0, "attention heads (default hidden/64)")
	fs.IntVar(&o.KVHeads, "kv-heads", 0, "key/value heads (default heads)")
	fs.IntVar(&o.CtxLen, "ctx", d.CtxLen, "llama.context_length")
	fs.Uint64Var(&o.Seed, "seed", d.Seed, "seed of the weights")
	fs.StringVar(&o.Name, "name", d.Name, "general.name")
	out := fs.String("out", "model.gguf", "output file")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return &ExitError{Code: 2, Msg: fmt.Sprintf("gguf: unexpected arguments %q", fs.Args())}
	}
	f, err := gguf.TinyLlama(o)
	if err != nil {
		return &ExitError{Code: 2, Msg: err.Error()}
	}
	if err := gguf.WriteFile(ctx, *out, f); err != nil {
		return err
	}
	var params uint64
	for i := range f.Tensors {
		params += f.Tensors[i].Elems()
	}
	fmt.Fprintf(stdout, "wrote %s: %d tensors, %.1fM parameters\n", *out, len(f.Tensors), float64(params)/1e6)
	return nil
}
