package kube

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// Paths and names inside the pods.
const (
	SuiteDir        = "/suite"     // the suite ConfigMap's mount
	SuiteKey        = "suite.json" // its key, hence the file /suite/suite.json
	RunsDir         = "/runs"      // the shared volume's mount
	CoordinatorPort = 7070
	// IndexEnv is the variable Kubernetes sets to a pod's completion
	// index in an Indexed Job.
	IndexEnv = "JOB_COMPLETION_INDEX"
	// IndexAnnotation is the pod annotation IndexEnv is read from.
	IndexAnnotation = "batch.kubernetes.io/job-completion-index"
)

// Options parameterise the manifests. Image, Target, Shards and Suite are
// required; the zero value of the others is replaced by the Default
// values.
type Options struct {
	Name      string // prefix of every object's name (DefaultName)
	Namespace string // "" leaves it to kubectl's context
	Image     string // the hypobench image
	Target    string // base URL of the server under test, as the pods reach it
	Model     string // "" takes the first from /v1/models
	Shards    int    // client pods
	// Suite is the suite file's content (JSON), carried by the ConfigMap.
	Suite []byte
	// APIKeySecret names a Secret holding the target's API key under
	// APIKeySecretKey; "" sends no key.
	APIKeySecret    string
	APIKeySecretKey string // DefaultAPIKeySecretKey
	// StorageClass for the shared volume ("" takes the cluster's default)
	// and its size (DefaultStorage).
	StorageClass string
	Storage      string
	// CPU and Memory are each shard pod's requests (DefaultCPU,
	// DefaultMemory); Memory is its limit too.
	CPU, Memory string
	// StartAt is the common wall-clock instant the shards start (RFC 3339,
	// on the coordinator's clock); "" takes it from the coordinator's
	// start barrier: the run starts StartDelay after the last shard pod
	// is ready, so no instant has to be guessed before the pods are
	// scheduled.
	StartAt string
	// StartDelay is how long after the last shard checked in the barrier
	// starts the run (DefaultStartDelay); unused with StartAt.
	StartDelay time.Duration
	// PhaseDuration time-boxes every phase so phases stay aligned across
	// shards; 0 runs each phase to its request count.
	PhaseDuration time.Duration
	// MergeWait bounds how long the merge waits for the shards
	// (DefaultMergeWait).
	MergeWait time.Duration
}

// Defaults for the zero fields of Options.
const (
	DefaultName            = "hypobench"
	DefaultAPIKeySecretKey = "api-key"
	DefaultStorage         = "10Gi"
	DefaultCPU             = "2"
	DefaultMemory          = "2Gi"
	DefaultMergeWait       = 24 * time.Hour
	DefaultStartDelay      = 10 * time.Second
)

// ErrOptions is wrapped by every error about the options.
var ErrOptions = errors.New("invalid manifest options")

func (o *Options) defaults() {
	if o.Name == "" {
		o.Name = DefaultName
	}
	if o.APIKeySecretKey == "" {
		o.APIKeySecretKey = DefaultAPIKeySecretKey
	}
	if o.Storage == "" {
		o.Storage = DefaultStorage
	}
	if o.CPU == "" {
		o.CPU = DefaultCPU
	}
	if o.Memory == "" {
		o.Memory = DefaultMemory
	}
	if o.MergeWait == 0 {
		o.MergeWait = DefaultMergeWait
	}
	if o.StartDelay == 0 {
		o.StartDelay = DefaultStartDelay
	}
}

