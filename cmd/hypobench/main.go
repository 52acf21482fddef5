// Command hypobench runs workloads against an OpenAI-compatible inference
// server, serves the embedded engine, rebuilds reports and compares runs.
//
// Each subcommand lives in its own file and registers itself with register;
// main is one line around run so the CLI can be tested in-process.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

func main() {
	os.Exit(exitCode(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// command is one subcommand: it parses its own flags from args.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

// register adds a subcommand. Subcommand NAME is the function nameCmd in
// NAME.go (abab shares compare.go), registered from that file's init.
func register(name, summary string, fn func(ctx context.Context, args []string, stdout, stderr io.Writer) error) {
	commands[name] = command{summary: summary, run: fn}
}

// ExitError carries a specific exit status (1 fail, 2 inconclusive or
// unusable input) with an optional message.
type ExitError struct {
	Code int
	Msg  string
}

func (e *ExitError) Error() string { return e.Msg }

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Msg != "" {
			fmt.Fprintln(stderr, "hypobench:", ee.Msg)
		}
		return ee.Code
	}
	fmt.Fprintln(stderr, "hypobench:", err)
	return 1
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: hypobench <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}

// run dispatches args[0] to its subcommand. The first SIGINT or SIGTERM
// cancels ctx (in-flight work gets its grace period); a second closes the
// channel abortOf(ctx) returns, cutting the grace short.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		usage(stderr)
		return &ExitError{Code: 2, Msg: fmt.Sprintf("unknown command %q", args[0])}
	}
	ctx, stop := interrupts(ctx, stderr)
	defer stop()
	return c.run(ctx, args[1:], stdout, stderr)
}

type abortKey struct{}

// abortOf returns the channel closed on a second interrupt (nil outside
// run: it never closes).
func abortOf(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(abortKey{}).(chan struct{})
	return ch
}

// interrupts returns ctx cancelled by the first SIGINT/SIGTERM, carrying
// the channel a second one closes; each is announced on stderr.
func interrupts(parent context.Context, stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	abort := make(chan struct{})
	ctx = context.WithValue(ctx, abortKey{}, abort)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		for n := 0; n < 2; n++ {
			select {
			case sig := <-sigs:
				if n == 0 {
					fmt.Fprintf(stderr, "\nhypobench: %v: stopping; in-flight work gets its grace period (interrupt again to cut it short)\n", sig)
					cancel()
				} else {
					fmt.Fprintf(stderr, "\nhypobench: second %v: cutting the grace period short; what is still in flight is cut now\n", sig)
					close(abort)
				}
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}
