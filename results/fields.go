package results

import "github.com/git-exp/git-exp/gitstore"

// A Field is one name of an experiment's metadata, the same in every place a user names it: `meta.NAME` (or NAME
// when no parameter or result has it) in --where and --sort, a column of `list --columns`, and JSON, its path in the
// --json document (README "--json fields"). TestFieldsCoverManifest checks by reflection that every field of
// gitstore.Manifest is either here or deliberately left out, so a new manifest field cannot be forgotten.
type Field struct {
	Name  string
	JSON  string                                   // path in the --json document ("git.branch")
	Value func(e *gitstore.Experiment) (any, bool) // false when the experiment has no value (exit_code before the end)
}

// Fields is the one table of metadata names.
var Fields = []Field{
	{"id", "id", func(e *gitstore.Experiment) (any, bool) { return e.ID, true }},
	{"name", "name", func(e *gitstore.Experiment) (any, bool) { return e.Name, true }},
	{"description", "description", func(e *gitstore.Experiment) (any, bool) { return e.Description, true }},
	{"status", "status", func(e *gitstore.Experiment) (any, bool) { return e.Status, true }},
	{"tags", "tags", func(e *gitstore.Experiment) (any, bool) {
		tags := make([]any, len(e.Tags))
		for i, t := range e.Tags {
			tags[i] = t
		}
		return tags, true
	}},
	{"script", "script", func(e *gitstore.Experiment) (any, bool) { return e.Script, true }},
	{"cwd", "cwd", func(e *gitstore.Experiment) (any, bool) { return e.Cwd, true }},
	{"executor", "executor", func(e *gitstore.Experiment) (any, bool) { return e.Executor, true }},
	{"host", "host", func(e *gitstore.Experiment) (any, bool) { return e.Host, true }},
	{"user", "user", func(e *gitstore.Experiment) (any, bool) { return e.User, true }},
	{"email", "email", func(e *gitstore.Experiment) (any, bool) { return e.Email, true }},
	{"created", "created", func(e *gitstore.Experiment) (any, bool) { return e.Created, true }},
	{"started", "started", func(e *gitstore.Experiment) (any, bool) { return e.Started, true }},
	{"ended", "ended", func(e *gitstore.Experiment) (any, bool) { return e.Ended, true }},
	{"updated", "updated", func(e *gitstore.Experiment) (any, bool) { return e.Updated, true }},
	{"duration_s", "duration_s", func(e *gitstore.Experiment) (any, bool) { return e.DurationS, true }},
	{"exit_code", "exit_code", func(e *gitstore.Experiment) (any, bool) {
		if e.ExitCode == nil {
			return nil, false
		}
		return *e.ExitCode, true
	}},
	{"error", "error", func(e *gitstore.Experiment) (any, bool) { return e.Error, true }},
	{"batch", "batch", func(e *gitstore.Experiment) (any, bool) { return e.Batch, true }},
	{"seq", "seq", func(e *gitstore.Experiment) (any, bool) { return e.Seq, true }},
	{"parent", "parent", func(e *gitstore.Experiment) (any, bool) { return e.Parent, true }},
	{"attempt", "attempt", func(e *gitstore.Experiment) (any, bool) { return e.Attempt, true }},
	{"archived", "archived", func(e *gitstore.Experiment) (any, bool) { return e.Archived, true }},
	{"head", "git.head", func(e *gitstore.Experiment) (any, bool) { return e.Git.Head, true }},
	{"branch", "git.branch", func(e *gitstore.Experiment) (any, bool) { return e.Git.Branch, true }},
	{"dirty", "git.dirty", func(e *gitstore.Experiment) (any, bool) { return e.Git.Dirty, true }},
	{"remote", "git.remote", func(e *gitstore.Experiment) (any, bool) { return e.Git.Remote, true }},
	{"snapshot", "git.snapshot", func(e *gitstore.Experiment) (any, bool) { return e.Git.Snapshot, true }},
}

// NotFields are the --json paths of the manifest that are deliberately not metadata names, with the reason.
var NotFields = map[string]string{
	"format":         "the storage format version, the same for every experiment",
	"argv":           "a list of words; script names the program",
	"runner":         "internal: the process that runs it (not in --json)",
	"extra":          "a map of executor details (extra.slurm_job_id), not one value",
	"param_sources":  "where the parameters came from: a list of records",
	"git.skipped":    "a list of file names",
	"git.submodules": "a list of records (path, commit, dirty); git.dirty already counts a dirty submodule",
}

var fieldByName = func() map[string]*Field {
	m := make(map[string]*Field, len(Fields))
	for i := range Fields {
		m[Fields[i].Name] = &Fields[i]
	}
	return m
}()