// check validates the options with apimachinery's validators, naming the
// option at fault.
func (o *Options) check() error {
	bad := func(field string, msgs ...string) error {
		return fmt.Errorf("%w: %s: %s", ErrOptions, field, strings.Join(msgs, "; "))
	}
	// The longest derived name is NAME-coordinator; a Service name is a
	// DNS-1035 label and a Job's name becomes a label value: both ≤ 63.
	for _, n := range []string{o.Name + "-coordinator", o.Name + "-shards"} {
		if msgs := validation.IsDNS1035Label(n); len(msgs) > 0 {
			return bad("--name "+strconv.Quote(o.Name), fmt.Sprintf("derived name %q: %s", n, strings.Join(msgs, "; ")))
		}
	}
	if o.Namespace != "" {
		if msgs := validation.IsDNS1123Label(o.Namespace); len(msgs) > 0 {
			return bad("--namespace", msgs...)
		}
	}
	if o.Image == "" {
		return bad("--image", "required")
	}
	u, err := url.Parse(o.Target)
	if o.Target == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("--target", fmt.Sprintf("want an http(s) URL the pods can reach, got %q", o.Target))
	}
	if u.User != nil {
		return bad("--target", "credentials in the URL would be printed in the manifest; use --api-key-secret")
	}
	if o.Shards < 1 {
		return bad("--shards", "want at least 1")
	}
	if len(bytes.TrimSpace(o.Suite)) == 0 {
		return bad("--suite", "empty suite file")
	}
	if o.APIKeySecret != "" {
		if msgs := validation.IsDNS1123Subdomain(o.APIKeySecret); len(msgs) > 0 {
			return bad("--api-key-secret", msgs...)
		}
		if msgs := validation.IsConfigMapKey(o.APIKeySecretKey); len(msgs) > 0 {
			return bad("--api-key-secret-key", msgs...)
		}
	}
	if o.StorageClass != "" {
		if msgs := validation.IsDNS1123Subdomain(o.StorageClass); len(msgs) > 0 {
			return bad("--storage-class", msgs...)
		}
	}
	for field, q := range map[string]string{"--storage": o.Storage, "--cpu": o.CPU, "--memory": o.Memory} {
		v, err := resource.ParseQuantity(q)
		if err != nil {
			return bad(field, err.Error())
		}
		if v.Sign() <= 0 {
			return bad(field, "must be positive")
		}
	}
	if o.StartAt != "" {
		if _, err := time.Parse(time.RFC3339Nano, o.StartAt); err != nil {
			return bad("--start-at", err.Error())
		}
	}
	if o.PhaseDuration < 0 || o.MergeWait < 0 || o.StartDelay < 0 {
		return bad("--phase-duration/--merge-wait/--start-delay", "must not be negative")
	}
	return nil
}

// Build returns the manifests of a sharded run in apply order: ConfigMap,
// PersistentVolumeClaim, coordinator Deployment and Service, the Indexed
// Job of the shards, the merge Job.
func Build(o Options) ([]runtime.Object, error) {
	o.defaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	suiteName, runsName, coordName := o.Name+"-suite", o.Name+"-runs", o.Name+"-coordinator"
	shardsName, mergeName := o.Name+"-shards", o.Name+"-merge"
	coordURL := fmt.Sprintf("http://%s:%d", coordName, CoordinatorPort)
	runRoot := RunsDir + "/" + o.Name

	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: o.meta(suiteName, "suite"),
		Data:       map[string]string{SuiteKey: string(o.Suite)},
	}
	pvc := &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: o.meta(runsName, "runs"),
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(o.Storage)},
			},
		},
	}
	if o.StorageClass != "" {
		pvc.Spec.StorageClassName = &o.StorageClass
	}

	coordArgs := []string{"coordinator", "--addr", fmt.Sprintf(":%d", CoordinatorPort)}
	if o.StartAt == "" {
		coordArgs = append(coordArgs, "--shards", strconv.Itoa(o.Shards), "--start-delay", o.StartDelay.String())
	}
	coordLabels := o.labels("coordinator")
	coordDep := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: o.meta(coordName, "coordinator"),
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: coordLabels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: coordLabels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{
						Name:  "coordinator",
						Image: o.Image,
						Args:  coordArgs,
						Ports: []corev1.ContainerPort{{Name: "clock", ContainerPort: CoordinatorPort}},
						ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
							HTTPGet: &corev1.HTTPGetAction{Path: "/health", Port: intstr.FromString("clock")},
						}},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
						},
						SecurityContext: securityContext(),
					}},
				},
			},
		},
	}
	coordSvc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: o.meta(coordName, "coordinator"),
		Spec: corev1.ServiceSpec{
			Selector: coordLabels,
			Ports:    []corev1.ServicePort{{Name: "clock", Port: CoordinatorPort, TargetPort: intstr.FromString("clock")}},
		},
	}

	// The shards.
	env := []corev1.EnvVar{
		{Name: IndexEnv, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
			FieldPath: fmt.Sprintf("metadata.annotations['%s']", IndexAnnotation)}}},
		{Name: "HYPOBENCH_TARGET", Value: o.Target},
		{Name: "HYPOBENCH_SUITE", Value: SuiteDir + "/" + SuiteKey},
		{Name: "HYPOBENCH_OUT", Value: fmt.Sprintf("%s/shard-$(%s)", runRoot, IndexEnv)},
	}
	if o.Model != "" {
		env = append(env, corev1.EnvVar{Name: "HYPOBENCH_MODEL", Value: o.Model})
	}
	if o.APIKeySecret != "" {
		env = append(env, corev1.EnvVar{Name: "HYPOBENCH_API_KEY", ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: o.APIKeySecret},
				Key:                  o.APIKeySecretKey,
			}}})
	}
	args := []string{"run", "--shard", fmt.Sprintf("$(%s)/%d", IndexEnv, o.Shards), "--coordinator", coordURL, "--no-report"}
	if o.StartAt != "" {
		args = append(args, "--start-at", o.StartAt)
	} else {
		args = append(args, "--start-at", "coordinator")
	}
	if o.PhaseDuration > 0 {
		args = append(args, "--phase-duration", o.PhaseDuration.String())
	}
	shardLabels := o.labels("shard")
	shards := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: o.meta(shardsName, "shard"),
		Spec: batchv1.JobSpec{
			CompletionMode:       ptr(batchv1.IndexedCompletion),
			Completions:          ptr(int32(o.Shards)),
			Parallelism:          ptr(int32(o.Shards)),
			BackoffLimitPerIndex: ptr(int32(0)),
			PodReplacementPolicy: ptr(batchv1.Failed),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: shardLabels},
				Spec: corev1.PodSpec{
					RestartPolicy:   corev1.RestartPolicyNever,
					SecurityContext: podSecurity(),
					TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
						MaxSkew: 1, TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway,
						LabelSelector: &metav1.LabelSelector{MatchLabels: shardLabels},
					}},
					Containers: []corev1.Container{{
						Name:  "shard",
						Image: o.Image,
						Args:  args,
						Env:   env,
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(o.CPU), corev1.ResourceMemory: resource.MustParse(o.Memory)},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(o.Memory)},
						},
						VolumeMounts:    mounts(),
						SecurityContext: securityContext(),
					}},
					Volumes: o.volumes(suiteName, runsName),
				},
			},
		},
	}

	// The merge.
	mergeArgs := []string{"merge", "--wait", o.MergeWait.String(), "--partial", "--out", runRoot + "/merged"}
	for i := range o.Shards {
		mergeArgs = append(mergeArgs, fmt.Sprintf("%s/shard-%d", runRoot, i))
	}
	merge := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: o.meta(mergeName, "merge"),
		Spec: batchv1.JobSpec{
			Completions:  ptr(int32(1)),
			Parallelism:  ptr(int32(1)),
			BackoffLimit: ptr(int32(0)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: o.labels("merge")},
				Spec: corev1.PodSpec{
					RestartPolicy:   corev1.RestartPolicyNever,
					SecurityContext: podSecurity(),
					Containers: []corev1.Container{{
						Name:  "merge",
						Image: o.Image,
						Args:  mergeArgs,
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse(o.Memory)},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(o.Memory)},
						},
						VolumeMounts:    mounts(),
						SecurityContext: securityContext(),
					}},
					Volumes: o.volumes(suiteName, runsName),
				},
			},
		},
	}
	return []runtime.Object{cm, pvc, coordDep, coordSvc, shards, merge}, nil
}

