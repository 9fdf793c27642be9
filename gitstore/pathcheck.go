package gitstore

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// CheckArtifactPath reports why a slash-separated artifact path must neither be stored nor extracted: an empty,
// absolute or NUL-carrying path, an empty, "." or ".." component, or a component that git itself refuses because a
// filesystem may take it for ".git" (see git's verify_path, is_hfs_dotgit and is_ntfs_dotgit): ".git" in any case,
// with trailing dots or spaces, an NTFS alternate data stream (".git::$INDEX_ALLOCATION"), the NTFS short name
// "git~1", and ".git" with code points that HFS+ ignores (U+200C, U+FEFF, ...). Backslashes count as separators for
// the ".git" check, as in git fsck, so a store written on Linux is also safe to extract on Windows. A symlink must
// also not be named like ".gitmodules", which git reads.
func CheckArtifactPath(p string, symlink bool) error {
	if p == "" {
		return fmt.Errorf("empty artifact path")
	}
	if strings.IndexByte(p, 0) >= 0 {
		return fmt.Errorf("artifact path %q holds a NUL byte", p)
	}
	if p[0] == '/' {
		return fmt.Errorf("artifact path %q is absolute", p)
	}
	for comp := range strings.SplitSeq(p, "/") {
		switch comp {
		case "":
			return fmt.Errorf("artifact path %q has an empty component", p)
		case ".", "..":
			return fmt.Errorf("artifact path %q has a %q component", p, comp)
		}
		for part := range strings.SplitSeq(comp, `\`) {
			if IsDotGit(part) {
				return fmt.Errorf("artifact path %q has a component git treats as .git (%q)", p, comp)
			}
		}
	}
	if symlink {
		base := p[strings.LastIndexByte(p, '/')+1:]
		for _, name := range []string{"gitmodules", "gitattributes", "gitignore", "mailmap"} {
			if isHFSDot(base, name) || isNTFSDot(base, name) {
				return fmt.Errorf("artifact %q is a symlink named like .%s, which git refuses", p, name)
			}
		}
	}
	return nil
}

// IsDotGit reports whether a single path component names the ".git" directory on some filesystem git protects
// (case-insensitive filesystems, HFS+, NTFS).
func IsDotGit(name string) bool {
	return isHFSDot(name, "git") || isNTFSDot(name, "git")
}

// isHFSDot is git's is_hfs_dot_generic: "." + needle, case-insensitive, ignoring the code points HFS+ ignores.
// Bytes that are not UTF-8 end the name, as in git (so the check errs on the side of refusing).
func isHFSDot(name, needle string) bool {
	next := func() rune {
		for {
			if name == "" {
				return 0
			}
			r, size := utf8.DecodeRuneInString(name)
			if r == utf8.RuneError && size <= 1 {
				name = ""
				return 0
			}
			name = name[size:]
			switch {
			case r >= 0x200c && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x206a && r <= 0x206f, r == 0xfeff:
				continue
			}
			return r
		}
	}
	if next() != '.' {
		return false
	}
	for i := 0; i < len(needle); i++ {
		c := next()
		if c != rune(needle[i]) && c != rune(needle[i])-'a'+'A' {
			return false
		}
	}
	return next() == 0
}

// isNTFSDot is git's is_ntfs_dotgit (and, for other needles, the long-name half of is_ntfs_dot_generic): "." +
// needle or, for "git", the short name "git~1", case-insensitive, followed only by dots and spaces up to the end of
// the name or an alternate data stream (":").
func isNTFSDot(name, needle string) bool {
	rest := ""
	switch {
	case len(name) > len(needle) && name[0] == '.' && strings.EqualFold(name[1:1+len(needle)], needle):
		rest = name[1+len(needle):]
	case len(name) == len(needle)+1 && name[0] == '.' && strings.EqualFold(name[1:], needle):
		return true
	case needle == "git" && len(name) >= 5 && strings.EqualFold(name[:5], "git~1"):
		rest = name[5:]
	default:
		return false
	}
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case ':':
			return true
		case '.', ' ':
		default:
			return false
		}
	}
	return true
}
