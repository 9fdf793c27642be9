package gitstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDate turns a date in any format git understands ("2 weeks ago", "yesterday", "2026-01-31") into a time,
// through git itself (`git rev-parse --since=DATE` prints --max-age=SECONDS). The zero time for "". An unreadable
// date is an error that says what would work.
func (s *Store) ParseDate(ctx context.Context, date string) (time.Time, error) {
	if date == "" {
		return time.Time{}, nil
	}
	// git reads what it cannot parse as "now". With its clock pinned (GIT_TEST_DATE_NOW, which git's date code
	// honours), "now" comes back exactly, and is an error unless asked for.
	now := time.Now().Unix()
	out, err := s.Git.RunWith(ctx, nil, []string{"GIT_TEST_DATE_NOW=" + strconv.FormatInt(now, 10)}, "rev-parse", "--since="+date)
	bad := fmt.Errorf("cannot read the date %q (try '2 weeks ago', 'yesterday', '2026-01-31' or '2026-01-31 14:00')", date)
	if err != nil {
		return time.Time{}, bad
	}
	v, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "--max-age=")
	secs, perr := strconv.ParseInt(v, 10, 64)
	if !ok || perr != nil {
		return time.Time{}, bad
	}
	lower := strings.ToLower(date)
	if secs == now && !strings.ContainsAny(date, "0123456789") && !strings.Contains(lower, "now") &&
		!strings.Contains(lower, "today") {
		return time.Time{}, bad
	}
	return time.Unix(secs, 0), nil
}
