package report

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/hypobench/hypobench/record"
)

var screenshotOut = flag.String("screenshot", "", "also copy the browser test's screenshot of index.html to this path")

// chromium returns the headless browser's path, or "" when none is
// installed (Debian's chromium package; .ci/run installs it).
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// runChromium runs the browser headless on a fresh profile with every
// background service off, returning its stdout.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	// Not a speed assertion: a guard so a wedged browser fails the test
	// instead of hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\nstderr:\n%s", bin, args, err, stderr.String())
	}
	return stdout.Bytes()
}

var (
	reImages  = regexp.MustCompile(`<body[^>]*data-images="(\d+)/(\d+)"`)
	reNatural = regexp.MustCompile(`data-natural-width="(\d+)"`)
)

// TestBrowserRendersReport opens index.html from a file:// URL in headless
// Chromium, reads back the DOM after the page's load script has recorded
// each image's natural width, and takes a screenshot.
func TestBrowserRendersReport(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("chromium is not installed (apt-get install chromium; .ci/run installs it): the headless browser test needs it")
	}
	dir := copyFixture(t)
	b := build(t, dir, Options{})
	plots := 0
	for _, f := range b.Files {
		if filepath.Ext(f) == ".png" {
			plots++
		}
	}
	abs, err := filepath.Abs(filepath.Join(dir, record.HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	url := "file://" + abs

	dom := runChromium(t, bin, "--virtual-time-budget=10000", "--dump-dom", url)
	m := reImages.FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the page's load script did not run: no data-images on <body> in the dumped DOM (%d bytes)", len(dom))
	}
	decoded, total := atoi(t, m[1]), atoi(t, m[2])
	if total != plots || decoded != plots {
		t.Errorf("images decoded %d of %d, want all %d plots", decoded, total, plots)
	}
	widths := reNatural.FindAllSubmatch(dom, -1)
	if len(widths) != plots {
		t.Errorf("found %d images with a recorded natural width, want %d", len(widths), plots)
	}
	want := int(plotW.Dots(plotDPI) + 0.5)
	for i, w := range widths {
		if got := atoi(t, w[1]); got < want-1 || got > want+1 {
			t.Errorf("image %d has natural width %d px, want %d (the rendered PNG's)", i, got, want)
		}
	}
	for _, s := range []string{"H1", "pass", "H2", "inconclusive", "Suite tiny"} {
		if !bytes.Contains(dom, []byte(s)) {
			t.Errorf("the rendered page does not show %q", s)
		}
	}
	// The page reads top-down: the time banner, what was tested and one
	// sentence per verdict come before the first table, and the
	// configuration is collapsed.
	firstTable := bytes.Index(dom, []byte("<table"))
	if firstTable < 0 {
		t.Fatal("the rendered page has no table")
	}
	for _, s := range []string{
		"simulated time: h200 · qwen2.5-7b · run compressed ×10; wall-clock figures: hypobench report --wall-clock",
		"What was tested", "h200 · qwen2.5-7b",
		"<strong>H1</strong>: TTFT grows with prompt length &lt;at concurrency 1&gt; — effect 0.05 ms/token, 95% CI 0.041–0.058, n 48",
		"<strong>H2</strong>: E2E tracks max_tokens — effect 0.012 s/token, 95% CI -0.001–0.03, n 24",
	} {
		if i := bytes.Index(dom, []byte(s)); i < 0 || i > firstTable {
			t.Errorf("%q is not above the first table (at byte %d; the table at %d)", s, i, firstTable)
		}
	}
	if i, c := bytes.Index(dom, []byte(`id="config"`)), bytes.Index(dom, []byte("<details")); c < i || i < 0 {
		t.Errorf("the configuration is not collapsed in <details> after its heading (heading at %d, details at %d)", i, c)
	}

	shot := filepath.Join(t.TempDir(), "index.png")
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1280,2600", "--virtual-time-budget=10000", url)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if bw := img.Bounds().Dx(); bw != 1280 {
		t.Errorf("screenshot is %d px wide, want 1280", bw)
	}
	// The page is mostly white; count the pixels that are not, so a blank
	// page (nothing rendered) fails.
	ink := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y += 2 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xe000 || g < 0xe000 || bl < 0xe000 {
				ink++
			}
		}
	}
	if ink < 1000 {
		t.Errorf("screenshot is nearly blank: %d dark sample pixels", ink)
	}
	if *screenshotOut != "" {
		data, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*screenshotOut, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func atoi(t *testing.T, b []byte) int {
	t.Helper()
	n, err := strconv.Atoi(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
