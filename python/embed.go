// Package python carries the Python client (the git_exp package in this directory) inside the git-exp binary,
// so that a script run by `git exp run` can `import git_exp` with nothing installed.
//
// Extract writes the package to DIR/<version>/git_exp once; the directory DIR/<version> holds nothing else, so
// appending it to PYTHONPATH makes git_exp importable without shadowing any other module.
package python

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
)

//go:embed git_exp/*.py git_exp/py.typed
var files embed.FS

// PackageDir is the directory of the package inside FS.
const PackageDir = "git_exp"

// FS returns the embedded package: git_exp/*.py and git_exp/py.typed.
func FS() fs.FS { return files }

var (
	versionOnce sync.Once
	version     string
	digest      string
)

func load() {
	versionOnce.Do(func() {
		var names []string
		fs.WalkDir(files, PackageDir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				names = append(names, p)
			}
			return nil
		})
		sort.Strings(names)
		h := sha256.New()
		for _, n := range names {
			data, _ := files.ReadFile(n)
			fmt.Fprintf(h, "%s\x00%d\x00", n, len(data))
			h.Write(data)
		}
		digest = hex.EncodeToString(h.Sum(nil))[:12]
		init, _ := files.ReadFile(path.Join(PackageDir, "__init__.py"))
		if m := regexp.MustCompile(`(?m)^__version__\s*=\s*"([^"]+)"`).FindSubmatch(init); m != nil {
			version = string(m[1])
		}
	})
}

// Version is the package's __version__.
func Version() string {
	load()
	return version
}

// DirName is the name of the directory Extract fills: the version and a digest of the package's files, so that
// two binaries carrying different code never share one.
func DirName() string {
	load()
	return version + "-" + digest
}

// Extract makes sure base/DirName()/git_exp holds the embedded package and returns base/DirName(), the
// directory to put on PYTHONPATH. The first call writes it into a temporary directory and renames that into
// place, so a concurrent run never sees half a package; later calls only check that it is there.
func Extract(base string) (string, error) {
	dir := filepath.Join(base, DirName())
	if _, err := os.Stat(filepath.Join(dir, PackageDir, "__init__.py")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("python package: %w", err)
	}
	tmp, err := os.MkdirTemp(base, ".tmp-"+DirName()+"-")
	if err != nil {
		return "", fmt.Errorf("python package: %w", err)
	}
	defer os.RemoveAll(tmp) // gone after a successful rename
	err = fs.WalkDir(files, PackageDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(tmp, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		return "", fmt.Errorf("python package: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("python package: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another process got there first: its copy is the same package.
		if _, serr := os.Stat(filepath.Join(dir, PackageDir, "__init__.py")); serr == nil {
			return dir, nil
		}
		if errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("python package: %s exists but holds no git_exp; delete it", dir)
		}
		return "", fmt.Errorf("python package: %w", err)
	}
	return dir, nil
}
