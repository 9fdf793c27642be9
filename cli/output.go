package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/git-exp/git-exp/config"
)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// printTree prints a params/results tree as indented "key: value" lines.
func printTree(w io.Writer, v any, indent string) {
	m, ok := v.(map[string]any)
	if !ok {
		fmt.Fprintf(w, "%s%s\n", indent, formatValue(v))
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if sub, ok := m[k].(map[string]any); ok && len(sub) > 0 {
			fmt.Fprintf(w, "%s%s:\n", indent, k)
			printTree(w, sub, indent+"  ")
			continue
		}
		fmt.Fprintf(w, "%s%s: %s\n", indent, k, formatValue(m[k]))
	}
}

// formatValue prints one value as a user wrote it.
func formatValue(v any) string { return config.FormatValue(v) }

// relTime prints a time relative to now, for terminals.
func relTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	d := time.Since(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d sec ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours ago", int(d.Hours()))
	case d < 60*24*time.Hour:
		return fmt.Sprintf("%d days ago", int(d.Hours()/24))
	}
	return t.Local().Format("2006-01-02")
}

// humanDuration prints seconds for people.
func humanDuration(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

var tsvCell = strings.NewReplacer("\t", " ", "\n", " ")

// table prints rows: a table on a terminal, tab-separated values (no header, no colour) on a pipe.
func table(io *IO, header []string, rows [][]string) error {
	if !io.OutTTY {
		w := bufio.NewWriterSize(io.Out, 64<<10)
		for _, r := range rows {
			for i, c := range r {
				if i > 0 {
					w.WriteByte('\t')
				}
				if strings.IndexByte(c, '\t') >= 0 || strings.IndexByte(c, '\n') >= 0 {
					c = tsvCell.Replace(c)
				}
				w.WriteString(c)
			}
			w.WriteByte('\n')
		}
		return w.Flush()
	}
	t := tablewriter.NewTable(io.Out,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenRows: tw.Off, BetweenColumns: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off},
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapTruncate),
		tablewriter.WithMaxWidth(io.Width),
	)
	t.Header(header)
	if err := t.Bulk(rows); err != nil {
		return err
	}
	return t.Render()
}

// colorStatus colours a status on a terminal.
func colorStatus(io *IO, s string) string {
	if !io.Color {
		return s
	}
	code := ""
	switch s {
	case "completed":
		code = "32"
	case "failed", "crashed":
		code = "31"
	case "running", "queued":
		code = "36"
	case "cancelled", "staged":
		code = "33"
	}
	if code == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}
