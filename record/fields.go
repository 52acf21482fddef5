package record

import (
	"fmt"
	"math/bits"
)

// Fields is a set of Record fields, named by their JSON keys, that
// ScanFields decodes; the others are skipped (left zero). The zero value
// selects nothing.
type Fields struct{ bits uint64 }

// FieldsOf returns the set of the named fields. It panics on a key that is
// not a Record field's: a selection is written in code, so a wrong key is
// a programming error.
func FieldsOf(keys ...string) Fields {
	var f Fields
	for _, k := range keys {
		f.bits |= 1 << fieldIndex(k)
	}
	return f
}

// AllFields returns the set of every Record field.
func AllFields() Fields { return Fields{bits: 1<<len(fieldTable) - 1} }

// Without returns f less the named fields; it panics like FieldsOf.
func (f Fields) Without(keys ...string) Fields {
	return Fields{bits: f.bits &^ FieldsOf(keys...).bits}
}

// With returns f and the named fields; it panics like FieldsOf.
func (f Fields) With(keys ...string) Fields {
	return Fields{bits: f.bits | FieldsOf(keys...).bits}
}

// Has reports whether f holds the field with JSON key k.
func (f Fields) Has(k string) bool {
	i, ok := fieldByKey[k]
	return ok && f.bits&(1<<i) != 0
}

// Len returns how many fields f holds.
func (f Fields) Len() int { return bits.OnesCount64(f.bits) }

func fieldIndex(k string) int {
	i, ok := fieldByKey[k]
	if !ok {
		panic(fmt.Sprintf("record: no Record field has the JSON key %q", k))
	}
	return i
}

// fieldKind is how a field's JSON value is decoded.
type fieldKind uint8

const (
	kString   fieldKind = iota // a JSON string
	kFloat                     // a number into float64
	kFloatPtr                  // a number or null into *float64
	kInt                       // an integer into int
	kIntPtr                    // an integer or null into *int
	kInt64                     // an integer into int64
	kBool                      // true or false
	kFloats                    // an array of numbers into []float64
	kInts                      // an array of integers into []int
)

// field is one Record field as the fast decoder sees it: its JSON key,
// kind, where it lives in a Record, and whether its values repeat across
// a run's records (so the decoder shares one copy of each).
type field struct {
	key     string
	kind    fieldKind
	repeats bool
	str     func(*Record) *string
	f64     func(*Record) *float64
	f64p    func(*Record) **float64
	i       func(*Record) *int
	ip      func(*Record) **int
	i64     func(*Record) *int64
	b       func(*Record) *bool
	f64s    func(*Record) *[]float64
	is      func(*Record) *[]int
}

