package gguf

import "fmt"

// Magic is the first four bytes of every GGUF file, "GGUF" read as a
// little-endian uint32.
const Magic uint32 = 0x46554747

// Version is the GGUF version this package writes and reads.
const Version uint32 = 3

// DefaultAlignment is the data alignment used when the metadata has no
// general.alignment key.
const DefaultAlignment = 32

// ValueType is the type tag of a metadata value.
type ValueType uint32

// Metadata value types, numbered as in the GGUF specification.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

var valueTypeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"}

// String returns the specification's name of t.
func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("ValueType(%d)", uint32(t))
}

// size returns the encoded size of a scalar of type t, or 0 for strings,
// arrays and unknown types.
func (t ValueType) size() int {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}

// GGMLType is the element type of a tensor, numbered as ggml's enum
// ggml_type. Only the unquantised types are supported.
type GGMLType uint32

// Tensor element types.
const (
	GGMLTypeF32 GGMLType = 0
	GGMLTypeF16 GGMLType = 1
)

// String returns ggml's name of t.
func (t GGMLType) String() string {
	switch t {
	case GGMLTypeF32:
		return "F32"
	case GGMLTypeF16:
		return "F16"
	}
	return fmt.Sprintf("GGMLType(%d)", uint32(t))
}

// ElemSize returns the bytes per element of t, or 0 when t is unsupported.
func (t GGMLType) ElemSize() int {
	switch t {
	case GGMLTypeF32:
		return 4
	case GGMLTypeF16:
		return 2
	}
	return 0
}

// Token types of tokenizer.ggml.token_type, as in llama.cpp's
// llama_token_type.
const (
	TokenNormal      int32 = 1
	TokenUnknown     int32 = 2
	TokenControl     int32 = 3
	TokenUserDefined int32 = 4
	TokenUnused      int32 = 5
	TokenByte        int32 = 6
)

// alignUp rounds n up to a multiple of align.
func alignUp(n, align uint64) uint64 {
	if r := n % align; r != 0 {
		return n + align - r
	}
	return n
}
