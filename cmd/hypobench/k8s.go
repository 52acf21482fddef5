package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/hypobench/hypobench/kube"
	"github.com/hypobench/hypobench/record"
	hrun "github.com/hypobench/hypobench/run"
	"github.com/hypobench/hypobench/workload"
)

func init() {
	register("k8s", "print the Kubernetes manifests of a run sharded over N client pods", k8sCmd)
}

// k8sCmd implements
//
//	hypobench k8s --image IMAGE --target URL --shards N [--suite tiny|FILE] [--api-key-secret NAME] ...
//
// It prints the manifests (package kube) to stdout for `kubectl apply -f
// -`. The suite is loaded and validated here, then carried by the
// ConfigMap; the API key is never read: the pods take it from the named
// Secret. Exit status 2 on bad options.
func k8sCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("k8s", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o kube.Options
	suite := fs.String("suite", "tiny", "suite: tiny, huge, or a suite file (carried by the ConfigMap)")
	fs.StringVar(&o.Name, "name", kube.DefaultName, "prefix of every object's name (a DNS label)")
	fs.StringVar(&o.Namespace, "namespace", "", "namespace of every object (default: kubectl's)")
	fs.StringVar(&o.Image, "image", "", "the hypobench image (build it from the repository's Dockerfile)")
	fs.StringVar(&o.Target, "target", "", "base URL of the server under test as the pods reach it")
	fs.StringVar(&o.Model, "model", "", "model name (empty: the first listed by /v1/models)")
	fs.IntVar(&o.Shards, "shards", 0, "client pods the run is spread over")
	fs.StringVar(&o.APIKeySecret, "api-key-secret", "", "name of a Secret holding the target's API key (never the key itself)")
	fs.StringVar(&o.APIKeySecretKey, "api-key-secret-key", kube.DefaultAPIKeySecretKey, "the key inside that Secret")
	fs.StringVar(&o.StorageClass, "storage-class", "", "storage class of the shared volume; it must offer ReadWriteMany (default: the cluster's)")
	fs.StringVar(&o.Storage, "storage", kube.DefaultStorage, "size of the shared volume")
	fs.StringVar(&o.CPU, "cpu", kube.DefaultCPU, "CPU each shard pod requests (never limited: throttling would add to the latencies measured)")
	fs.StringVar(&o.Memory, "memory", kube.DefaultMemory, "memory each shard pod requests and is limited to")
	fs.StringVar(&o.StartAt, "start-at", "", "common wall-clock instant the shards start (RFC 3339); default: the coordinator's start barrier")
	fs.DurationVar(&o.StartDelay, "start-delay", kube.DefaultStartDelay, "with the start barrier, how long after the last shard is ready the run starts")
	fs.DurationVar(&o.PhaseDuration, "phase-duration", 0, "time-box every phase so phases stay aligned across shards")
	fs.DurationVar(&o.MergeWait, "merge-wait", kube.DefaultMergeWait, "how long the merge job waits for the shards")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hypobench k8s --image IMAGE --target URL --shards N [--suite tiny|FILE] [--api-key-secret NAME] [flags]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &ExitError{Code: 2, Msg: fmt.Sprintf("k8s: unexpected argument %q", fs.Arg(0))}
	}
	if o.StartAt == StartAtCoordinator {
		o.StartAt = "" // the barrier is the default
	}
	s, err := workload.LoadSuite(*suite)
	if err != nil {
		return &ExitError{Code: 2, Msg: "k8s: " + err.Error()}
	}
	if s.Trace != nil {
		return &ExitError{Code: 2, Msg: fmt.Sprintf("k8s: suite %s replays a trace file; the ConfigMap carries the suite alone, so trace suites are not supported here yet", s.Name)}
	}
	// The shards will refuse an open-loop suite their flags cannot run
	// (run.Sharding.Check); say so now rather than in N pods' logs.
	sh := &hrun.Sharding{Shard: record.Shard{Count: max(o.Shards, 1)}, StartAt: time.Now(), PhaseDuration: o.PhaseDuration}
	if err := sh.Check(s); err != nil {
		return &ExitError{Code: 2, Msg: "k8s: " + err.Error()}
	}
	if o.Suite, err = json.MarshalIndent(s, "", "  "); err != nil {
		return fmt.Errorf("k8s: encoding suite %s: %w", s.Name, err)
	}
	objs, err := kube.Build(o)
	if err != nil {
		return &ExitError{Code: 2, Msg: "k8s: " + err.Error()}
	}
	return kube.Write(stdout, objs)
}
