// Package kube builds the Kubernetes manifests of a sharded run: one run
// spread over N client pods against one target, its shards' run
// directories merged into one afterwards (package merge). Build returns
// typed objects of the Kubernetes API (k8s.io/api); Write prints them as
// YAML documents for `kubectl apply -f -`. What it builds, in apply order:
//
//   - a ConfigMap NAME-suite carrying the suite file (suite.json), mounted
//     read-only at /suite in every pod;
//   - a PersistentVolumeClaim NAME-runs (ReadWriteMany: the shards run on
//     different nodes and write at once; the storage class must offer
//     RWX — NFS, CephFS, EFS, Filestore, Azure Files), mounted at /runs;
//   - a Deployment and a Service NAME-coordinator running `hypobench
//     coordinator`, the clock every shard estimates its offset against
//     (package clocksync) when it starts and when it ends, and — unless
//     Options.StartAt bakes an instant in — the start barrier: each
//     shard (`run --start-at coordinator`) checks in and waits, and the
//     coordinator (`--shards N`) hands all of them one start instant
//     StartDelay after the last is ready. The barrier's state lives in
//     the coordinator's memory: a coordinator pod restarted while shards
//     wait loses the check-ins of those already answered, and the rest
//     wait out their --start-wait;
//   - an Indexed Job NAME-shards (completionMode Indexed, completions =
//     parallelism = N): pod i runs `hypobench run --shard i/N` with i from
//     JOB_COMPLETION_INDEX (wired explicitly from the pod's
//     batch.kubernetes.io/job-completion-index annotation) and writes its
//     run directory under /runs/NAME/shard-i. backoffLimitPerIndex is 0: a
//     shard that fails is not retried — a retry would run its share again
//     from the start and be merged twice — and the others go on; the
//     merge says which shard died and keeps its finished records. Pods are
//     spread over nodes (a topology spread constraint on the hostname),
//     since more client cores is the point. CPU is requested, never
//     limited: CFS throttling would add client-side latency to what is
//     measured. Memory is requested and limited alike;
//   - a Job NAME-merge: one pod that starts beside the shards, runs
//     `hypobench merge --wait` — it polls the shared volume until every
//     shard's config.json shows a final status (or the wait runs out, when
//     it merges what is there and says so) — and writes the merged run,
//     with its reports, to /runs/NAME/merged. Kubernetes has no
//     Job-after-Job ordering; polling the volume needs no API access (no
//     RBAC, no kubectl image) where `kubectl wait` would.
//
// Every container runs as the image's non-root user (ImageUser, 65532)
// with no capabilities; the pods that write the shared volume set fsGroup
// to it.
//
// The API key never appears in a manifest: every pod that talks to the
// target reads HYPOBENCH_API_KEY from a Secret by name (secretKeyRef).
package kube
