package run

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Env holds the HYPOBENCH_* configuration. Environment variables are used
// because flags do not travel through `go test ./...`.
type Env struct {
	Target      string // HYPOBENCH_TARGET: base URL; empty starts the embedded engine
	Model       string // HYPOBENCH_MODEL: empty asks the target's /v1/models
	APIKey      string `json:"-"` // HYPOBENCH_API_KEY, falling back to OPENAI_API_KEY
	Suite       string // HYPOBENCH_SUITE: built-in name or file
	Concurrency []int  // HYPOBENCH_CONCURRENCY: e.g. 1,2,4,8
	Requests    int    // HYPOBENCH_REQUESTS: requests per profile per level
	Out         string // HYPOBENCH_OUT: reports root (default "reports")
	Seed        uint64 // HYPOBENCH_SEED
	SeedSet     bool
	Engine      string        // HYPOBENCH_ENGINE: embedded engine gpu:model
	Speed       float64       // HYPOBENCH_SPEED: embedded engine time compression
	Trace       string        // HYPOBENCH_TRACE: kernel trace file, or "profile"
	Endpoint    string        // HYPOBENCH_ENDPOINT: completions or chat
	Timeout     time.Duration // HYPOBENCH_TIMEOUT: per request; 0 means openai.DefaultTimeout
}

// LoadEnv reads the HYPOBENCH_* variables. A malformed value is an error
// naming the variable.
func LoadEnv() (Env, error) {
	e := Env{
		Target:   strings.TrimRight(os.Getenv("HYPOBENCH_TARGET"), "/"),
		Model:    os.Getenv("HYPOBENCH_MODEL"),
		APIKey:   os.Getenv("HYPOBENCH_API_KEY"),
		Suite:    os.Getenv("HYPOBENCH_SUITE"),
		Out:      os.Getenv("HYPOBENCH_OUT"),
		Engine:   os.Getenv("HYPOBENCH_ENGINE"),
		Trace:    os.Getenv("HYPOBENCH_TRACE"),
		Endpoint: os.Getenv("HYPOBENCH_ENDPOINT"),
	}
	if e.APIKey == "" {
		e.APIKey = os.Getenv("OPENAI_API_KEY")
	}
	if e.Out == "" {
		e.Out = "reports"
	}
	var err error
	if v := os.Getenv("HYPOBENCH_CONCURRENCY"); v != "" {
		if e.Concurrency, err = ParseInts(v); err != nil {
			return e, fmt.Errorf("HYPOBENCH_CONCURRENCY=%q: %w", v, err)
		}
	}
	if v := os.Getenv("HYPOBENCH_REQUESTS"); v != "" {
		if e.Requests, err = strconv.Atoi(v); err != nil || e.Requests < 1 {
			return e, fmt.Errorf("HYPOBENCH_REQUESTS=%q: want a positive integer", v)
		}
	}
	if v := os.Getenv("HYPOBENCH_SEED"); v != "" {
		if e.Seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			return e, fmt.Errorf("HYPOBENCH_SEED=%q: want an unsigned integer", v)
		}
		e.SeedSet = true
	}
	if v := os.Getenv("HYPOBENCH_SPEED"); v != "" {
		if e.Speed, err = strconv.ParseFloat(v, 64); err != nil || e.Speed <= 0 {
			return e, fmt.Errorf("HYPOBENCH_SPEED=%q: want a positive number", v)
		}
	}
	if v := os.Getenv("HYPOBENCH_TIMEOUT"); v != "" {
		if e.Timeout, err = time.ParseDuration(v); err != nil {
			return e, fmt.Errorf("HYPOBENCH_TIMEOUT=%q: %w", v, err)
		}
	}
	return e, nil
}

// ParseInts parses a comma-separated list of positive integers.
func ParseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty list")
	}
	return out, nil
}
