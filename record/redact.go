package record

import "strings"

// Redacted replaces a secret wherever Redact finds it.
const Redacted = "[REDACTED]"

// minSecret is the shortest key Redact replaces: shorter strings would
// match ordinary text.
const minSecret = 4

// Redact returns s with every occurrence of secret replaced by Redacted,
// matching case-insensitively (ASCII and Unicode simple folding), so an
// echo that upper- or lower-cases the key is caught too. It is the one
// redaction every writer of run files and messages uses: the client's
// error texts, the /metrics scrape log and the CLI's messages. Keys
// shorter than 4 bytes are left alone.
func Redact(s, secret string) string {
	if len(secret) < minSecret || len(s) < len(secret) {
		return s
	}
	if strings.Contains(s, secret) {
		s = strings.ReplaceAll(s, secret, Redacted)
	}
	ls, lk := strings.ToLower(s), strings.ToLower(secret)
	if len(ls) != len(s) || !strings.Contains(ls, lk) {
		if len(ls) == len(s) {
			return s
		}
		return redactFold(s, secret)
	}
	// Lower-casing kept every byte offset (the common, ASCII case): cut by
	// the offsets found in the lowered copy.
	var b strings.Builder
	for {
		i := strings.Index(ls, lk)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(Redacted)
		s, ls = s[i+len(lk):], ls[i+len(lk):]
	}
}

// redactFold is Redact's path for text whose lower-casing changes byte
// lengths: it compares rune windows with strings.EqualFold.
func redactFold(s, secret string) string {
	n := len([]rune(secret))
	rs := []rune(s)
	var b strings.Builder
	for i := 0; i < len(rs); {
		if i+n <= len(rs) && strings.EqualFold(string(rs[i:i+n]), secret) {
			b.WriteString(Redacted)
			i += n
			continue
		}
		b.WriteRune(rs[i])
		i++
	}
	return b.String()
}
