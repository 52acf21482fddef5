package record

import (
	"strconv"
	"unsafe"
)

// fastDecoder decodes the selected fields of one requests.jsonl line in a
// single pass over its bytes, validating the JSON grammar of every value
// it skips as it goes. It handles the lines hypobench writes — one object
// of Record's keys spelt exactly, each at most once, plain ASCII strings
// without escapes, and numbers that fit their fields — and reports any
// other line as not handled, for encoding/json to decode (decodeLine), so
// that every line decodes to what encoding/json gives for the selected
// fields, errors included (FuzzFastDecode checks this).
//
// A decoder is used by one goroutine at a time. It shares one copy of each
// distinct value of the fields whose values repeat (profile, suite, model,
// …) and takes the nullable numbers and the arrays of a batch from
// batch-sized blocks, so a record costs few allocations. Everything it
// hands out is never reused, so a record's pointers and slices stay valid.
type fastDecoder struct {
	sel    uint64
	strs   map[string]string
	floats []float64 // block for *float64 fields
	ints   []int     // block for *int fields
	arr    []float64 // block for []float64 fields
	iarr   []int     // block for []int fields
	tmp    []float64
	tmpi   []int
}

// maxSkipDepth bounds the nesting of a skipped value the fast path walks;
// deeper lines go to encoding/json.
const maxSkipDepth = 64

// maxInterned bounds the distinct values shared per decoder.
const maxInterned = 4096

func newFastDecoder(f Fields) *fastDecoder {
	return &fastDecoder{sel: f.bits, strs: map[string]string{}}
}

// decode fills r's selected fields from line b and reports whether it
// could; on false r is partly filled and must be decoded again by
// encoding/json.
func (d *fastDecoder) decode(b []byte, r *Record) bool {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipWS(b, i+1) == len(b)
	}
	var seen uint64
	for {
		if i >= len(b) || b[i] != '"' {
			return false
		}
		ks, ke, ok := plainString(b, i)
		if !ok {
			return false
		}
		key := b[ks:ke]
		i = skipWS(b, ke+1)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipWS(b, i+1)
		if i >= len(b) {
			return false
		}
		fi, known := fieldByKey[string(key)]
		switch {
		case !known:
			if foldsToField(key) {
				return false // encoding/json would match it case-insensitively
			}
			if i, ok = skipValue(b, i, 0); !ok {
				return false
			}
		case seen&(1<<fi) != 0:
			return false // a repeated key: encoding/json's last-wins is left to it
		case d.sel&(1<<fi) == 0:
			seen |= 1 << fi
			if i, ok = skipTyped(b, i, fieldTable[fi].kind); !ok {
				return false
			}
		default:
			seen |= 1 << fi
			if i, ok = d.value(b, i, &fieldTable[fi], r); !ok {
				return false
			}
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return skipWS(b, i+1) == len(b)
		default:
			return false
		}
	}
}

// value decodes the value at b[i] into field f of r and returns the index
// after it.
func (d *fastDecoder) value(b []byte, i int, f *field, r *Record) (int, bool) {
	if isNull(b, i) {
		// null leaves a scalar as it was (zero) and sets a pointer or
		// slice to nil, which it already is.
		return i + 4, true
	}
	switch f.kind {
	case kString:
		if b[i] != '"' {
			return 0, false
		}
		s, e, ok := plainString(b, i)
		if !ok {
			return 0, false
		}
		*f.str(r) = d.str(b[s:e], f.repeats)
		return e + 1, true
	case kFloat, kFloatPtr:
		e, ok := number(b, i)
		if !ok {
			return 0, false
		}
		v, err := parseFloat(b[i:e])
		if err != nil {
			return 0, false
		}
		if f.kind == kFloat {
			*f.f64(r) = v
		} else {
			*f.f64p(r) = d.floatPtr(v)
		}
		return e, true
	case kInt, kIntPtr, kInt64:
		e, ok := number(b, i)
		if !ok {
			return 0, false
		}
		bits := 64
		if f.kind != kInt64 {
			bits = strconv.IntSize
		}
		v, err := strconv.ParseInt(unsafeString(b[i:e]), 10, bits)
		if err != nil {
			return 0, false
		}
		switch f.kind {
		case kInt:
			*f.i(r) = int(v)
		case kIntPtr:
			*f.ip(r) = d.intPtr(int(v))
		default:
			*f.i64(r) = v
		}
		return e, true
	case kBool:
		switch {
		case hasLit(b, i, "true"):
			*f.b(r) = true
			return i + 4, true
		case hasLit(b, i, "false"):
			return i + 5, true
		}
		return 0, false
	case kFloats:
		return d.floats64(b, i, f.f64s(r))
	case kInts:
		return d.intsArr(b, i, f.is(r))
	}
	return 0, false
}

// floats64 decodes an array of numbers; encoding/json gives an empty,
// non-nil slice for [].
func (d *fastDecoder) floats64(b []byte, i int, dst *[]float64) (int, bool) {
	return numbers(b, i, dst, &d.tmp, &d.arr, parseFloat)
}

