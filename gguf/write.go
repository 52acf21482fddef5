package gguf

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

// KV is one metadata pair. Value is one of uint8, int8, uint16, int16,
// uint32, int32, float32, bool, string, uint64, int64, float64, or a slice
// of one of those (a GGUF array).
type KV struct {
	Key   string
	Value any
}

// Tensor is one named tensor. Dims lists the dimensions innermost first,
// as ggml's ne[]: a matrix applied to a vector of length K giving a vector
// of length N has Dims {K, N} and Data holding N rows of K elements.
type Tensor struct {
	Name string
	Dims []uint64
	Type GGMLType
	Data []byte
}

// Elems returns the number of elements of t.
func (t *Tensor) Elems() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// File is a GGUF file in memory: metadata in order, then tensors in order.
type File struct {
	KV      []KV
	Tensors []Tensor
}

// Get returns the value of key, and whether it is present.
func (f *File) Get(key string) (any, bool) {
	for _, kv := range f.KV {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}

// Tensor returns the tensor called name, or nil.
func (f *File) Tensor(name string) *Tensor {
	for i := range f.Tensors {
		if f.Tensors[i].Name == name {
			return &f.Tensors[i]
		}
	}
	return nil
}

// Alignment returns general.alignment, or DefaultAlignment when absent.
func (f *File) Alignment() (uint64, error) {
	v, ok := f.Get("general.alignment")
	if !ok {
		return DefaultAlignment, nil
	}
	a, ok := v.(uint32)
	if !ok || a == 0 || a&(a-1) != 0 {
		return 0, fmt.Errorf("gguf: general.alignment must be a uint32 power of two, got %T %v", v, v)
	}
	return uint64(a), nil
}

// countingWriter counts bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// encoder writes little-endian GGUF primitives and keeps the first error.
type encoder struct {
	w   *bufio.Writer
	err error
	buf [8]byte
}

func (e *encoder) bytes(p []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(p)
	}
}

func (e *encoder) u8(v uint8)   { e.bytes([]byte{v}) }
func (e *encoder) u16(v uint16) { binary.LittleEndian.PutUint16(e.buf[:], v); e.bytes(e.buf[:2]) }
func (e *encoder) u32(v uint32) { binary.LittleEndian.PutUint32(e.buf[:], v); e.bytes(e.buf[:4]) }
func (e *encoder) u64(v uint64) { binary.LittleEndian.PutUint64(e.buf[:], v); e.bytes(e.buf[:8]) }
func (e *encoder) str(s string) { e.u64(uint64(len(s))); e.bytes([]byte(s)) }

// scalar writes v without a type tag and returns its type.
func (e *encoder) scalar(v any) (ValueType, bool) {
	switch x := v.(type) {
	case uint8:
		e.u8(x)
		return TypeUint8, true
	case int8:
		e.u8(uint8(x))
		return TypeInt8, true
	case uint16:
		e.u16(x)
		return TypeUint16, true
	case int16:
		e.u16(uint16(x))
		return TypeInt16, true
	case uint32:
		e.u32(x)
		return TypeUint32, true
	case int32:
		e.u32(uint32(x))
		return TypeInt32, true
	case float32:
		e.u32(math.Float32bits(x))
		return TypeFloat32, true
	case bool:
		var b uint8
		if x {
			b = 1
		}
		e.u8(b)
		return TypeBool, true
	case string:
		e.str(x)
		return TypeString, true
	case uint64:
		e.u64(x)
		return TypeUint64, true
	case int64:
		e.u64(uint64(x))
		return TypeInt64, true
	case float64:
		e.u64(math.Float64bits(x))
		return TypeFloat64, true
	}
	return 0, false
}

// typeOf returns the GGUF type of a scalar value.
func typeOf(v any) (ValueType, bool) {
	switch v.(type) {
	case uint8:
		return TypeUint8, true
	case int8:
		return TypeInt8, true
	case uint16:
		return TypeUint16, true
	case int16:
		return TypeInt16, true
	case uint32:
		return TypeUint32, true
	case int32:
		return TypeInt32, true
	case float32:
		return TypeFloat32, true
	case bool:
		return TypeBool, true
	case string:
		return TypeString, true
	case uint64:
		return TypeUint64, true
	case int64:
		return TypeInt64, true
	case float64:
		return TypeFloat64, true
	}
	return 0, false
}

