package run

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/python"
)

// scriptEnv is the environment of the script: the user's, plus the run protocol (README "The run protocol"):
// GIT_EXP_ID, GIT_EXP_NAME, GIT_EXP_OUT, GIT_EXP_PARAMS, GIT_EXP_METRICS, GIT_EXP_RESULTS, GIT_EXP_REPO,
// GIT_EXP_ATTEMPT and GIT_EXP_PARENT. Other GIT_EXP_ variables of the caller (but GIT_EXP_PARAM_* and
// GIT_EXP_TRACE) are left out, and so are the variables that would point the script's own git at another index or
// repository (GIT_INDEX_FILE, GIT_DIR, GIT_WORK_TREE) and PYTHONPATH (given by pythonEnv).
func scriptEnv(st *gitstore.Store, m *gitstore.Manifest, spool gitstore.Spool) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GIT_EXP_") && !strings.HasPrefix(k, "GIT_EXP_PARAM_") && k != "GIT_EXP_TRACE" {
			continue
		}
		if k == "GIT_INDEX_FILE" || k == "GIT_DIR" || k == "GIT_WORK_TREE" || k == "PYTHONPATH" {
			continue
		}
		env = append(env, kv)
	}
	attempt := m.Attempt
	if attempt == 0 {
		attempt = 1
	}
	return append(env,
		"GIT_EXP_ID="+m.ID,
		"GIT_EXP_NAME="+m.Name,
		"GIT_EXP_OUT="+spool.Out,
		"GIT_EXP_PARAMS="+spool.Params,
		"GIT_EXP_METRICS="+spool.Metrics,
		"GIT_EXP_RESULTS="+spool.Results,
		"GIT_EXP_REPO="+st.Root,
		fmt.Sprintf("GIT_EXP_ATTEMPT=%d", attempt),
		"GIT_EXP_PARENT="+m.Parent,
	)
}

// pythonEnv returns the PYTHONPATH (the user's, with git-exp's copy of git_exp appended) and
// GIT_EXP_PYTHONPATH for a script, or only the user's PYTHONPATH (after a warning) when the package cannot be
// extracted: a script that does not import git_exp must run anyway.
func (r *Runner) pythonEnv() []string {
	cur := os.Getenv("PYTHONPATH")
	dir, err := python.Extract(filepath.Join(r.Store.ExpDir(), "python"))
	if err != nil {
		r.Warn("git exp: warning: %v (import git_exp will fail unless it is installed)", err)
		if cur != "" {
			return []string{"PYTHONPATH=" + cur}
		}
		return nil
	}
	pp := dir
	if cur != "" {
		pp = strings.TrimRight(cur, string(os.PathListSeparator)) + string(os.PathListSeparator) + dir
	}
	return []string{"PYTHONPATH=" + pp, "GIT_EXP_PYTHONPATH=" + dir}
}
