package gitstore

import (
	"strings"
	"testing"
)

func TestCheckArtifactPath(t *testing.T) {
	refused := []string{
		"", "/etc/passwd", "a//b", "a/", "./a", "a/./b", "../a", "a/../../b", "a\x00b",
		".git", ".git/hooks/pre-commit", "sub/.git/config", ".GIT/hooks/x", ".Git", "x/.gIt",
		".git.", ".git..", ".git ", ".git . .", ".git::$INDEX_ALLOCATION/hooks/x", ".git:stream",
		"git~1", "GIT~1/hooks/x", "git~1 ", "git~1.",
		".\u200cgit", "\u200c.git", ".g\u200dit", ".gi\u200et", ".git\u200f", ".\u202agit", ".\u202eg\u206aIT", ".git\ufeff",
		".g\u206fit/hooks", `a\.git\hooks`, `.git\x`,
		".git\xff", // bytes that are not UTF-8 end the name for HFS, as in git
	}
	for _, p := range refused {
		if err := CheckArtifactPath(p, false); err == nil {
			t.Errorf("CheckArtifactPath(%q) accepted it", p)
		}
	}
	accepted := []string{
		"model.json", "a/b/c.txt", ".gitignore", ".github/x", "git", "git~2", "git~1x", ".git-x", ".gitx", "x.git",
		"..a", "a..", ".g", "\u200c", "checkpoints/.gitkeep", "my .git", "a b/c d", "über/ß", ".gi\u200bt",
	}
	for _, p := range accepted {
		if err := CheckArtifactPath(p, false); err != nil {
			t.Errorf("CheckArtifactPath(%q): %v", p, err)
		}
	}
	for _, p := range []string{".gitmodules", "a/.GITMODULES", ".gitattributes ", ".gitignore.", ".mailmap"} {
		if err := CheckArtifactPath(p, true); err == nil {
			t.Errorf("symlink %q accepted", p)
		}
		if err := CheckArtifactPath(p, false); err != nil {
			t.Errorf("file %q refused: %v", p, err)
		}
	}
}

// dotGitReference is a second, independent reading of what git refuses: normalise a component the way the three
// filesystems do (drop HFS+'s ignorable code points, fold case, cut an NTFS stream and trailing dots and spaces) and
// compare with ".git" and "git~1".
func dotGitReference(comp string) bool {
	var b strings.Builder
	for _, r := range comp {
		if (r >= 0x200c && r <= 0x200f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x206a && r <= 0x206f) || r == 0xfeff {
			continue
		}
		b.WriteRune(r)
	}
	hfs := strings.ToLower(b.String())
	if hfs == ".git" {
		return true
	}
	ntfs := strings.ToLower(comp)
	if i := strings.IndexByte(ntfs, ':'); i >= 0 {
		ntfs = ntfs[:i]
	}
	ntfs = strings.TrimRight(ntfs, ". ")
	return ntfs == ".git" || ntfs == "git~1"
}

func FuzzCheckArtifactPath(f *testing.F) {
	for _, s := range []string{"a/b", ".git/x", ".GIT./y", "git~1:z", ".\u200cgit", "x\\.git", "ok.txt", ".gitmodules"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		err := CheckArtifactPath(p, false)
		if err != nil {
			return
		}
		for comp := range strings.SplitSeq(p, "/") {
			if comp == "" || comp == "." || comp == ".." {
				t.Fatalf("accepted %q with component %q", p, comp)
			}
			for part := range strings.SplitSeq(comp, `\`) {
				if dotGitReference(part) {
					t.Fatalf("accepted %q whose component %q is .git on some filesystem", p, part)
				}
			}
		}
	})
}