// array writes a typed array, tag included.
func array[T any](e *encoder, xs []T) {
	var zero T
	t, _ := typeOf(any(zero))
	e.u32(uint32(TypeArray))
	e.u32(uint32(t))
	e.u64(uint64(len(xs)))
	for _, x := range xs {
		e.scalar(any(x))
	}
}

// value writes a tagged metadata value.
func (e *encoder) value(v any) error {
	switch x := v.(type) {
	case []uint8:
		array(e, x)
	case []int8:
		array(e, x)
	case []uint16:
		array(e, x)
	case []int16:
		array(e, x)
	case []uint32:
		array(e, x)
	case []int32:
		array(e, x)
	case []float32:
		array(e, x)
	case []bool:
		array(e, x)
	case []string:
		array(e, x)
	case []uint64:
		array(e, x)
	case []int64:
		array(e, x)
	case []float64:
		array(e, x)
	default:
		t, ok := typeOf(v)
		if !ok {
			return fmt.Errorf("unsupported metadata value type %T", v)
		}
		e.u32(uint32(t))
		e.scalar(v)
	}
	return nil
}

// validate checks the tensor table before anything is written.
func (f *File) validate() error {
	seen := make(map[string]bool, len(f.Tensors))
	for i := range f.Tensors {
		t := &f.Tensors[i]
		if seen[t.Name] {
			return fmt.Errorf("gguf: duplicate tensor %q", t.Name)
		}
		seen[t.Name] = true
		if len(t.Dims) == 0 || len(t.Dims) > maxDims {
			return fmt.Errorf("gguf: tensor %q has %d dims, want 1..%d", t.Name, len(t.Dims), maxDims)
		}
		es := t.Type.ElemSize()
		if es == 0 {
			return fmt.Errorf("gguf: tensor %q has unsupported type %v", t.Name, t.Type)
		}
		if want := t.Elems() * uint64(es); uint64(len(t.Data)) != want {
			return fmt.Errorf("gguf: tensor %q %v%v has %d data bytes, want %d", t.Name, t.Type, t.Dims, len(t.Data), want)
		}
	}
	keys := make(map[string]bool, len(f.KV))
	for _, kv := range f.KV {
		if keys[kv.Key] {
			return fmt.Errorf("gguf: duplicate metadata key %q", kv.Key)
		}
		keys[kv.Key] = true
	}
	return nil
}

// WriteTo writes f in GGUF v3 format. It implements io.WriterTo.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	if err := f.validate(); err != nil {
		return 0, err
	}
	align, err := f.Alignment()
	if err != nil {
		return 0, err
	}
	cw := &countingWriter{w: w}
	e := &encoder{w: bufio.NewWriterSize(cw, 1<<20)}
	e.u32(Magic)
	e.u32(Version)
	e.u64(uint64(len(f.Tensors)))
	e.u64(uint64(len(f.KV)))
	for _, kv := range f.KV {
		e.str(kv.Key)
		if err := e.value(kv.Value); err != nil {
			return cw.n, fmt.Errorf("gguf: writing metadata %q: %w", kv.Key, err)
		}
	}
	var off uint64
	for i := range f.Tensors {
		t := &f.Tensors[i]
		e.str(t.Name)
		e.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			e.u64(d)
		}
		e.u32(uint32(t.Type))
		e.u64(off)
		off = alignUp(off+uint64(len(t.Data)), align)
	}
	pad := func() {
		if e.err == nil {
			e.err = e.w.Flush()
		}
		if n := alignUp(uint64(cw.n), align) - uint64(cw.n); n > 0 {
			e.bytes(make([]byte, n))
		}
	}
	pad()
	for i := range f.Tensors {
		e.bytes(f.Tensors[i].Data)
		pad()
	}
	if e.err == nil {
		e.err = e.w.Flush()
	}
	if e.err != nil {
		return cw.n, fmt.Errorf("gguf: writing file: %w", e.err)
	}
	return cw.n, nil
}

// WriteFile writes f to path atomically: into a temporary file in the same
// directory, renamed over path once complete.
func WriteFile(ctx context.Context, path string, f *File) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("gguf: creating %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("gguf: creating %s: %w", path, err)
	}
	if _, err := f.WriteTo(tmp); err != nil {
		return fmt.Errorf("gguf: writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("gguf: closing %s: %w", path, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("gguf: renaming into %s: %w", path, err)
	}
	return nil
}
