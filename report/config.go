package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

// ConfigRow is one line of the run's configuration as the report shows it:
// a dotted key path of config.json and its value in words.
type ConfigRow struct {
	Key   string
	Value string
}

// secretKey matches configuration keys whose values are never shown.
var secretKey = regexp.MustCompile(`(?i)api_?key|secret|password|passwd|authorization|bearer|credential`)

// maxValue bounds a shown string value (the suite's base text is long).
const maxValue = 160

// ConfigRows flattens dir/config.json into rows: objects become dotted key
// paths in sorted order, arrays of scalars are joined with commas, arrays of
// objects show each object inline. Values under secret-looking keys are
// replaced by "(redacted)". A missing file gives no rows and no error.
func ConfigRows(path string) ([]ConfigRow, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading run configuration: %w", err)
	}
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // seeds are uint64: keep every digit
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	var rows []ConfigRow
	flatten(&rows, "", v)
	return rows, nil
}

func flatten(rows *[]ConfigRow, prefix string, v any) {
	obj, ok := v.(map[string]any)
	if !ok {
		*rows = append(*rows, ConfigRow{Key: prefix, Value: inline(v)})
		return
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if secretKey.MatchString(k) {
			*rows = append(*rows, ConfigRow{Key: key, Value: "(redacted)"})
			continue
		}
		flatten(rows, key, obj[k])
	}
}

// inline formats a JSON value on one line.
func inline(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if r := []rune(x); len(r) > maxValue {
			return fmt.Sprintf("%s… (%d characters)", string(r[:maxValue]), len(r))
		}
		return x
	case []any:
		parts := make([]string, len(x))
		_, objects := firstObject(x)
		for i, e := range x {
			parts[i] = inline(e)
		}
		if objects {
			return strings.Join(parts, "; ")
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			if secretKey.MatchString(k) {
				parts[i] = k + "=(redacted)"
				continue
			}
			parts[i] = k + "=" + inline(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case json.Number:
		return x.String()
	}
	return fmt.Sprint(v)
}

func firstObject(xs []any) (map[string]any, bool) {
	if len(xs) == 0 {
		return nil, false
	}
	m, ok := xs[0].(map[string]any)
	return m, ok
}
