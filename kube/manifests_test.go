package kube

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hypobench/hypobench/internal/testutil"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

const testSuite = `{"name":"tiny","profiles":[{"name":"short_short","prompt_rep":4,"max_tokens":16}],"concurrency":[4,16],"requests":32}`

func testOptions() Options {
	return Options{
		Name: "bench-a", Namespace: "llm", Image: "registry.example/hypobench:v1", Target: "http://vllm.llm.svc:8000",
		Model: "Qwen/Qwen2.5-7B-Instruct", Shards: 4, Suite: []byte(testSuite), APIKeySecret: "vllm-api-key",
		StorageClass: "nfs-rwx", CPU: "4", Memory: "3Gi", StartDelay: 20 * time.Second, PhaseDuration: 2 * time.Minute,
	}
}

// manifests holds the printed YAML parsed strictly back into API types.
type manifests struct {
	configMaps  []*corev1.ConfigMap
	pvcs        []*corev1.PersistentVolumeClaim
	deployments []*appsv1.Deployment
	services    []*corev1.Service
	jobs        map[string]*batchv1.Job
	names       []string
}

// parse splits the printed text into documents and decodes each strictly
// (an unknown or misspelt field fails) into the type its kind names.
func parse(t *testing.T, text string) manifests {
	t.Helper()
	m := manifests{jobs: map[string]*batchv1.Job{}}
	for i, doc := range strings.Split(text, "\n---\n") {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("document %d: %v", i+1, err)
		}
		strict := func(v any) {
			if err := yaml.UnmarshalStrict([]byte(doc), v); err != nil {
				t.Fatalf("document %d (%s): strict decode: %v\n%s", i+1, tm.Kind, err, doc)
			}
		}
		var meta metav1.ObjectMeta
		switch tm.APIVersion + " " + tm.Kind {
		case "v1 ConfigMap":
			var o corev1.ConfigMap
			strict(&o)
			m.configMaps, meta = append(m.configMaps, &o), o.ObjectMeta
		case "v1 PersistentVolumeClaim":
			var o corev1.PersistentVolumeClaim
			strict(&o)
			m.pvcs, meta = append(m.pvcs, &o), o.ObjectMeta
		case "apps/v1 Deployment":
			var o appsv1.Deployment
			strict(&o)
			m.deployments, meta = append(m.deployments, &o), o.ObjectMeta
		case "v1 Service":
			var o corev1.Service
			strict(&o)
			m.services, meta = append(m.services, &o), o.ObjectMeta
		case "batch/v1 Job":
			var o batchv1.Job
			strict(&o)
			m.jobs[o.Name], meta = &o, o.ObjectMeta
		default:
			t.Fatalf("document %d: unexpected %s %s", i+1, tm.APIVersion, tm.Kind)
		}
		if msgs := validation.IsDNS1123Subdomain(meta.Name); len(msgs) > 0 {
			t.Errorf("%s name %q: %v", tm.Kind, meta.Name, msgs)
		}
		checkLabels(t, tm.Kind+" "+meta.Name, meta.Labels)
		m.names = append(m.names, tm.Kind+"/"+meta.Name)
	}
	return m
}

func checkLabels(t *testing.T, what string, labels map[string]string) {
	t.Helper()
	for k, v := range labels {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			t.Errorf("%s: label key %q: %v", what, k, msgs)
		}
		if msgs := validation.IsValidLabelValue(v); len(msgs) > 0 {
			t.Errorf("%s: label %s=%q: %v", what, k, v, msgs)
		}
	}
}

func build(t *testing.T, o Options) string {
	t.Helper()
	objs, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, objs); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func envOf(c corev1.Container) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		m[e.Name] = e
	}
	return m
}

