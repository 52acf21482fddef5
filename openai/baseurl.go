package openai

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// ErrBaseURL is wrapped by every error of ParseBaseURL.
var ErrBaseURL = errors.New("unusable base URL")

// ParseBaseURL checks a server's base URL and returns its root without a
// trailing slash or "/v1": "http://h:8000/v1/" gives "http://h:8000". The
// client appends "/v1/..." to the root, and /metrics is scraped from it. A
// URL that is not http(s), has no host, or carries credentials
// ("http://user:pass@host") is refused; the error never repeats the
// credentials (the key goes in HYPOBENCH_API_KEY instead), so it can be
// printed before any request is made.
func ParseBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole input, credentials included.
		return "", fmt.Errorf("%w: not a URL", ErrBaseURL)
	}
	if u.User != nil {
		u.User = nil
		return "", fmt.Errorf("%w: %s carries credentials (user:password@); pass the key in HYPOBENCH_API_KEY instead", ErrBaseURL, u.Redacted())
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%w: %q is not an http(s) URL with a host", ErrBaseURL, raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%w: %s: a base URL has no query or fragment", ErrBaseURL, u.Redacted())
	}
	root := strings.TrimRight(u.String(), "/")
	root = strings.TrimSuffix(root, "/v1")
	return strings.TrimRight(root, "/"), nil
}

var userinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\s"']*@`)

// StripCredentials removes the user:password@ part of every URL in s, for
// messages that may quote what a user typed (a flag parser's error).
func StripCredentials(s string) string {
	return userinfo.ReplaceAllString(s, "${1}[REDACTED]@")
}
