package record

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// ErrBadName is wrapped by every error of CheckName and Join: a name that
// would become a file path is not a single, plain path element.
var ErrBadName = errors.New("not a usable name")

// MaxNameLen bounds a name that becomes a path element (suite, profile,
// run id, baseline name, shard).
const MaxNameLen = 128

// CheckName reports whether name can become one element of a path under a
// root that hypobench writes (a run directory's suite part, a profile, a
// run id, a baseline name, a shard): letters, digits, '.', '_' and '-',
// starting with a letter or digit, at most MaxNameLen bytes. Separators,
// "..", absolute paths, NUL and control characters are refused. kind says
// what the name is in the error ("suite name", "--name").
func CheckName(kind, name string) error {
	bad := func(why string) error {
		return fmt.Errorf("%s %q: %w: %s", kind, name, ErrBadName, why)
	}
	switch {
	case name == "":
		return bad("empty")
	case len(name) > MaxNameLen:
		return bad(fmt.Sprintf("longer than %d bytes", MaxNameLen))
	case !isAlnum(name[0]):
		return bad("must start with a letter or digit")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return bad(fmt.Sprintf("character %q at byte %d (allowed: letters, digits, . _ -)", c, i))
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Join returns root/name after CheckName accepts name, so the result is
// always inside root. It is the one way a user-supplied name becomes a path.
func Join(root, kind, name string) (string, error) {
	if err := CheckName(kind, name); err != nil {
		return "", err
	}
	p := filepath.Join(root, name)
	if !Within(root, p) {
		return "", fmt.Errorf("%s %q: %w: resolves outside %s", kind, name, ErrBadName, root)
	}
	return p, nil
}

// Within reports whether path p lies inside root (or is root), lexically:
// filepath.Rel from root to p does not climb out with "..".
func Within(root, p string) bool {
	rel, err := filepath.Rel(filepath.Clean(root), filepath.Clean(p))
	if err != nil {
		return false
	}
	return rel == "." || filepath.IsLocal(rel) && !strings.HasPrefix(rel, "..")
}
