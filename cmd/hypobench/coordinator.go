package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/hypobench/hypobench/clocksync"
)

// barrierHold is how long the start barrier holds a check-in before it
// answers that shards are still missing (the shard then asks again): under
// the usual 30–60 s idle timeouts of proxies and load balancers.
const barrierHold = 25 * time.Second

func init() {
	register("coordinator", "serve the clock the shards of a sharded run estimate their offsets against, and their start barrier", coordinatorCmd)
}

// coordinatorCmd implements
//
//	hypobench coordinator [--addr HOST:PORT] [--shards N] [--start-delay DUR]
//
// It serves clocksync's exchange at /clock, the start barrier at /start
// (startBarrier: shards run with --start-at coordinator check in there and
// get the common start, --start-delay after the last of the --shards N —
// or of as many as the first check-in says — is ready) and "ok" at
// /health until it is interrupted, and prints the URL shards are to be
// given.
func coordinatorCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("coordinator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", ":7070", "address to listen on")
	shards := fs.Int("shards", 0, "shards in the run, for the start barrier (0: as many as the first shard to check in says)")
	delay := fs.Duration("start-delay", 10*time.Second, "the start barrier's common start is this long after the last shard checked in (cover the shards' warm-up)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &ExitError{Code: 2, Msg: fmt.Sprintf("coordinator: unexpected argument %q", fs.Arg(0))}
	}
	if *shards < 0 || *delay < 0 {
		return &ExitError{Code: 2, Msg: "coordinator: --shards and --start-delay must not be negative"}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return &ExitError{Code: 2, Msg: fmt.Sprintf("coordinator: %v", err)}
	}
	mux := http.NewServeMux()
	mux.Handle(clocksync.Path, clocksync.Handler(nil))
	mux.Handle(StartPath, newStartBarrier(*shards, *delay, barrierHold, nil))
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "coordinator: serving the clock at http://%s%s\n", ln.Addr(), clocksync.Path)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("coordinator: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