// intsArr is floats64 for an array of integers.
func (d *fastDecoder) intsArr(b []byte, i int, dst *[]int) (int, bool) {
	return numbers(b, i, dst, &d.tmpi, &d.iarr, parseInt)
}

// parseInt is strconv.ParseInt of a decimal int without copying b.
func parseInt(b []byte) (int, error) {
	v, err := strconv.ParseInt(unsafeString(b), 10, strconv.IntSize)
	return int(v), err
}

// numbers decodes the JSON array of numbers at b[i] with parse, gathering
// the values in tmp and handing *dst a slice carved from block (a new
// block of at least 8192 values when it runs out), so a batch's arrays
// share a few allocations. [] gives an empty, non-nil slice, as
// encoding/json does; anything else unusual is refused (false) and the
// line goes to encoding/json.
func numbers[T float64 | int](b []byte, i int, dst *[]T, tmp, block *[]T, parse func([]byte) (T, error)) (int, bool) {
	if b[i] != '[' {
		return 0, false
	}
	*tmp = (*tmp)[:0]
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		*dst = []T{}
		return i + 1, true
	}
	for {
		e, ok := number(b, i)
		if !ok {
			return 0, false
		}
		v, err := parse(b[i:e])
		if err != nil {
			return 0, false
		}
		*tmp = append(*tmp, v)
		i = skipWS(b, e)
		if i >= len(b) {
			return 0, false
		}
		if b[i] == ']' {
			break
		}
		if b[i] != ',' {
			return 0, false
		}
		i = skipWS(b, i+1)
	}
	n := len(*tmp)
	if len(*block) < n {
		*block = make([]T, max(n, 8192))
	}
	*dst = (*block)[:n:n]
	copy(*dst, *tmp)
	*block = (*block)[n:]
	return i + 1, true
}

func (d *fastDecoder) floatPtr(v float64) *float64 {
	if len(d.floats) == 0 {
		d.floats = make([]float64, 1024)
	}
	p := &d.floats[0]
	d.floats = d.floats[1:]
	*p = v
	return p
}

func (d *fastDecoder) intPtr(v int) *int {
	if len(d.ints) == 0 {
		d.ints = make([]int, 1024)
	}
	p := &d.ints[0]
	d.ints = d.ints[1:]
	*p = v
	return p
}

// str returns b as a string, shared with earlier equal values when the
// field's values repeat.
func (d *fastDecoder) str(b []byte, repeats bool) string {
	if !repeats {
		return string(b)
	}
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.strs) < maxInterned {
		d.strs[s] = s
	}
	return s
}

// parseFloat is strconv.ParseFloat(s, 64) for a JSON number s (its
// grammar already checked). A number of at most 15 significant digits
// and a decimal exponent within ±22 — every duration hypobench writes —
// is one exact integer times or divided by an exact power of ten, so one
// IEEE operation rounds it correctly (the fast path strconv itself takes,
// after a slower read of the digits); any other goes to strconv.
func parseFloat(s []byte) (float64, error) {
	i, neg := 0, false
	if s[0] == '-' {
		neg, i = true, 1
	}
	var mant uint64
	nd, exp := 0, 0 // significant digits, decimal exponent
	frac := false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			frac = true
			continue
		case c == 'e' || c == 'E':
			e, ok := smallExp(s[i+1:])
			if !ok {
				return strconv.ParseFloat(unsafeString(s), 64)
			}
			exp += e
			i = len(s)
			continue
		}
		if frac {
			exp--
		}
		if mant == 0 && c == '0' {
			continue // a leading zero
		}
		nd++
		if nd > 15 {
			return strconv.ParseFloat(unsafeString(s), 64)
		}
		mant = mant*10 + uint64(c-'0')
	}
	var v float64
	switch {
	case mant == 0:
	case exp == 0:
		v = float64(mant)
	case exp > 0 && exp <= 22:
		v = float64(mant) * pow10[exp]
	case exp < 0 && exp >= -22:
		v = float64(mant) / pow10[-exp]
	default:
		return strconv.ParseFloat(unsafeString(s), 64)
	}
	if neg {
		v = -v
	}
	return v, nil
}

// smallExp reads an exponent's optional sign and digits, refusing more
// than 4 digits.
func smallExp(s []byte) (int, bool) {
	neg := false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	if len(s) == 0 || len(s) > 4 {
		return 0, false
	}
	e := 0
	for _, c := range s {
		e = e*10 + int(c-'0')
	}
	if neg {
		e = -e
	}
	return e, true
}

