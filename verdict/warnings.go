package verdict

import (
	"encoding/json"
	"errors"
)

// Warnings are the problems found while reaching a verdict, as errors: each
// wraps a sentinel (ErrNoChecks, stats.ErrTooFewData, a hypothesis's own)
// so that errors.Is tells them apart, the way benchmath's Warnings do.
// In JSON they are the list of their messages; read back, each is an error
// with the same message (the sentinel does not survive the file).
type Warnings []error

// MarshalJSON encodes ws as the list of their messages.
func (ws Warnings) MarshalJSON() ([]byte, error) {
	return json.Marshal(ws.Strings())
}

// UnmarshalJSON decodes a list of messages into errors.
func (ws *Warnings) UnmarshalJSON(b []byte) error {
	var s []string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == nil {
		*ws = nil
		return nil
	}
	out := make(Warnings, len(s))
	for i, m := range s {
		out[i] = errors.New(m)
	}
	*ws = out
	return nil
}

// Strings returns the messages of ws.
func (ws Warnings) Strings() []string {
	s := make([]string, len(ws))
	for i, w := range ws {
		s[i] = w.Error()
	}
	return s
}
