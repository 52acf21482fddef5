package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestSyncBuffer writes from several goroutines while reading; run with
// -race it fails if the buffer is not guarded.
func TestSyncBuffer(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 100 {
				fmt.Fprintf(&b, "%d.%d\n", i, j)
			}
		})
		_ = b.String()
	}
	wg.Wait()
	if n := strings.Count(b.String(), "\n"); n != 400 {
		t.Errorf("%d lines, want 400", n)
	}
}

// TestGoldenAndFixture compares equal content (no -update in this run) and
// reads a fixture back.
func TestGoldenAndFixture(t *testing.T) {
	if Update() {
		t.Skip("-update rewrites the golden file this test compares against")
	}
	path := filepath.Join(t.TempDir(), "x.golden")
	if err := os.WriteFile(path, []byte("same\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	Golden(t, path, []byte("same\n"))
	if got := string(Fixture(t, path)); got != "same\n" {
		t.Errorf("Fixture = %q", got)
	}
}
