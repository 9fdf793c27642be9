package cli

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clipperhouse/displaywidth"

	"github.com/git-exp/git-exp/value"
)

// writeJSON prints v as indented JSON with the one typed encoder (value.MarshalIndent): floats stay floats, and NaN,
// Infinity and -Infinity are the bare tokens of the stored files.
func writeJSON(w io.Writer, v any) error {
	b, err := value.MarshalIndent(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Text is what a terminal gets of a string that comes from data (a name, a tag, a parameter value, anything read from
// the store): on a terminal, control characters (C0 but tab, DEL, C1) and bytes that are not UTF-8 are shown escaped
// (\x1b, \x07, \u009b, \xff), so that a teammate's experiment cannot set the window title, clear the screen or
// move the cursor; pipes, --format and --json keep the exact bytes. Every human output of data goes through it:
// table() for every cell, and show, diff and printTree for the lines they print.
func (io *IO) Text(s string) string {
	if !io.OutTTY {
		return s
	}
	return escapeControls(s)
}

// escapeControls escapes control characters and invalid UTF-8 in s (it returns s itself when there are none).
func escapeControls(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 && r != '\t', r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// printTree prints a params/results tree as indented "key: value" lines, data through io.Text.
func printTree(io *IO, w io.Writer, v any, indent string) {
	m, ok := v.(map[string]any)
	if !ok {
		fmt.Fprintf(w, "%s%s\n", indent, io.Text(formatValue(v)))
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if sub, ok := m[k].(map[string]any); ok && len(sub) > 0 {
			fmt.Fprintf(w, "%s%s:\n", indent, io.Text(k))
			printTree(io, w, sub, indent+"  ")
			continue
		}
		fmt.Fprintf(w, "%s%s: %s\n", indent, io.Text(k), io.Text(formatValue(m[k])))
	}
}

// tableValue is formatValue for tables: on a terminal (human) a float shows 6 significant digits (0.059, not
// 0.05900000000000005); pipes, files and --format get every digit.
func tableValue(v any, human bool) string {
	if human {
		return value.Short(v)
	}
	return value.Cell(v)
}

// tableCell is tableValue of m[k], "-" when missing.
func tableCell(m map[string]any, k string, human bool) string {
	v, ok := m[k]
	if !ok {
		return "-"
	}
	return tableValue(v, human)
}

// humanKV is the "k=v k=v" cell of a params or results JSON for a terminal (floats as tableValue shows them).
func humanKV(raw []byte) string {
	return value.CompactKVWith(flat(raw), func(v any) string { return tableValue(v, true) })
}

// formatValue prints one value as a user wrote it.
func formatValue(v any) string { return value.Cell(v) }

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
		return fmt.Sprintf("%d %s ago", int(d.Hours()), plural(int(d.Hours()), "hour", "hours"))
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
	// Data is escaped here, once for every table, and trimmed; the status column is coloured as it is written
	// (colorStatus of the escaped text), so that only git-exp's own colour codes reach the terminal.
	status := slices.Index(header, "STATUS")
	for i := range header {
		header[i] = strings.TrimSpace(io.Text(header[i]))
	}
	for _, r := range rows {
		for i := range r {
			r[i] = strings.TrimSpace(io.Text(r[i]))
		}
	}
	fitTable(io.Width, header, rows)
	widths := columnWidths(header, rows)
	w := bufio.NewWriterSize(io.Out, 64<<10)
	writeCells(w, header, widths, nil)
	colour := func(i int, c string) string { return c }
	if status >= 0 && io.Color {
		colour = func(i int, c string) string {
			if i == status {
				return colorStatus(io, c)
			}
			return c
		}
	}
	for _, r := range rows {
		writeCells(w, r, widths, colour)
	}
	return w.Flush()
}

// cellWidth is the number of terminal columns s takes: wide (East Asian) characters two, combining marks and
// zero-width characters none, an emoji sequence two. Cells reach it escaped (IO.Text): no control characters.
func cellWidth(s string) int { return displaywidth.String(s) }

// columnWidths returns the width of each column: its widest cell, header included.
func columnWidths(header []string, rows [][]string) []int {
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = cellWidth(h)
	}
	for _, r := range rows {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], cellWidth(c))
			}
		}
	}
	return widths
}

// writeCells writes one line of a terminal table: each cell padded to its column's width, with one space either
// side (a missing cell is blank). shown, when not nil, gives what is printed for cell i (a coloured status); the
// padding is always measured on the cell itself.
func writeCells(w *bufio.Writer, cells []string, widths []int, shown func(i int, c string) string) {
	for i, width := range widths {
		c := ""
		if i < len(cells) {
			c = cells[i]
		}
		w.WriteByte(' ')
		if shown != nil {
			w.WriteString(shown(i, c))
		} else {
			w.WriteString(c)
		}
		for pad := width - cellWidth(c); pad > 0; pad-- {
			w.WriteByte(' ')
		}
		w.WriteByte(' ')
	}
	w.WriteByte('\n')
}

// fitTable makes a terminal table fit width (in place): cells go on one line, and when the columns are too wide
// together only the widest are cut (with "…"), to the largest width that fits, so short columns (id, status, tags)
// stay whole. Each column takes two more characters of padding.
func fitTable(width int, header []string, rows [][]string) {
	for _, r := range rows {
		for i, c := range r {
			if strings.ContainsAny(c, "\n\r\t") {
				r[i] = tsvCell.Replace(c)
			}
		}
	}
	widths := columnWidths(header, rows)
	budget := width - 2*len(header)
	total := 0
	for _, w := range widths {
		total += w
	}
	if total <= budget {
		return
	}
	const minCap = 6
	capw := minCap
	for c := slices.Max(widths); c > minCap; c-- {
		sum := 0
		for _, w := range widths {
			sum += min(w, c)
		}
		if sum <= budget {
			capw = c
			break
		}
	}
	cut := func(s string) string {
		return displaywidth.TruncateString(s, capw, "…")
	}
	for i := range header {
		header[i] = cut(header[i])
	}
	for _, r := range rows {
		for i := range r {
			r[i] = cut(r[i])
		}
	}
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
