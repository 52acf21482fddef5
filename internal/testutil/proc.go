package testutil

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// ProcStatusKiB returns the field of this process's /proc/self/status
// named key ("VmRSS", "VmHWM", …) in KiB, or 0 when it cannot be read
// (not Linux, or no such field).
func ProcStatusKiB(key string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb
		}
	}
	return 0
}
