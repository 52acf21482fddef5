package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/hypobench/hypobench/engine"
	"github.com/hypobench/hypobench/openai"
	"github.com/hypobench/hypobench/record"
)

// Target is the server under test: a URL given by the user, or the
// embedded engine started in-process, with the client that talks to it.
type Target struct {
	URL   string
	Model string
	// Client is configured for URL: the API key from Env.APIKey, the
	// per-request timeout from Env.Timeout (0 means openai.DefaultTimeout)
	// and openai's defaults for the rest.
	Client   *openai.Client
	Embedded *engine.Server // nil for an external target
	Meta     map[string]any // identity written into config.json
}

// EngineClock returns the embedded engine for Config.Engine, or nil for
// an external target (a nil *engine.Server in the interface would not
// read as nil).
func (t *Target) EngineClock() EngineClock {
	if t.Embedded == nil {
		return nil
	}
	return t.Embedded
}

// Close drops the client's idle connections and stops the embedded
// engine, if one was started.
func (t *Target) Close() {
	if t.Client != nil {
		t.Client.CloseIdleConnections()
	}
	if t.Embedded != nil {
		t.Embedded.Close()
	}
}

// OpenTarget resolves the target described by env: HYPOBENCH_TARGET when
// set, otherwise the embedded engine configured by ec (nil means the
// defaults, with HYPOBENCH_ENGINE, HYPOBENCH_SPEED and HYPOBENCH_SEED
// applied). The model is HYPOBENCH_MODEL or the first one /v1/models lists.
// The returned Target carries a Client for it (see Target.Client); Close
// releases both.
func OpenTarget(ctx context.Context, env Env, ec *engine.Config) (*Target, error) {
	if err := env.Validate(); err != nil {
		return nil, err
	}
	t := &Target{URL: env.Target, Model: env.Model, Meta: map[string]any{}}
	if t.URL == "" {
		cfg := engine.DefaultConfig
		if ec != nil {
			cfg = *ec
		}
		if env.Engine != "" && ec == nil {
			cfg.Spec = env.Engine
		}
		if env.Speed > 0 && ec == nil {
			cfg.Speed = env.Speed
		}
		if env.SeedSet && ec == nil {
			cfg.Seed = env.Seed
		}
		// The engine outlives ctx: an interrupted run's in-flight requests
		// get their grace period against a live server (Close stops it).
		srv, err := engine.Start(context.WithoutCancel(ctx), cfg)
		if err != nil {
			return nil, fmt.Errorf("starting the embedded engine: %w", err)
		}
		t.Embedded = srv
		t.URL = srv.URL()
		t.Meta["target"] = "embedded"
		t.Meta["engine"] = srv.Describe()
	} else {
		root, err := openai.ParseBaseURL(t.URL)
		if err != nil {
			return nil, err
		}
		t.URL = root
		t.Meta["target"] = t.URL
	}
	if t.Model == "" {
		m, err := firstModel(ctx, t.URL, env.APIKey)
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("%w: asking %s/v1/models for a model (set HYPOBENCH_MODEL to skip): %v", ErrNoTarget, t.URL, err)
		}
		t.Model = m
	}
	t.Meta["model"] = t.Model
	c, err := openai.New(openai.Config{BaseURL: t.URL, APIKey: openai.Secret(env.APIKey), Timeout: env.Timeout})
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("client for %s: %w", t.URL, err)
	}
	t.Client = c
	return t, nil
}

func firstModel(ctx context.Context, base, key string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/models", nil)
	if err != nil {
		return "", err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", errors.New(record.Redact(err.Error(), key))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var ms struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ms); err != nil {
		return "", fmt.Errorf("decoding /v1/models: %w", err)
	}
	if len(ms.Data) == 0 {
		return "", fmt.Errorf("/v1/models lists no model")
	}
	return ms.Data[0].ID, nil
}

// Validate checks an Env built in code with the rules its parsers apply to
// variables and flags: a usable target URL (no credentials), finite
// non-negative numbers (zero means "the default"), a named reports root.
func (e Env) Validate() error {
	if e.Target != "" {
		if _, err := openai.ParseBaseURL(e.Target); err != nil {
			return fmt.Errorf("target: %w", err)
		}
	}
	switch {
	case math.IsNaN(e.Speed) || math.IsInf(e.Speed, 0) || e.Speed < 0:
		return fmt.Errorf("speed %v: %w: want a positive finite number", e.Speed, ErrSetting)
	case e.Requests < 0:
		return fmt.Errorf("requests %d: %w: want a positive integer", e.Requests, ErrSetting)
	case e.Timeout < 0:
		return fmt.Errorf("timeout %s: %w: want a positive duration", e.Timeout, ErrSetting)
	case e.Endpoint != "" && e.Endpoint != "completions" && e.Endpoint != "chat":
		return fmt.Errorf("endpoint %q: %w: want completions or chat", e.Endpoint, ErrSetting)
	}
	for _, c := range e.Concurrency {
		if c < 1 {
			return fmt.Errorf("concurrency %d: %w: want positive integers", c, ErrSetting)
		}
	}
	return nil
}
