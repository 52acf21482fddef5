package engine

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCountTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want int
	}{
		{"", 0},
		{"hi", 1},
		{"hi ", 2},
		{"hi hi hi ", 4},
		{"Hello, world!", 4},                  // Hello , ␣world !
		{"internationalization", 2},           // 20 letters: 10 + 10
		{"2024", 4},                           // digits one by one
		{"a\n\nb", 3},                         // a, \n\n, b
		{"x  y", 3},                           // x, ␣, ␣y
		{"你好", 2},                             // one per rune
		{"<|im_start|>user\nhi<|im_end|>", 5}, // special, user, \n, hi, special
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			if got := CountTokens(tc.text); got != tc.want {
				t.Errorf("CountTokens(%q) = %d %q, want %d", tc.text, got, tokenPieces(tc.text), tc.want)
			}
		})
	}
}

// TestSeedPromptsFitContext: the seed's huge suite (a nonce, then "hi "
// 1000 times, with 512 output tokens) must fit a 4096-token context.
func TestSeedPromptsFitContext(t *testing.T) {
	t.Parallel()
	for _, reps := range []int{40, 400, 1000} {
		prompt := "[req 000123] " + strings.Repeat("hi ", reps)
		n := CountTokens(prompt)
		if n < reps || n > reps+16 {
			t.Errorf("%d repetitions: %d tokens, want about one per repetition", reps, n)
		}
		if n+512 > 4096 {
			t.Errorf("%d repetitions + 512 output = %d tokens > 4096", reps, n+512)
		}
	}
}

func TestOutputTextRetokenises(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := 1; i <= 300; i++ {
		b.WriteString(outputText(42, i))
	}
	if got := CountTokens(b.String()); got != 300 {
		t.Errorf("300 output tokens re-tokenise to %d", got)
	}
}

func TestChatTemplateCount(t *testing.T) {
	t.Parallel()
	text := RenderChat([]ChatMessage{{Role: "user", Content: "hi hi hi"}})
	// <|im_start|> user \n hi ␣hi ␣hi <|im_end|> \n <|im_start|> assistant \n
	if got := CountTokens(text); got != 11 {
		t.Errorf("chat prompt %q: %d tokens %q, want 11", text, got, tokenPieces(text))
	}
}

func FuzzTokenPieces(f *testing.F) {
	for _, s := range []string{"hi hi hi ", "Hello, world!\n\n  x", "你好 <|im_start|>a", "\x00\xff", "   .a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pieces := tokenPieces(s)
		if got := strings.Join(pieces, ""); got != s {
			t.Fatalf("pieces of %q join to %q", s, got)
		}
		for _, p := range pieces {
			if p == "" {
				t.Fatalf("empty piece in %q", s)
			}
		}
		if utf8.ValidString(s) && len(pieces) > utf8.RuneCountInString(s) {
			t.Fatalf("%q: %d pieces for %d runes", s, len(pieces), utf8.RuneCountInString(s))
		}
	})
}
