package engine

import (
	"hash/fnv"
	"strings"
	"unicode/utf8"
)

// The engine has no vocabulary; it approximates a byte-level BPE such as
// Qwen2's or Llama 3's with fixed rules, so prompt token counts are
// deterministic, stable across runs and the same in usage and /tokenize:
//
//   - a run of ASCII letters, with at most one space before it, is one
//     token per 10 letters ("hi", " hi", " hello" are one token each);
//   - every digit is one token (Qwen2 splits numbers into digits);
//   - other ASCII punctuation is one token per character, taking one
//     preceding space with it;
//   - a run of newlines is one token; a run of other whitespace is one
//     token (leaving its last space to a following word);
//   - any other rune (CJK, accented letters, emoji) is one token;
//   - the chat special tokens <|im_start|> and <|im_end|> are one token.
//
// A prompt built as a short nonce followed by "hi " repeated N times thus
// costs about N + 5 tokens: 1000 repetitions plus 512 output tokens fit a
// 4096-token context, as the seed's huge suite requires of real tokenizers.
// Token ids are a hash of the piece and mean nothing.

const (
	imStart = "<|im_start|>"
	imEnd   = "<|im_end|>"
)

// maxWordPiece is the letters one word token holds before it splits.
const maxWordPiece = 10

// tokenPieces splits text into the pieces the rules above define.
func tokenPieces(text string) []string {
	var out []string
	i := 0
	for i < len(text) {
		if strings.HasPrefix(text[i:], imStart) {
			out = append(out, imStart)
			i += len(imStart)
			continue
		}
		if strings.HasPrefix(text[i:], imEnd) {
			out = append(out, imEnd)
			i += len(imEnd)
			continue
		}
		c := text[i]
		start := i
		if c == ' ' && i+1 < len(text) && (isLetter(text[i+1]) || isPunct(text[i+1])) {
			i++ // the space joins the next word or punctuation
			c = text[i]
		}
		switch {
		case isLetter(c):
			j := i
			for j < len(text) && isLetter(text[j]) {
				j++
			}
			for k := i; k < j; k += maxWordPiece {
				from := k
				if k == i {
					from = start // the first piece keeps the leading space
				}
				out = append(out, text[from:min(j, k+maxWordPiece)])
			}
			i = j
		case isPunct(c):
			out = append(out, text[start:i+1])
			i++
		case c >= '0' && c <= '9':
			out = append(out, text[i:i+1])
			i++
		case c == '\n' || c == '\r':
			j := i
			for j < len(text) && (text[j] == '\n' || text[j] == '\r') {
				j++
			}
			out = append(out, text[i:j])
			i = j
		case c == ' ' || c == '\t' || c == '\v' || c == '\f':
			j := i + 1
			for j < len(text) && (text[j] == ' ' || text[j] == '\t' || text[j] == '\v' || text[j] == '\f') {
				j++
			}
			// Leave one space to a following word or punctuation.
			if j < len(text) && j-i > 1 && text[j-1] == ' ' && (isLetter(text[j]) || isPunct(text[j])) {
				j--
			}
			out = append(out, text[i:j])
			i = j
		case c < utf8.RuneSelf:
			out = append(out, text[i:i+1]) // control characters
			i++
		default:
			_, n := utf8.DecodeRuneInString(text[i:])
			out = append(out, text[i:i+n])
			i += n
		}
	}
	return out
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isPunct(c byte) bool {
	return c > ' ' && c < utf8.RuneSelf && !isLetter(c) && !(c >= '0' && c <= '9') && c != 0x7f
}

// CountTokens returns how many tokens the engine's tokenizer makes of text.
func CountTokens(text string) int { return len(tokenPieces(text)) }

// TokenIDs returns deterministic ids for text's pieces, below vocab: the
// same text always gives the same ids, so identical prompts share their
// prefix-cache blocks (see BlockHashes). The ids are a hash of each piece
// and mean nothing.
func TokenIDs(text string, vocab int) []int {
	pieces := tokenPieces(text)
	ids := make([]int, len(pieces))
	for i, p := range pieces {
		h := fnv.New32a()
		h.Write([]byte(p))
		ids[i] = int(h.Sum32() % uint32(max(vocab, 1)))
	}
	return ids
}

// ChatMessage is one message of a chat request, content as text.
type ChatMessage struct {
	Role    string
	Content string
}

// RenderChat returns the prompt text the engine tokenises for a chat
// request: messages in the ChatML template Qwen uses (without Qwen's
// default system prompt), ending with the assistant's turn opener.
func RenderChat(msgs []ChatMessage) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(imStart + m.Role + "\n" + m.Content + imEnd + "\n")
	}
	b.WriteString(imStart + "assistant\n")
	return b.String()
}

// outputWords are the engine's output vocabulary: each, with its leading
// space, is one token for the tokenizer above, so re-tokenising an output
// text gives back its completion_tokens.
var outputWords = []string{
	" the", " of", " and", " to", " in", " is", " that", " it", " for", " on",
	" with", " as", " was", " at", " by", " an", " be", " this", " from", " or",
	" model", " token", " batch", " cache", " step", " decode", " prefill", " kernel",
}

// outputText returns the text of output token index (1-based) of the
// request with key.
func outputText(key uint64, index int) string {
	return outputWords[(key+uint64(index)*7)%uint64(len(outputWords))]
}

// RequestKey returns the key the server gives a request with this prompt
// text (rendered, for chat): it seeds the request's end-of-sequence draws
// and output text. SimRequest.Key takes it to mirror the server.
func RequestKey(prompt string) uint64 { return hashKey(prompt) }

// hashKey returns a 64-bit FNV-1a hash, the default request key.
func hashKey(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
