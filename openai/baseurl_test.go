package openai

import (
	"errors"
	"strings"
	"testing"
)

func TestParseBaseURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"http://h:8000", "http://h:8000"},
		{"http://h:8000/", "http://h:8000"},
		{"http://h:8000/v1", "http://h:8000"},
		{"https://h/api/v1/", "https://h/api"},
		{"http://h/proxy", "http://h/proxy"},
	} {
		got, err := ParseBaseURL(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseBaseURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"http://user:s3cret-pw@h:8000", "http://s3cret-pw@h", "ftp://h", "h:8000", "", "http://", "http://h/?k=s3cret-pw", "http://h\x00/s3cret-pw"} {
		_, err := ParseBaseURL(in)
		if !errors.Is(err, ErrBaseURL) {
			t.Errorf("ParseBaseURL(%q): %v, want ErrBaseURL", in, err)
			continue
		}
		if strings.Contains(err.Error(), "s3cret-pw") && !strings.Contains(in, "?") {
			t.Errorf("ParseBaseURL(%q) error repeats the credentials: %v", in, err)
		}
		if strings.Contains(err.Error(), "Config.") {
			t.Errorf("ParseBaseURL(%q) error names a Go field: %v", in, err)
		}
	}
}

func TestNewStripsOneV1(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"http://h:1", "http://h:1/v1", "http://h:1/v1/"} {
		c, err := New(Config{BaseURL: in})
		if err != nil {
			t.Fatal(err)
		}
		if u, _ := c.URL(EndpointCompletions); u != "http://h:1/v1/completions" {
			t.Errorf("New(%q).URL = %q", in, u)
		}
	}
}
