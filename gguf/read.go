package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Limits the reader enforces so corrupt input cannot make it allocate
// without bound; real files stay far below them.
const (
	maxDims      = 4       // GGML_MAX_DIMS
	maxStringLen = 1 << 24 // bytes in one string
	maxArrayLen  = 1 << 24 // elements in one array
	maxCount     = 1 << 24 // tensors or metadata pairs
)

// ErrTruncated is wrapped by a FormatError when the input ends early.
var ErrTruncated = errors.New("unexpected end of input")

// FormatError reports malformed GGUF input at a byte offset.
type FormatError struct {
	Offset int64  // byte offset where the offending item starts
	What   string // what was being read
	Err    error
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("gguf: offset %d: reading %s: %v", e.Offset, e.What, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

// TensorInfo is one entry of the tensor table. Offset is relative to the
// start of the data section.
type TensorInfo struct {
	Name   string
	Dims   []uint64
	Type   GGMLType
	Offset uint64
}

// Header is everything before the tensor data.
type Header struct {
	Version    uint32
	KV         []KV
	Tensors    []TensorInfo
	Alignment  uint64
	DataOffset uint64 // absolute offset of the data section
}

// Get returns the value of key, and whether it is present.
func (h *Header) Get(key string) (any, bool) {
	for _, kv := range h.KV {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}

// decoder reads little-endian primitives and tracks the offset.
type decoder struct {
	r   *bufio.Reader
	off int64
	buf [8]byte
}

func (d *decoder) fail(at int64, what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = ErrTruncated
	}
	return &FormatError{Offset: at, What: what, Err: err}
}

func (d *decoder) read(n int, what string) ([]byte, error) {
	at := d.off
	if _, err := io.ReadFull(d.r, d.buf[:n]); err != nil {
		return nil, d.fail(at, what, err)
	}
	d.off += int64(n)
	return d.buf[:n], nil
}

func (d *decoder) u32(what string) (uint32, error) {
	b, err := d.read(4, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (d *decoder) u64(what string) (uint64, error) {
	b, err := d.read(8, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (d *decoder) str(what string) (string, error) {
	at := d.off
	n, err := d.u64(what + " length")
	if err != nil {
		return "", err
	}
	if n > maxStringLen {
		return "", d.fail(at, what, fmt.Errorf("length %d exceeds %d", n, maxStringLen))
	}
	// Read in chunks so a lying length cannot allocate more than the input.
	var out []byte
	for rem := int(n); rem > 0; {
		k := min(rem, 4096)
		chunk := make([]byte, k)
		if _, err := io.ReadFull(d.r, chunk); err != nil {
			return "", d.fail(at, what, err)
		}
		out = append(out, chunk...)
		rem -= k
	}
	d.off += int64(n)
	return string(out), nil
}

// scalar reads one untagged value of type t.
func (d *decoder) scalar(t ValueType, what string) (any, error) {
	if t == TypeString {
		return d.str(what)
	}
	n := t.size()
	if n == 0 {
		return nil, d.fail(d.off, what, fmt.Errorf("unknown value type %d", uint32(t)))
	}
	at := d.off
	b, err := d.read(n, what)
	if err != nil {
		return nil, err
	}
	switch t {
	case TypeUint8:
		return b[0], nil
	case TypeInt8:
		return int8(b[0]), nil
	case TypeBool:
		if b[0] > 1 {
			return nil, d.fail(at, what, fmt.Errorf("bool byte %d", b[0]))
		}
		return b[0] == 1, nil
	case TypeUint16:
		return binary.LittleEndian.Uint16(b), nil
	case TypeInt16:
		return int16(binary.LittleEndian.Uint16(b)), nil
	case TypeUint32:
		return binary.LittleEndian.Uint32(b), nil
	case TypeInt32:
		return int32(binary.LittleEndian.Uint32(b)), nil
	case TypeFloat32:
		return math.Float32frombits(binary.LittleEndian.Uint32(b)), nil
	case TypeUint64:
		return binary.LittleEndian.Uint64(b), nil
	case TypeInt64:
		return int64(binary.LittleEndian.Uint64(b)), nil
	default: // TypeFloat64
		return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
	}
}

// readArray reads n elements of type T.
func readArray[T any](d *decoder, t ValueType, n uint64, what string) ([]T, error) {
	var out []T
	for i := uint64(0); i < n; i++ {
		v, err := d.scalar(t, fmt.Sprintf("%s[%d]", what, i))
		if err != nil {
			return nil, err
		}
		out = append(out, v.(T))
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}

// value reads a tagged value. Arrays of arrays are rejected: the writer
// never produces them and no llama metadata uses them.
func (d *decoder) value(what string) (any, error) {
	at := d.off
	tag, err := d.u32(what + " type")
	if err != nil {
		return nil, err
	}
	t := ValueType(tag)
	if t != TypeArray {
		if t != TypeString && t.size() == 0 {
			return nil, d.fail(at, what, fmt.Errorf("unknown value type %d", tag))
		}
		return d.scalar(t, what)
	}
	et, err := d.u32(what + " element type")
	if err != nil {
		return nil, err
	}
	n, err := d.u64(what + " length")
	if err != nil {
		return nil, err
	}
	if n > maxArrayLen {
		return nil, d.fail(at, what, fmt.Errorf("array length %d exceeds %d", n, maxArrayLen))
	}
	switch ValueType(et) {
	case TypeUint8:
		return readArray[uint8](d, TypeUint8, n, what)
	case TypeInt8:
		return readArray[int8](d, TypeInt8, n, what)
	case TypeUint16:
		return readArray[uint16](d, TypeUint16, n, what)
	case TypeInt16:
		return readArray[int16](d, TypeInt16, n, what)
	case TypeUint32:
		return readArray[uint32](d, TypeUint32, n, what)
	case TypeInt32:
		return readArray[int32](d, TypeInt32, n, what)
	case TypeFloat32:
		return readArray[float32](d, TypeFloat32, n, what)
	case TypeBool:
		return readArray[bool](d, TypeBool, n, what)
	case TypeString:
		return readArray[string](d, TypeString, n, what)
	case TypeUint64:
		return readArray[uint64](d, TypeUint64, n, what)
	case TypeInt64:
		return readArray[int64](d, TypeInt64, n, what)
	case TypeFloat64:
		return readArray[float64](d, TypeFloat64, n, what)
	}
	return nil, d.fail(at, what, fmt.Errorf("unsupported array element type %d", et))
}

// ReadHeader parses the header, metadata and tensor table of a GGUF v3
// file from r, which must be positioned at the start of the file. It does
// not read tensor data; Header.DataOffset says where it starts.
func ReadHeader(r io.Reader) (*Header, error) {
	d := &decoder{r: bufio.NewReaderSize(r, 1<<16)}
	magic, err := d.u32("magic")
	if err != nil {
		return nil, err
	}
	if magic != Magic {
		return nil, d.fail(0, "magic", fmt.Errorf("got %#08x, want %#08x (\"GGUF\")", magic, Magic))
	}
	h := &Header{Alignment: DefaultAlignment}
	if h.Version, err = d.u32("version"); err != nil {
		return nil, err
	}
	if h.Version != Version {
		return nil, d.fail(4, "version", fmt.Errorf("got %d, want %d", h.Version, Version))
	}
	nt, err := d.u64("tensor count")
	if err != nil {
		return nil, err
	}
	nkv, err := d.u64("metadata count")
	if err != nil {
		return nil, err
	}
	if nt > maxCount || nkv > maxCount {
		return nil, d.fail(8, "counts", fmt.Errorf("%d tensors, %d metadata pairs exceed %d", nt, nkv, maxCount))
	}
	for i := uint64(0); i < nkv; i++ {
		at := d.off
		key, err := d.str(fmt.Sprintf("metadata key %d", i))
		if err != nil {
			return nil, err
		}
		v, err := d.value(fmt.Sprintf("metadata %q", key))
		if err != nil {
			return nil, err
		}
		if key == "general.alignment" {
			a, ok := v.(uint32)
			if !ok || a == 0 || a&(a-1) != 0 {
				return nil, d.fail(at, "general.alignment", fmt.Errorf("want a uint32 power of two, got %T %v", v, v))
			}
			h.Alignment = uint64(a)
		}
		h.KV = append(h.KV, KV{Key: key, Value: v})
	}
	for i := uint64(0); i < nt; i++ {
		at := d.off
		var ti TensorInfo
		if ti.Name, err = d.str(fmt.Sprintf("tensor %d name", i)); err != nil {
			return nil, err
		}
		what := fmt.Sprintf("tensor %q", ti.Name)
		nd, err := d.u32(what + " dims count")
		if err != nil {
			return nil, err
		}
		if nd == 0 || nd > maxDims {
			return nil, d.fail(at, what, fmt.Errorf("%d dims, want 1..%d", nd, maxDims))
		}
		for j := uint32(0); j < nd; j++ {
			n, err := d.u64(what + " dim")
			if err != nil {
				return nil, err
			}
			ti.Dims = append(ti.Dims, n)
		}
		typ, err := d.u32(what + " type")
		if err != nil {
			return nil, err
		}
		ti.Type = GGMLType(typ)
		if ti.Offset, err = d.u64(what + " offset"); err != nil {
			return nil, err
		}
		h.Tensors = append(h.Tensors, ti)
	}
	for _, ti := range h.Tensors {
		if ti.Offset%h.Alignment != 0 {
			return nil, d.fail(d.off, fmt.Sprintf("tensor %q offset", ti.Name), fmt.Errorf("%d is not a multiple of alignment %d", ti.Offset, h.Alignment))
		}
	}
	h.DataOffset = alignUp(uint64(d.off), h.Alignment)
	return h, nil
}