// TestManifests prints the manifests for a 4-shard run, parses them back
// strictly and checks what a sharded run depends on.
func TestManifests(t *testing.T) {
	text := build(t, testOptions())
	testutil.Golden(t, filepath.Join("testdata", "manifests.golden.yaml"), []byte(text))
	m := parse(t, text)
	want := []string{"ConfigMap/bench-a-suite", "PersistentVolumeClaim/bench-a-runs", "Deployment/bench-a-coordinator",
		"Service/bench-a-coordinator", "Job/bench-a-shards", "Job/bench-a-merge"}
	if !slices.Equal(m.names, want) {
		t.Fatalf("objects %v, want %v in apply order", m.names, want)
	}

	// The suite travels verbatim.
	if got := m.configMaps[0].Data[SuiteKey]; got != testSuite {
		t.Errorf("ConfigMap %s = %q, want the suite file", SuiteKey, got)
	}
	// The shared volume: every pod on any node writes it.
	pvc := m.pvcs[0]
	if !slices.Equal(pvc.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}) ||
		pvc.Spec.StorageClassName == nil || *pvc.Spec.StorageClassName != "nfs-rwx" ||
		pvc.Spec.Resources.Requests.Storage().Cmp(resource.MustParse("10Gi")) != 0 {
		t.Errorf("PVC spec %+v", pvc.Spec)
	}

	shards := m.jobs["bench-a-shards"]
	s := shards.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("completionMode %v, want Indexed", s.CompletionMode)
	}
	if s.Completions == nil || *s.Completions != 4 || s.Parallelism == nil || *s.Parallelism != 4 {
		t.Errorf("completions %v parallelism %v, want 4 and 4", s.Completions, s.Parallelism)
	}
	if s.BackoffLimitPerIndex == nil || *s.BackoffLimitPerIndex != 0 || s.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("a failed shard must not be retried: backoffLimitPerIndex %v, restartPolicy %s", s.BackoffLimitPerIndex, s.Template.Spec.RestartPolicy)
	}
	if len(s.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers in a shard pod", len(s.Template.Spec.Containers))
	}
	c := s.Template.Spec.Containers[0]
	env := envOf(c)
	idx, ok := env[IndexEnv]
	if !ok || idx.ValueFrom == nil || idx.ValueFrom.FieldRef == nil ||
		idx.ValueFrom.FieldRef.FieldPath != "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
		t.Errorf("%s is not wired from the completion-index annotation: %+v", IndexEnv, idx)
	}
	// $(VAR) expands only variables defined earlier in the list.
	pos := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == IndexEnv })
	for i, e := range c.Env {
		if strings.Contains(e.Value, "$("+IndexEnv+")") && i < pos {
			t.Errorf("%s uses $(%s) before it is defined", e.Name, IndexEnv)
		}
	}
	if got := env["HYPOBENCH_OUT"].Value; got != "/runs/bench-a/shard-$(JOB_COMPLETION_INDEX)" {
		t.Errorf("HYPOBENCH_OUT = %q", got)
	}
	if env["HYPOBENCH_TARGET"].Value != "http://vllm.llm.svc:8000" || env["HYPOBENCH_SUITE"].Value != "/suite/suite.json" ||
		env["HYPOBENCH_MODEL"].Value != "Qwen/Qwen2.5-7B-Instruct" {
		t.Errorf("target, suite or model env: %+v", c.Env)
	}
	key := env["HYPOBENCH_API_KEY"]
	if key.Value != "" || key.ValueFrom == nil || key.ValueFrom.SecretKeyRef == nil ||
		key.ValueFrom.SecretKeyRef.Name != "vllm-api-key" || key.ValueFrom.SecretKeyRef.Key != DefaultAPIKeySecretKey {
		t.Errorf("HYPOBENCH_API_KEY must come from secret vllm-api-key key %s, got %+v", DefaultAPIKeySecretKey, key)
	}
	wantArgs := []string{"run", "--shard", "$(JOB_COMPLETION_INDEX)/4", "--coordinator", "http://bench-a-coordinator:7070",
		"--no-report", "--start-at", "coordinator", "--phase-duration", "2m0s"}
	if !slices.Equal(c.Args, wantArgs) {
		t.Errorf("shard args %q, want %q", c.Args, wantArgs)
	}
	// Resources: CPU requested, never limited; memory requested = limited.
	r := c.Resources
	if r.Requests.Cpu().Cmp(resource.MustParse("4")) != 0 || r.Requests.Memory().Cmp(resource.MustParse("3Gi")) != 0 {
		t.Errorf("shard requests %v", r.Requests)
	}
	if _, limited := r.Limits[corev1.ResourceCPU]; limited || r.Limits.Memory().Cmp(resource.MustParse("3Gi")) != 0 {
		t.Errorf("shard limits %v: want memory 3Gi and no CPU limit", r.Limits)
	}
	checkMounts(t, "shard", s.Template.Spec, "bench-a-suite", "bench-a-runs")
	if sc := c.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != ImageUser {
		t.Errorf("shard container security context %+v: want non-root user %d", sc, ImageUser)
	}
	if ps := s.Template.Spec.SecurityContext; ps == nil || ps.FSGroup == nil || *ps.FSGroup != ImageUser {
		t.Errorf("shard pod security context %+v: want fsGroup %d so the volume is writable", ps, ImageUser)
	}
	if tsc := s.Template.Spec.TopologySpreadConstraints; len(tsc) != 1 || tsc[0].TopologyKey != corev1.LabelHostname ||
		!maps.Equal(tsc[0].LabelSelector.MatchLabels, s.Template.Labels) {
		t.Errorf("shards are not spread over nodes: %+v", tsc)
	}

	// The coordinator: the Service selects the Deployment's pods on the
	// port the shards are given.
	dep, svc := m.deployments[0], m.services[0]
	if !maps.Equal(svc.Spec.Selector, dep.Spec.Template.Labels) || !maps.Equal(dep.Spec.Selector.MatchLabels, dep.Spec.Template.Labels) {
		t.Errorf("coordinator selectors do not match its pods: service %v, deployment %v, pods %v", svc.Spec.Selector, dep.Spec.Selector, dep.Spec.Template.Labels)
	}
	if msgs := validation.IsDNS1035Label(svc.Name); len(msgs) > 0 || svc.Spec.Ports[0].Port != CoordinatorPort {
		t.Errorf("service %s port %d: %v", svc.Name, svc.Spec.Ports[0].Port, msgs)
	}
	if maps.Equal(shards.Spec.Template.Labels, dep.Spec.Template.Labels) {
		t.Error("the coordinator's selector would select the shard pods")
	}
	if args := dep.Spec.Template.Spec.Containers[0].Args; !slices.Equal(args, []string{"coordinator", "--addr", ":7070", "--shards", "4", "--start-delay", "20s"}) {
		t.Errorf("coordinator args %q", args)
	}

	// The merge reads every shard's directory and writes one run.
	merge := m.jobs["bench-a-merge"]
	margs := merge.Spec.Template.Spec.Containers[0].Args
	wantMerge := []string{"merge", "--wait", "24h0m0s", "--partial", "--out", "/runs/bench-a/merged"}
	for i := range 4 {
		wantMerge = append(wantMerge, strings.ReplaceAll(env["HYPOBENCH_OUT"].Value, "$(JOB_COMPLETION_INDEX)", fmt.Sprint(i)))
	}
	if !slices.Equal(margs, wantMerge) {
		t.Errorf("merge args %q, want %q", margs, wantMerge)
	}
	if merge.Spec.CompletionMode != nil && *merge.Spec.CompletionMode == batchv1.IndexedCompletion {
		t.Error("the merge job is indexed")
	}
	checkMounts(t, "merge", merge.Spec.Template.Spec, "bench-a-suite", "bench-a-runs")
	for _, obj := range []metav1.ObjectMeta{shards.ObjectMeta, merge.ObjectMeta, dep.ObjectMeta, svc.ObjectMeta, pvc.ObjectMeta} {
		if obj.Namespace != "llm" {
			t.Errorf("%s in namespace %q", obj.Name, obj.Namespace)
		}
	}
}

