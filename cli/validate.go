package cli

import (
	"fmt"
	"strings"
)

// Validate hooks: kong calls them after parsing, so a value that cannot mean anything is one line and exit 2
// instead of being accepted silently (issue 14, item 18).

func countFlags(retry, jobs int) error {
	if retry < 0 {
		return fmt.Errorf("--retry=%d: the number of extra tries cannot be negative (0: no retry)", retry)
	}
	if jobs < 0 {
		return fmt.Errorf("--jobs=%d: cannot be negative (0: one per CPU)", jobs)
	}
	return nil
}

// Validate implements kong's hook.
func (c *RunCmd) Validate() error { return countFlags(c.Retry, c.Jobs) }

// Validate implements kong's hook.
func (c *RerunCmd) Validate() error { return countFlags(c.Retry, c.Jobs) }

// Validate implements kong's hook.
func (c *ContinueCmd) Validate() error { return countFlags(c.Retry, c.Jobs) }

// Validate implements kong's hook.
func (c *ListCmd) Validate() error {
	if c.Limit < 0 {
		return fmt.Errorf("--limit=%d: cannot be negative (--all shows every experiment)", c.Limit)
	}
	return checkColumns(c.Columns)
}

// checkColumns refuses an empty column name (--columns ',,,' or 'id,,name').
func checkColumns(cols []string) error {
	for _, col := range cols {
		if strings.TrimSpace(col) == "" {
			return fmt.Errorf("--columns %q: a column name is empty; list names separated by commas, e.g. --columns id,name,lr", strings.Join(cols, ","))
		}
	}
	return nil
}

// Validate implements kong's hook.
func (c *RenameCmd) Validate() error {
	if strings.TrimSpace(c.Name) == "" {
		return fmt.Errorf("the new name is empty: give a name, e.g. git exp rename %s baseline", c.ID)
	}
	return nil
}
