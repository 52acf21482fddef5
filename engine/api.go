package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// apiError is an OpenAI error with its HTTP status, written as vLLM does:
// {"error": {"message", "type", "param", "code"}}.
type apiError struct {
	Status  int
	Type    string
	Message string
	Param   string
}

func (e *apiError) Error() string { return e.Message }

func badRequest(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "BadRequestError", Message: fmt.Sprintf(format, args...)}
}

func writeError(w http.ResponseWriter, e *apiError) {
	var param any
	if e.Param != "" {
		param = e.Param
	}
	writeJSON(w, e.Status, map[string]any{"error": map[string]any{
		"message": e.Message, "type": e.Type, "param": param, "code": e.Status}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// streamOptions is OpenAI's stream_options.
type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// genRequest is the union of the completions and chat request fields the
// engine reads; others are accepted and ignored.
type genRequest struct {
	Model               string          `json:"model"`
	Prompt              json.RawMessage `json:"prompt"`
	Messages            []rawMessage    `json:"messages"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	MinTokens           int             `json:"min_tokens"`
	IgnoreEOS           bool            `json:"ignore_eos"`
	Stream              bool            `json:"stream"`
	StreamOptions       *streamOptions  `json:"stream_options"`
	N                   *int            `json:"n"`
}

type rawMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// text returns a message's content: a string, or the text parts of a list.
func (m rawMessage) text() (string, error) {
	if len(m.Content) == 0 || string(m.Content) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(m.Content, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(m.Content, &parts); err != nil {
		return "", badRequest("message content must be a string or a list of parts: %v", err)
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

// decodeBody reads a JSON body of at most limit bytes into v.
// decodePost is the prologue of the POST endpoints that take a generation
// request: 405 for another method, then decodeBody; on an error it has
// written the answer and returns false.
func (s *Server) decodePost(w http.ResponseWriter, r *http.Request, req *genRequest) bool {
	if r.Method != http.MethodPost {
		writeError(w, &apiError{Status: http.StatusMethodNotAllowed, Type: "MethodNotAllowed", Message: "use POST"})
		return false
	}
	if err := decodeBody(w, r, s.cfg.MaxRequestBytes, req); err != nil {
		writeError(w, err)
		return false
	}
	return true
}

func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) *apiError {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &apiError{Status: http.StatusRequestEntityTooLarge, Type: "RequestEntityTooLarge",
				Message: fmt.Sprintf("request body exceeds %d bytes", limit)}
		}
		return badRequest("reading request body: %v", err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("JSON decode error: %v", err)
	}
	return nil
}

// promptText returns the prompt of a completions request: a string, a
// list of one string, or token ids (a list of ints or a list of one such
// list). ids is set only for token-id prompts; a text prompt's ids are
// its tokenisation (TokenIDs).
func promptText(raw json.RawMessage) (text string, ids []int, err *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil, badRequest("prompt is required")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil, nil
	}
	var ss []string
	if json.Unmarshal(raw, &ss) == nil {
		if len(ss) != 1 {
			return "", nil, badRequest("only one prompt per request is supported, got %d", len(ss))
		}
		return ss[0], nil, nil
	}
	if json.Unmarshal(raw, &ids) == nil {
		return fmt.Sprint(ids), ids, nil
	}
	var idss [][]int
	if json.Unmarshal(raw, &idss) == nil && len(idss) == 1 {
		return fmt.Sprint(idss[0]), idss[0], nil
	}
	return "", nil, badRequest("prompt must be a string, a list of one string, or token ids")
}

// chatPrompt renders chat messages with the chat template.
func chatPrompt(raw []rawMessage) (string, *apiError) {
	if len(raw) == 0 {
		return "", badRequest("messages must not be empty")
	}
	msgs := make([]ChatMessage, len(raw))
	for i, m := range raw {
		t, err := m.text()
		if err != nil {
			return "", err.(*apiError)
		}
		msgs[i] = ChatMessage{Role: m.Role, Content: t}
	}
	return RenderChat(msgs), nil
}

// promptIDs returns the token ids of a completions or chat request's
// prompt and its text.
func (s *Server) promptIDs(req *genRequest, chat bool) (string, []int, *apiError) {
	var text string
	var ids []int
	var err *apiError
	if chat {
		text, err = chatPrompt(req.Messages)
	} else {
		text, ids, err = promptText(req.Prompt)
	}
	if err != nil {
		return "", nil, err
	}
	if ids == nil {
		ids = TokenIDs(text, s.info.Model.Vocab)
	}
	return text, ids, nil
}

// admission is a validated generation request.
type admission struct {
	prompt       string
	promptTokens int
	// hashes are the prefix-cache hashes of the prompt's full blocks.
	hashes       []uint64
	maxTokens    int
	minTokens    int
	ignoreEOS    bool
	stream       bool
	includeUsage bool
}

// validate checks a request against the served model and max_model_len,
// with vLLM's status codes and wording.
func (s *Server) validate(req *genRequest, chat bool) (admission, *apiError) {
	if req.Model != "" && req.Model != s.info.ServedModelName {
		return admission{}, &apiError{Status: http.StatusNotFound, Type: "NotFoundError", Param: "model",
			Message: fmt.Sprintf("The model `%s` does not exist.", req.Model)}
	}
	if req.N != nil && *req.N != 1 {
		return admission{}, badRequest("n=%d is not supported; only n=1", *req.N)
	}
	var a admission
	prompt, ids, err := s.promptIDs(req, chat)
	if err != nil {
		return a, err
	}
	a.prompt, a.promptTokens = prompt, len(ids)
	if s.info.PrefixCaching {
		a.hashes = BlockHashes(ids)
	}
	maxLen := s.info.MaxModelLen
	if a.promptTokens < 1 {
		return a, badRequest("The prompt must not be empty.")
	}
	if a.promptTokens >= maxLen {
		return a, badRequest("This model's maximum context length is %d tokens. However, your request has %d input tokens. "+
			"Please reduce the length of the input messages.", maxLen, a.promptTokens)
	}
	mt := req.MaxTokens
	if chat && req.MaxCompletionTokens != nil {
		mt = req.MaxCompletionTokens
	}
	switch {
	case mt != nil:
		a.maxTokens = *mt
	case chat:
		a.maxTokens = maxLen - a.promptTokens
	default:
		a.maxTokens = 16 // vLLM's completions default
	}
	if a.maxTokens < 1 {
		return a, badRequest("max_tokens must be at least 1, got %d.", a.maxTokens)
	}
	if a.promptTokens+a.maxTokens > maxLen {
		return a, badRequest("'max_tokens' or 'max_completion_tokens' is too large: %d. This model's maximum context length "+
			"is %d tokens and your request has %d input tokens (%d > %d - %d).",
			a.maxTokens, maxLen, a.promptTokens, a.maxTokens, maxLen, a.promptTokens)
	}
	if req.MinTokens < 0 || req.MinTokens > a.maxTokens {
		return a, badRequest("min_tokens must be between 0 and max_tokens=%d, got %d.", a.maxTokens, req.MinTokens)
	}
	a.minTokens, a.ignoreEOS, a.stream = req.MinTokens, req.IgnoreEOS, req.Stream
	a.includeUsage = req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	return a, nil
}
