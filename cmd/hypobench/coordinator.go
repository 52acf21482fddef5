package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/hypobench/hypobench/clocksync"
)

func init() {
	register("coordinator", "serve the clock the shards of a sharded run estimate their offsets against", coordinatorCmd)
}

// coordinatorCmd implements
//
//	hypobench coordinator [--addr HOST:PORT]
//
// It serves clocksync's exchange at /clock (and "ok" at /health) until it
// is interrupted, and prints the URL shards are to be given.
func coordinatorCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("coordinator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", ":7070", "address to listen on")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &ExitError{Code: 2}
	}
	if fs.NArg() > 0 {
		return &ExitError{Code: 2, Msg: fmt.Sprintf("coordinator: unexpected argument %q", fs.Arg(0))}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return &ExitError{Code: 2, Msg: fmt.Sprintf("coordinator: %v", err)}
	}
	mux := http.NewServeMux()
	mux.Handle(clocksync.Path, clocksync.Handler(nil))
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