// fieldTable lists every field of Record (TestFieldTableCoversRecord
// checks it against the struct's JSON tags, so a field added to Record
// must be added here).
var fieldTable = []field{
	{key: "id", kind: kString, str: func(r *Record) *string { return &r.ID }},
	{key: "profile", kind: kString, repeats: true, str: func(r *Record) *string { return &r.Profile }},
	{key: "ttft_s", kind: kFloatPtr, f64p: func(r *Record) **float64 { return &r.TTFT }},
	{key: "total_s", kind: kFloat, f64: func(r *Record) *float64 { return &r.Total }},
	{key: "concurrency", kind: kInt, i: func(r *Record) *int { return &r.Concurrency }},
	{key: "run_id", kind: kString, repeats: true, str: func(r *Record) *string { return &r.RunID }},
	{key: "suite", kind: kString, repeats: true, str: func(r *Record) *string { return &r.Suite }},
	{key: "phase", kind: kInt, i: func(r *Record) *int { return &r.Phase }},
	{key: "seq", kind: kInt, i: func(r *Record) *int { return &r.Seq }},
	{key: "round", kind: kInt, i: func(r *Record) *int { return &r.Round }},
	{key: "prompt_rep", kind: kInt, i: func(r *Record) *int { return &r.PromptRep }},
	{key: "max_tokens", kind: kInt, i: func(r *Record) *int { return &r.MaxTokens }},
	{key: "endpoint", kind: kString, repeats: true, str: func(r *Record) *string { return &r.Endpoint }},
	{key: "model", kind: kString, repeats: true, str: func(r *Record) *string { return &r.Model }},
	{key: "prompt_tokens", kind: kIntPtr, ip: func(r *Record) **int { return &r.PromptTokens }},
	{key: "output_tokens", kind: kIntPtr, ip: func(r *Record) **int { return &r.OutputTokens }},
	{key: "output_chunks", kind: kInt, i: func(r *Record) *int { return &r.OutputChunks }},
	{key: "token_source", kind: kString, repeats: true, str: func(r *Record) *string { return &r.TokenSource }},
	{key: "token_mismatch", kind: kBool, b: func(r *Record) *bool { return &r.TokenMismatch }},
	{key: "queue_s", kind: kFloat, f64: func(r *Record) *float64 { return &r.Queue }},
	{key: "start_unix_ns", kind: kInt64, i64: func(r *Record) *int64 { return &r.StartUnixNs }},
	{key: "end_unix_ns", kind: kInt64, i64: func(r *Record) *int64 { return &r.EndUnixNs }},
	{key: "ttft_text_s", kind: kFloatPtr, f64p: func(r *Record) **float64 { return &r.TTFTText }},
	{key: "e2e_s", kind: kFloatPtr, f64p: func(r *Record) **float64 { return &r.E2E }},
	{key: "tpot_s", kind: kFloatPtr, f64p: func(r *Record) **float64 { return &r.TPOT }},
	{key: "itl_s", kind: kFloats, f64s: func(r *Record) *[]float64 { return &r.ITL }},
	{key: "chunking", kind: kString, repeats: true, str: func(r *Record) *string { return &r.Chunking }},
	{key: "chunk_tokens", kind: kInts, is: func(r *Record) *[]int { return &r.ChunkTokens }},
	{key: "itl_token_s", kind: kFloats, f64s: func(r *Record) *[]float64 { return &r.ITLToken }},
	{key: "sim_ttft_s", kind: kFloatPtr, f64p: func(r *Record) **float64 { return &r.SimTTFT }},
	{key: "sim_ttft_text_s", kind: kFloatPtr, f64p: func(r *Record) **float64 { return &r.SimTTFTText }},
	{key: "sim_e2e_s", kind: kFloatPtr, f64p: func(r *Record) **float64 { return &r.SimE2E }},
	{key: "sim_itl_s", kind: kFloats, f64s: func(r *Record) *[]float64 { return &r.SimITL }},
	{key: "finish_reason", kind: kString, repeats: true, str: func(r *Record) *string { return &r.FinishReason }},
	{key: "http_status", kind: kInt, i: func(r *Record) *int { return &r.HTTPStatus }},
	{key: "error_class", kind: kString, repeats: true, str: func(r *Record) *string { return (*string)(&r.ErrorClass) }},
	{key: "error", kind: kString, str: func(r *Record) *string { return &r.Error }},
	{key: "server_request_id", kind: kString, str: func(r *Record) *string { return &r.ServerRequestID }},
	{key: "retries", kind: kInt, i: func(r *Record) *int { return &r.Retries }},
	{key: "shard", kind: kIntPtr, ip: func(r *Record) **int { return &r.Shard }},
	{key: "intended_unix_ns", kind: kInt64, i64: func(r *Record) *int64 { return &r.IntendedUnixNs }},
	{key: "target_rate", kind: kFloat, f64: func(r *Record) *float64 { return &r.TargetRate }},
	{key: "ttft_intended_s", kind: kFloatPtr, f64p: func(r *Record) **float64 { return &r.TTFTIntended }},
	{key: "total_intended_s", kind: kFloatPtr, f64p: func(r *Record) **float64 { return &r.TotalIntended }},
}

// fieldByKey indexes fieldTable by key; foldedKeys holds every key in
// ASCII lower case, to spot a key that encoding/json would match to a
// field case-insensitively.
var fieldByKey, foldedKeys = func() (map[string]int, map[string]bool) {
	if len(fieldTable) > 64 {
		panic("record: more than 64 fields: widen Fields")
	}
	m, f := map[string]int{}, map[string]bool{}
	for i, fd := range fieldTable {
		m[fd.key] = i
		f[fd.key] = true
	}
	return m, f
}()