func (o *Options) labels(component string) map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":      "hypobench",
		"app.kubernetes.io/instance":  o.Name,
		"app.kubernetes.io/component": component,
	}
}

func (o *Options) meta(name, component string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: o.Namespace, Labels: o.labels(component)}
}

func (o *Options) volumes(suiteName, runsName string) []corev1.Volume {
	return []corev1.Volume{
		{Name: "suite", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: suiteName}}}},
		{Name: "runs", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{
			ClaimName: runsName}}},
	}
}

func mounts() []corev1.VolumeMount {
	return []corev1.VolumeMount{
		{Name: "suite", MountPath: SuiteDir, ReadOnly: true},
		{Name: "runs", MountPath: RunsDir},
	}
}

// ImageUser is the numeric user and group the image runs as (the
// Dockerfile's USER; distroless's "nonroot").
const ImageUser = 65532

// securityContext runs as the image's non-root user with nothing extra.
func securityContext() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		RunAsNonRoot:             ptr(true),
		RunAsUser:                ptr(int64(ImageUser)),
		RunAsGroup:               ptr(int64(ImageUser)),
		AllowPrivilegeEscalation: ptr(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

// podSecurity gives the shared volume to the image's group, so that the
// non-root user can write its run directories there (on volume types
// that honour fsGroup; an NFS export must be writable by ImageUser).
func podSecurity() *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{FSGroup: ptr(int64(ImageUser))}
}

// Write prints objs as YAML documents separated by "---".
func Write(w io.Writer, objs []runtime.Object) error {
	for i, obj := range objs {
		b, err := yaml.Marshal(obj)
		if err != nil {
			return fmt.Errorf("encoding manifest %d: %w", i+1, err)
		}
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
