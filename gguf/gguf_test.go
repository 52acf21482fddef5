package gguf

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hypobench/hypobench/internal/testutil"
)

// sampleFile has every metadata type and tensors whose sizes are not
// multiples of the alignment, so padding is exercised.
func sampleFile(align uint32) *File {
	f32 := make([]byte, 4*3)
	for i := range 3 {
		binary.LittleEndian.PutUint32(f32[4*i:], math.Float32bits(float32(i)+0.5))
	}
	f16 := make([]byte, 2*5*3)
	for i := range 15 {
		binary.LittleEndian.PutUint16(f16[2*i:], F16Bits(float32(i)))
	}
	return &File{
		KV: []KV{
			{"general.architecture", "llama"},
			{"general.alignment", align},
			{"u8", uint8(200)}, {"i8", int8(-3)}, {"u16", uint16(60000)}, {"i16", int16(-300)},
			{"u32", uint32(4_000_000_000)}, {"i32", int32(-7)}, {"f32", float32(1e-5)}, {"bool", true},
			{"u64", uint64(1) << 40}, {"i64", int64(-1) << 40}, {"f64", math.Pi}, {"empty", ""},
			{"strings", []string{"<unk>", "▁", ""}}, {"floats", []float32{0, -1.5, 3}},
			{"ints", []int32{1, -2, 3}}, {"no ints", []int32{}}, {"bools", []bool{true, false}},
			{"u64s", []uint64{7}}, {"f64s", []float64{2.5}}, {"u8s", []uint8{1, 2}},
			{"i8s", []int8{-1}}, {"u16s", []uint16{9}}, {"i16s", []int16{-9}}, {"u32s", []uint32{5}},
			{"i64s", []int64{-5}},
		},
		Tensors: []Tensor{
			{Name: "a", Dims: []uint64{3}, Type: GGMLTypeF32, Data: f32},
			{Name: "blk.0.b", Dims: []uint64{5, 3}, Type: GGMLTypeF16, Data: f16},
			{Name: "c", Dims: []uint64{1, 1, 1, 1}, Type: GGMLTypeF32, Data: f32[:4]},
		},
	}
}

func encode(t *testing.T, f *File) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := f.WriteTo(&buf)
	if err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteTo returned %d, wrote %d bytes", n, buf.Len())
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	for _, align := range []uint32{32, 8, 64} {
		t.Run(string(rune('0'+align/8)), func(t *testing.T) {
			f := sampleFile(align)
			b := encode(t, f)
			h, err := ReadHeader(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("ReadHeader: %v", err)
			}
			if h.Version != 3 || h.Alignment != uint64(align) {
				t.Errorf("version %d alignment %d, want 3 and %d", h.Version, h.Alignment, align)
			}
			if diff := cmp.Diff(f.KV, h.KV); diff != "" {
				t.Errorf("metadata differs (-wrote +read):\n%s", diff)
			}
			if h.DataOffset%uint64(align) != 0 {
				t.Errorf("data offset %d not aligned to %d", h.DataOffset, align)
			}
			if len(h.Tensors) != len(f.Tensors) {
				t.Fatalf("read %d tensors, wrote %d", len(h.Tensors), len(f.Tensors))
			}
			end := h.DataOffset
			for i, ti := range h.Tensors {
				want := f.Tensors[i]
				if ti.Name != want.Name || ti.Type != want.Type || !cmp.Equal(ti.Dims, want.Dims) {
					t.Errorf("tensor %d = %s %v%v, want %s %v%v", i, ti.Name, ti.Type, ti.Dims, want.Name, want.Type, want.Dims)
				}
				if ti.Offset%uint64(align) != 0 {
					t.Errorf("tensor %s offset %d not aligned", ti.Name, ti.Offset)
				}
				start := h.DataOffset + ti.Offset
				if got := b[start : start+uint64(len(want.Data))]; !bytes.Equal(got, want.Data) {
					t.Errorf("tensor %s data at %d = %x, want %x", ti.Name, start, got, want.Data)
				}
				end = start + uint64(len(want.Data))
			}
			if want := alignUp(end, uint64(align)); uint64(len(b)) != want {
				t.Errorf("file is %d bytes, want %d (last tensor end %d padded)", len(b), want, end)
			}
		})
	}
}

// TestGolden pins the exact bytes of a small file. The golden hex dump was
// checked by hand against the GGUF specification: magic 47 47 55 46,
// version 03 00 00 00, then u64 counts, keys as u64 length + bytes.
func TestGolden(t *testing.T) {
	f := &File{
		KV: []KV{{"general.architecture", "llama"}, {"n", []int32{1, -1}}},
		Tensors: []Tensor{{Name: "w", Dims: []uint64{2, 1}, Type: GGMLTypeF16,
			Data: []byte{0x00, 0x3c, 0x00, 0xc0}}},
	}
	got := []byte(hex.Dump(encode(t, f)))
	testutil.Golden(t, filepath.Join("testdata", "small.gguf.hex"), got)
}

