package examples_test

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// guide is the page a newcomer follows, relative to the module root.
const guide = "docs/experiments.md"

// block is one fenced code block of the guide.
type block struct {
	lang, text string
	line       int // of the opening fence
}

// fencedBlocks returns the fenced code blocks of a Markdown page.
func fencedBlocks(page string) ([]block, error) {
	var bs []block
	var cur *block
	var body strings.Builder
	sc := bufio.NewScanner(strings.NewReader(page))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &block{lang: strings.TrimSpace(strings.TrimPrefix(line, "```")), line: n}
			body.Reset()
		case cur != nil && strings.TrimSpace(line) == "```":
			cur.text = body.String()
			bs = append(bs, *cur)
			cur = nil
		case cur != nil:
			body.WriteString(line + "\n")
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("%s: the code block opened at line %d is never closed", guide, cur.line)
	}
	return bs, sc.Err()
}

// shellLines returns a sh block's commands, continuation lines joined.
func shellLines(text string) []string {
	var out []string
	var cur string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		if l = strings.TrimSpace(cur + l); l != "" {
			out = append(out, l)
		}
		cur = ""
	}
	return out
}

// TestGuideFromOutsideModule proves the guide (docs/experiments.md) works
// from another module, with the guide's own code: it runs the guide's
// module commands (`go mod init`, the `go mod edit -require … -replace
// …=../hypobench` of an unpublished checkout) in a directory whose
// ../hypobench is this checkout (guideDir), writes every Go block marked
// `// file: NAME` into the new module, and runs the guide's `go test`
// there. Only what needs the network is left out: `go get …@latest`,
// `git clone` and `go mod tidy` (which resolves the imports of the tests
// of hypobench's own dependencies, modules `go mod download` does not
// fetch). It runs offline (GOPROXY=off; GOFLAGS=-mod=mod, so go test adds
// the requirements tidy would) from the module cache that `go mod
// download` fills, with this module's go.sum copied.
func TestGuideFromOutsideModule(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the guide's module: %v", err)
	}
	root := moduleRootDir(t)
	page, err := os.ReadFile(filepath.Join(root, guide))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := fencedBlocks(string(page))
	if err != nil {
		t.Fatal(err)
	}
	tmp := guideDir(t, root)
	// The guide's shell steps, in order, without the network's.
	var setup, testCmd []string
	files := map[string]string{}
	for _, b := range blocks {
		switch b.lang {
		case "sh":
			for _, l := range shellLines(b.text) {
				switch {
				case strings.Contains(l, "@latest"), strings.HasPrefix(l, "git clone"), l == "go mod tidy":
					// network: the checkout is already at ../hypobench;
					// tidy would fetch the test-only modules of
					// hypobench's dependencies.
				case strings.HasPrefix(l, "go test"):
					if testCmd == nil {
						testCmd = strings.Fields(l)
					}
				case strings.HasPrefix(l, "mkdir"), strings.HasPrefix(l, "go mod"):
					setup = append(setup, l)
				}
			}
		case "go":
			first, rest, _ := strings.Cut(b.text, "\n")
			name, ok := strings.CutPrefix(strings.TrimSpace(first), "// file: ")
			if !ok || name != filepath.Base(name) || !strings.HasSuffix(name, ".go") {
				t.Fatalf("%s:%d: a Go block must start with `// file: NAME.go`, got %q", guide, b.line, first)
			}
			files[name] = rest
		}
	}
	if len(setup) < 3 || testCmd == nil || len(files) == 0 {
		t.Fatalf("%s: found setup %q, test command %q, %d Go files: the guide lost a step", guide, setup, testCmd, len(files))
	}
	env := guideEnv()
	run := func(dir, script string) {
		t.Helper()
		c := exec.Command("sh", "-e", "-c", script)
		c.Dir, c.Env = dir, env
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("%s in %s: %v\n%s", script, dir, err, out)
		}
	}
	run(tmp, strings.Join(setup, "\n"))
	mod := filepath.Join(tmp, "mylab")
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(mod, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Offline, the hashes come from this module's go.sum (online, go mod
	// tidy would fetch them).
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	gomod, _ := os.ReadFile(filepath.Join(mod, "go.mod"))
	if !bytes.Contains(gomod, []byte("github.com/hypobench/hypobench v0.0.0\n")) || !bytes.Contains(gomod, []byte("replace github.com/hypobench/hypobench => ../hypobench")) {
		t.Fatalf("the guide's commands made a go.mod without the requirement and the replace directive:\n%s", gomod)
	}
	c := exec.Command(gobin, testCmd[1:]...)
	c.Dir, c.Env = mod, env
	out, err := c.CombinedOutput()
	t.Logf("%s (in the guide's module):\n%s", strings.Join(testCmd, " "), out)
	if err != nil {
		t.Fatalf("the guide's test failed from outside the module: %v", err)
	}
	for _, want := range []string{"prefix-caching PASS", "prefix-caching control FAIL", "--- PASS: TestPrefixCachingCutsTTFT", "--- PASS: TestPrefixCachingNegativeControl"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the guide's run does not say %q", want)
		}
	}
	reports, _ := filepath.Glob(filepath.Join(mod, "reports", "*-experiments-*", "hypotheses.md"))
	if len(reports) != 1 {
		t.Errorf("the guide's run left %d hypotheses.md under its own reports/, want 1", len(reports))
	}
}

// guideEnv is the environment of the guide's commands: offline, this
// toolchain, no workspace, the embedded engine, reports inside the new
// module.
func guideEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOFLAGS", "GOPROXY", "GOWORK", "GOTOOLCHAIN", "HYPOBENCH_TARGET", "HYPOBENCH_RUN_DIR", "HYPOBENCH_OUT", "PWD":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
}

// guideDir returns the directory the guide's module is made in, with
// ../hypobench (relative to the module) a link to this checkout. It is a
// fixed directory per checkout under the user's cache directory, emptied
// first: the build cache keys a package by its directory, so a fixed one
// lets a second run reuse the first one's compiled hypobench (a fresh
// temporary directory would rebuild it every time). Without a cache
// directory it is a temporary one.
func guideDir(t *testing.T, root string) string {
	t.Helper()
	dir := t.TempDir()
	if cache, err := os.UserCacheDir(); err == nil {
		h := fnv.New64a()
		h.Write([]byte(root))
		dir = filepath.Join(cache, "hypobench", fmt.Sprintf("guide-%016x", h.Sum64()))
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(filepath.Join(dir, "mylab")) })
	}
	if err := os.Symlink(root, filepath.Join(dir, "hypobench")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// moduleRootDir is the directory of this module's go.mod.
func moduleRootDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", dir)
		}
	}
}

func TestGuideBlocks(t *testing.T) {
	t.Parallel()
	page := "text\n```sh\ngo mod edit -require a@v0 \\\n   -replace a=../a\n\ngo test -v\n```\n```go\n// file: x_test.go\npackage x\n```\n"
	bs, err := fencedBlocks(page)
	if err != nil || len(bs) != 2 || bs[0].lang != "sh" || bs[1].lang != "go" || bs[1].line != 8 {
		t.Fatalf("%+v, %v", bs, err)
	}
	if got := shellLines(bs[0].text); len(got) != 2 || got[0] != "go mod edit -require a@v0     -replace a=../a" || got[1] != "go test -v" {
		t.Errorf("shell lines %q", got)
	}
	if _, err := fencedBlocks("```go\npackage x\n"); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("an unclosed block gave %v", err)
	}
}
