package engine

import "time"

// FrontEnd is the cost model of vLLM's API server process: one Python
// process that parses each request, applies the chat template, tokenises
// the prompt (on a single tokenizer thread), hands it to the engine core,
// and for every streamed token detokenises it, builds the SSE chunk and
// writes it. The engine core runs in its own process, so the front-end
// does not slow the GPU's steps; it delays requests on their way in and
// tokens on their way out.
//
// It is a single-server FIFO queue: a request arriving at t reaches the
// engine when the server has finished every job queued before it plus
// PerRequest + PerPromptToken × prompt tokens; each token sampled at the
// end of a step reaches the client PerOutputToken after the server is done
// with the jobs before it. Under heavy streaming (many sequences, short
// steps) the queue fills and new requests' first tokens wait behind other
// requests' output, as on vLLM with one API server (--api-server-count 1).
// DefaultFrontEnd states the parameters; the zero FrontEnd costs nothing.
type FrontEnd struct {
	PerRequest     time.Duration `json:"per_request"`
	PerPromptToken time.Duration `json:"per_prompt_token"`
	PerOutputToken time.Duration `json:"per_output_token"`
}

// feQueue is a FrontEnd's single server: free is when it finishes the
// jobs queued so far.
type feQueue struct {
	p    FrontEnd
	free time.Duration
}

// serve queues a job of cost w arriving at t and returns its completion.
func (q *feQueue) serve(t, w time.Duration) time.Duration {
	q.free = max(q.free, t) + w
	return q.free
}

// request returns when a request sent at t with prompt tokens reaches the
// engine core.
func (q *feQueue) request(t time.Duration, prompt int) time.Duration {
	return q.serve(t, q.p.PerRequest+time.Duration(prompt)*q.p.PerPromptToken)
}

// token returns when a token sampled at t reaches the client.
func (q *feQueue) token(t time.Duration) time.Duration { return q.serve(t, q.p.PerOutputToken) }