// checkMounts checks that a pod mounts the suite ConfigMap read-only at
// SuiteDir and the runs claim at RunsDir, by the objects' names.
func checkMounts(t *testing.T, what string, spec corev1.PodSpec, configMap, claim string) {
	t.Helper()
	vols := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		vols[v.Name] = v
	}
	var suite, runs bool
	for _, vm := range spec.Containers[0].VolumeMounts {
		v, ok := vols[vm.Name]
		if !ok {
			t.Errorf("%s: mount %s names no volume", what, vm.Name)
			continue
		}
		switch {
		case v.ConfigMap != nil && v.ConfigMap.Name == configMap:
			suite = vm.MountPath == SuiteDir && vm.ReadOnly
		case v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == claim:
			runs = vm.MountPath == RunsDir && !vm.ReadOnly
		}
	}
	if !suite || !runs {
		t.Errorf("%s: suite mounted read-only at %s: %v; runs claim at %s: %v", what, SuiteDir, suite, RunsDir, runs)
	}
}

// TestManifestsMinimal: without a secret, model, start instant or phase
// duration, nothing refers to them; defaults fill the resources.
func TestManifestsMinimal(t *testing.T) {
	o := Options{Image: "hypobench:dev", Target: "https://vllm:8443", Shards: 1, Suite: []byte(testSuite)}
	text := build(t, o)
	m := parse(t, text)
	c := m.jobs["hypobench-shards"].Spec.Template.Spec.Containers[0]
	env := envOf(c)
	if _, ok := env["HYPOBENCH_API_KEY"]; ok {
		t.Error("HYPOBENCH_API_KEY set without a secret")
	}
	if _, ok := env["HYPOBENCH_MODEL"]; ok {
		t.Error("HYPOBENCH_MODEL set without a model")
	}
	if i := slices.Index(c.Args, "--start-at"); i < 0 || c.Args[i+1] != "coordinator" || slices.Contains(c.Args, "--phase-duration") {
		t.Errorf("args %q, want the start barrier and no slots", c.Args)
	}
	coord := m.deployments[0].Spec.Template.Spec.Containers[0].Args
	if !slices.Equal(coord, []string{"coordinator", "--addr", ":7070", "--shards", "1", "--start-delay", DefaultStartDelay.String()}) {
		t.Errorf("coordinator args %q", coord)
	}

	// An instant baked in replaces the barrier on both sides.
	o.StartAt = "2026-12-02T10:00:00Z"
	m = parse(t, build(t, o))
	c = m.jobs["hypobench-shards"].Spec.Template.Spec.Containers[0]
	if i := slices.Index(c.Args, "--start-at"); i < 0 || c.Args[i+1] != o.StartAt {
		t.Errorf("args %q, want --start-at %s", c.Args, o.StartAt)
	}
	if coord := m.deployments[0].Spec.Template.Spec.Containers[0].Args; slices.Contains(coord, "--shards") {
		t.Errorf("coordinator args %q: a barrier though the start is baked in", coord)
	}
	if c.Resources.Requests.Cpu().Cmp(resource.MustParse(DefaultCPU)) != 0 || m.pvcs[0].Spec.StorageClassName != nil {
		t.Errorf("defaults not applied: %v, storage class %v", c.Resources.Requests, m.pvcs[0].Spec.StorageClassName)
	}
	if strings.Contains(text, "namespace:") {
		t.Error("a namespace was printed though none was given")
	}
}

func TestManifestOptionErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		edit  func(*Options)
		words string
	}{
		"name not a DNS label":   {func(o *Options) { o.Name = "Bench_A" }, "--name"},
		"name too long":          {func(o *Options) { o.Name = strings.Repeat("a", 60) }, "--name"},
		"no image":               {func(o *Options) { o.Image = "" }, "--image"},
		"target not a URL":       {func(o *Options) { o.Target = "vllm:8000" }, "--target"},
		"credentials in target":  {func(o *Options) { o.Target = "http://user:sk-secret@vllm:8000" }, "credentials"},
		"no shards":              {func(o *Options) { o.Shards = 0 }, "--shards"},
		"empty suite":            {func(o *Options) { o.Suite = nil }, "--suite"},
		"bad secret name":        {func(o *Options) { o.APIKeySecret = "My Secret" }, "--api-key-secret"},
		"bad quantity":           {func(o *Options) { o.CPU = "2 cores" }, "--cpu"},
		"zero memory":            {func(o *Options) { o.Memory = "0" }, "--memory"},
		"bad start":              {func(o *Options) { o.StartAt = "tomorrow" }, "--start-at"},
		"bad namespace":          {func(o *Options) { o.Namespace = "LLM" }, "--namespace"},
		"negative phase":         {func(o *Options) { o.PhaseDuration = -time.Second }, "--phase-duration"},
		"negative start delay":   {func(o *Options) { o.StartDelay = -time.Second }, "--start-delay"},
		"bad storage class name": {func(o *Options) { o.StorageClass = "NFS RWX" }, "--storage-class"},
	} {
		t.Run(name, func(t *testing.T) {
			o := testOptions()
			tc.edit(&o)
			_, err := Build(o)
			if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), tc.words) {
				t.Errorf("Build: %v, want ErrOptions naming %s", err, tc.words)
			}
			if err != nil && strings.Contains(err.Error(), "sk-secret") {
				t.Errorf("the error repeats the credentials: %v", err)
			}
		})
	}
}

// TestStrictParseCatchesTypos is the negative control of the parse the
// tests above rely on: a misspelt field in a printed Job fails it.
func TestStrictParseCatchesTypos(t *testing.T) {
	text := build(t, testOptions())
	bad := strings.Replace(text, "completionMode: Indexed", "completionMod: Indexed", 1)
	if bad == text {
		t.Fatal("no completionMode in the manifests")
	}
	for _, doc := range strings.Split(bad, "\n---\n") {
		if strings.Contains(doc, "completionMod:") {
			var j batchv1.Job
			if err := yaml.UnmarshalStrict([]byte(doc), &j); err == nil {
				t.Error("strict decode accepted an unknown field")
			}
		}
	}
}
