package knowledge

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong in a knowledge base, with where it is so that
// an author can go straight to it.
type Problem struct {
	File    string
	Line    int // 1-based; 0 when the position is unknown
	Message string
}

// String prints the problem as "file:line: message".
func (p Problem) String() string {
	if p.Line <= 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Message)
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
}

// LoadError refuses a knowledge base and lists every problem found in it,
// so that one run of the loader shows an author all there is to fix.
type LoadError struct {
	Problems []Problem
}

// Error prints one problem per line.
func (e *LoadError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// oneLine keeps a message on one line of the report.
var oneLine = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

// problems collects the problems of one load.
type problems struct {
	list []Problem
}

// add records a problem; the message is kept on one line.
func (ps *problems) add(file string, line int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	msg = oneLine.Replace(msg)
	ps.list = append(ps.list, Problem{File: file, Line: line, Message: msg})
}

// err returns nil without problems, else a *LoadError sorted by position.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	sort.SliceStable(ps.list, func(i, j int) bool {
		a, b := ps.list[i], ps.list[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return &LoadError{Problems: ps.list}
}

// quote shows a piece of author text in a message, cut to a readable size.
func quote(s string) string {
	const max = 40
	r := []rune(s)
	if len(r) > max {
		s = string(r[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