func TestReadHeaderErrors(t *testing.T) {
	valid := encode(t, sampleFile(32))
	h, err := ReadHeader(bytes.NewReader(valid))
	if err != nil {
		t.Fatal(err)
	}
	patch := func(off int, p ...byte) []byte {
		b := append([]byte(nil), valid...)
		copy(b[off:], p)
		return b
	}
	// Offset of the first tensor info: the tensor table follows the
	// metadata; find it from the name "a" the sample puts first.
	ti := bytes.Index(valid, []byte{1, 0, 0, 0, 0, 0, 0, 0, 'a'})
	if ti < 0 {
		t.Fatal("tensor table not found in sample")
	}
	tests := []struct {
		name    string
		in      []byte
		wantOff int64
		wantErr error
	}{
		{"bad magic", patch(0, 'G', 'G', 'M', 'L'), 0, nil},
		{"version 2", patch(4, 2), 4, nil},
		{"empty", nil, 0, ErrTruncated},
		{"huge counts", patch(8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), 8, nil},
		{"unknown value type", patch(24+8+len("general.architecture"), 13), 24 + 8 + 20, nil},
		{"five dims", patch(ti+9, 5), int64(ti), nil},
		{"truncated data-free header", valid[:h.DataOffset-40], -1, ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadHeader(bytes.NewReader(tc.in))
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("ReadHeader error = %v, want a *FormatError", err)
			}
			if tc.wantOff >= 0 && fe.Offset != tc.wantOff {
				t.Errorf("offset = %d, want %d (%v)", fe.Offset, tc.wantOff, err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error = %v, want %v", err, tc.wantErr)
			}
		})
	}
	t.Run("every prefix", func(t *testing.T) {
		for n := range int(h.DataOffset) - 31 {
			if _, err := ReadHeader(bytes.NewReader(valid[:n])); !errors.Is(err, ErrTruncated) {
				t.Fatalf("prefix of %d bytes: error %v, want ErrTruncated", n, err)
			}
		}
	})
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(f *File)
	}{
		{"short data", func(f *File) { f.Tensors[0].Data = f.Tensors[0].Data[:4] }},
		{"duplicate tensor", func(f *File) { f.Tensors[1].Name = "a" }},
		{"duplicate key", func(f *File) { f.KV = append(f.KV, KV{"u8", uint8(1)}) }},
		{"unsupported value", func(f *File) { f.KV = append(f.KV, KV{"x", 3}) }},
		{"alignment not power of two", func(f *File) { f.KV[1].Value = uint32(24) }},
		{"alignment wrong type", func(f *File) { f.KV[1].Value = uint64(32) }},
		{"quantised type", func(f *File) { f.Tensors[0].Type = 2 }},
		{"no dims", func(f *File) { f.Tensors[0].Dims = nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := sampleFile(32)
			tc.mutate(f)
			if _, err := f.WriteTo(&bytes.Buffer{}); err == nil {
				t.Error("WriteTo succeeded, want an error")
			}
		})
	}
}

func FuzzReadHeader(f *testing.F) {
	var buf bytes.Buffer
	if _, err := sampleFile(32).WriteTo(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:100])
	f.Add([]byte("GGUF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ReadHeader(bytes.NewReader(b))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FormatError", err)
			}
			return
		}
		if h.DataOffset%h.Alignment != 0 || h.DataOffset > uint64(len(b))+h.Alignment {
			t.Fatalf("data offset %d inconsistent with alignment %d and %d input bytes", h.DataOffset, h.Alignment, len(b))
		}
	})
}

func TestF16(t *testing.T) {
	for h := range 1 << 16 {
		f := F16Float32(uint16(h))
		got := F16Bits(f)
		if math.IsNaN(float64(f)) {
			if got&0x7c00 != 0x7c00 || got&0x3ff == 0 {
				t.Fatalf("NaN %#04x came back as %#04x", h, got)
			}
			continue
		}
		if got != uint16(h) {
			t.Fatalf("F16Bits(F16Float32(%#04x)) = %#04x (value %g)", h, got, f)
		}
	}
	tests := []struct {
		in   float32
		want uint16
	}{
		{1, 0x3c00},
		{-2, 0xc000},
		{65504, 0x7bff},
		{65520, 0x7c00},                       // halfway to the next binade rounds to even: Inf
		{1e10, 0x7c00},                        // overflow
		{1 + 1.0/2048, 0x3c00},                // tie, rounds to even
		{1 + 3.0/2048, 0x3c02},                // tie, rounds to even (up)
		{float32(math.Ldexp(1, -14)), 0x0400}, // smallest normal
		{float32(math.Ldexp(1, -24)), 0x0001}, // smallest subnormal
		{float32(math.Ldexp(1, -25)), 0x0000}, // tie, rounds to even zero
		{float32(math.Ldexp(1.5, -25)), 0x0001},
		{float32(math.Ldexp(1, -30)), 0x0000},
		{float32(math.Copysign(0, -1)), 0x8000},
	}
	for _, tc := range tests {
		if got := F16Bits(tc.in); got != tc.want {
			t.Errorf("F16Bits(%g) = %#04x, want %#04x", tc.in, got, tc.want)
		}
	}
}
