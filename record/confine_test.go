package record

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestJoinConfines(t *testing.T) {
	t.Parallel()
	root := filepath.Join("out", "reports")
	for _, name := range []string{
		"../../../../elsewhere/ESCAPED", "..", ".", "", "a/b", `a\b`, "/abs", "-flag", ".hidden",
		"nul\x00byte", "tab\tname", "é", strings.Repeat("a", MaxNameLen+1),
	} {
		p, err := Join(root, "suite name", name)
		if !errors.Is(err, ErrBadName) {
			t.Errorf("Join(%q) = %q, %v; want ErrBadName", name, p, err)
		}
	}
	for _, name := range []string{"tiny", "run-1.2_x", "20261201T000000Z-tiny-abcdef", strings.Repeat("b", MaxNameLen)} {
		p, err := Join(root, "suite name", name)
		if err != nil || !Within(root, p) || filepath.Dir(p) != root {
			t.Errorf("Join(%q) = %q, %v; want root/name", name, p, err)
		}
	}
}

func TestWithin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		root, p string
		want    bool
	}{
		{"r", "r/a", true}, {"r", "r", true}, {"r", "r/../x", false}, {"r", "x", false},
		{"/r", "/r/a/b", true}, {"/r", "/ra", false}, {"r", "r/a/../../x", false},
	} {
		if got := Within(tc.root, tc.p); got != tc.want {
			t.Errorf("Within(%q, %q) = %v, want %v", tc.root, tc.p, got, tc.want)
		}
	}
}

func TestRedactCaseInsensitive(t *testing.T) {
	t.Parallel()
	const key = "sk-Canary-5f1e"
	for _, tc := range []struct{ in, want string }{
		{"Bearer sk-Canary-5f1e", "Bearer [REDACTED]"},
		{"AUTH=BEARER SK-CANARY-5F1E!", "AUTH=BEARER [REDACTED]!"},
		{"x sk-canary-5f1e y sk-CANARY-5F1E", "x [REDACTED] y [REDACTED]"},
		{"İ sk-canary-5F1E ß", "İ [REDACTED] ß"}, // lower-casing changes İ's length
		{"no key here", "no key here"},
	} {
		if got := Redact(tc.in, key); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := Redact("abc", "abc"[:3]); got != "abc" {
		t.Errorf("a 3-byte key was redacted: %q", got)
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("Bearer SK-ABCD-1234 tail", "sk-abcd-1234")
	f.Add("İİ sk-k", "SK-K")
	f.Fuzz(func(t *testing.T, s, key string) {
		got := Redact(s, key)
		if len(key) >= minSecret && strings.Contains(strings.ToLower(got), strings.ToLower(key)) && !strings.Contains(strings.ToLower(Redacted), strings.ToLower(key)) {
			t.Fatalf("Redact(%q, %q) = %q still holds the key", s, key, got)
		}
	})
}