// pow10 holds the powers of ten a float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// unsafeString views b as a string for a parse that does not keep it
// (the parse error that would is discarded).
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// foldsToField reports whether key, not a field's key itself, equals one
// in ASCII case folding (any non-ASCII key is treated as if it might).
func foldsToField(key []byte) bool {
	var buf [32]byte
	if len(key) > len(buf) {
		return false // longer than every field's key
	}
	for j, c := range key {
		switch {
		case c >= 0x80:
			return true
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		buf[j] = c
	}
	return foldedKeys[string(buf[:len(key)])]
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func isNull(b []byte, i int) bool { return hasLit(b, i, "null") }

func hasLit(b []byte, i int, lit string) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}

// plainString returns the bounds of the contents of the string starting
// at b[i] (a quote) when it is printable ASCII without escapes; ok is
// false otherwise, leaving anything else to encoding/json.
func plainString(b []byte, i int) (start, end int, ok bool) {
	for j := i + 1; j < len(b); j++ {
		c := b[j]
		switch {
		case c == '"':
			return i + 1, j, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return 0, 0, false
		}
	}
	return 0, 0, false
}

// number returns the end of the JSON number starting at b[i], checking
// its grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func number(b []byte, i int) (int, bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return 0, false
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}

func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// skipTyped returns the index after the value at b[i] of a field of kind
// k that is not selected, checking that encoding/json would decode it
// into that field without an error (a type mismatch or a number out of
// range fails the whole line there), without converting it.
func skipTyped(b []byte, i int, k fieldKind) (int, bool) {
	if isNull(b, i) {
		return i + 4, true
	}
	switch k {
	case kString:
		if b[i] != '"' {
			return 0, false
		}
		return skipString(b, i)
	case kFloat, kFloatPtr:
		return skipFloat(b, i)
	case kInt, kIntPtr, kInt64:
		return skipInt(b, i)
	case kBool:
		switch {
		case hasLit(b, i, "true"):
			return i + 4, true
		case hasLit(b, i, "false"):
			return i + 5, true
		}
		return 0, false
	case kFloats, kInts:
		if b[i] != '[' {
			return 0, false
		}
		elem := skipFloat
		if k == kInts {
			elem = skipInt
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, true
		}
		for {
			var ok bool
			if isNull(b, i) {
				i += 4 // encoding/json leaves such an element zero
			} else if i, ok = elem(b, i); !ok {
				return 0, false
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return 0, false
			}
			if b[i] == ']' {
				return i + 1, true
			}
			if b[i] != ',' {
				return 0, false
			}
			i = skipWS(b, i+1)
		}
	}
	return 0, false
}

// skipFloat skips a number that must fit a float64: only one with an
// exponent or of more than 300 characters can overflow, so only those are
// parsed (underflow is not an error).
func skipFloat(b []byte, i int) (int, bool) {
	e, ok := number(b, i)
	if !ok {
		return 0, false
	}
	if e-i > 300 || bytesHasExp(b[i:e]) {
		if _, err := parseFloat(b[i:e]); err != nil {
			return 0, false
		}
	}
	return e, true
}

// skipInt skips a number that must be an integer fitting an int (int64
// for the int64 fields: the narrower bound is checked for both, which is
// the same on 64-bit platforms).
func skipInt(b []byte, i int) (int, bool) {
	e, ok := number(b, i)
	if !ok {
		return 0, false
	}
	if e-i > 18 || bytesHasFracOrExp(b[i:e]) {
		if _, err := strconv.ParseInt(unsafeString(b[i:e]), 10, strconv.IntSize); err != nil {
			return 0, false
		}
	}
	return e, true
}

func bytesHasExp(b []byte) bool {
	for _, c := range b {
		if c == 'e' || c == 'E' {
			return true
		}
	}
	return false
}

func bytesHasFracOrExp(b []byte) bool {
	for _, c := range b {
		if c == '.' || c == 'e' || c == 'E' {
			return true
		}
	}
	return false
}

// skipValue returns the index after the JSON value at b[i], checking its
// grammar as encoding/json's scanner does (strings may hold any bytes
// but control characters, and valid escapes).
func skipValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '-' || ('0' <= c && c <= '9'):
		return number(b, i)
	case c == 't':
		return i + 4, hasLit(b, i, "true")
	case c == 'f':
		return i + 5, hasLit(b, i, "false")
	case c == 'n':
		return i + 4, isNull(b, i)
	case c == '[' || c == '{':
		if depth >= maxSkipDepth {
			return 0, false
		}
		closer := byte(']')
		if c == '{' {
			closer = '}'
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == closer {
			return i + 1, true
		}
		for {
			var ok bool
			if c == '{' {
				if i >= len(b) || b[i] != '"' {
					return 0, false
				}
				if i, ok = skipString(b, i); !ok {
					return 0, false
				}
				i = skipWS(b, i)
				if i >= len(b) || b[i] != ':' {
					return 0, false
				}
				i = skipWS(b, i+1)
			}
			if i, ok = skipValue(b, i, depth+1); !ok {
				return 0, false
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return 0, false
			}
			if b[i] == closer {
				return i + 1, true
			}
			if b[i] != ',' {
				return 0, false
			}
			i = skipWS(b, i+1)
		}
	}
	return 0, false
}

// skipString returns the index after the string starting at b[i].
func skipString(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, true
		case c < 0x20:
			return 0, false
		case c == '\\':
			j++
			if j >= len(b) {
				return 0, false
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(b) {
					return 0, false
				}
				for _, h := range b[j+1 : j+5] {
					if !isHex(h) {
						return 0, false
					}
				}
				j += 4
			default:
				return 0, false
			}
		}
	}
	return 0, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
