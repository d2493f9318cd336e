package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// barWidth is the number of cells of the progress bar.
const barWidth = 24

// progressLine shows a remote job's progress on stderr: on a terminal, one
// line redrawn in place with a bar; elsewhere (a file, a pipe, CI logs),
// one plain line per change.
type progressLine struct {
	w    io.Writer
	tty  bool
	last string
	open bool // a redrawn line is on screen without its newline
}

// newProgressLine writes to w, redrawing in place when tty.
func newProgressLine(w io.Writer, tty bool) *progressLine {
	return &progressLine{w: w, tty: tty}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// update shows the job's status when it changed.
func (p *progressLine) update(j *jobStatus) {
	text := fmt.Sprintf("%s: %s", j.ID, j.Status)
	if j.Progress.Total > 0 {
		text += fmt.Sprintf(" %d/%d", j.Progress.Done, j.Progress.Total)
	}
	if j.Progress.Phase != "" && j.Status == "running" {
		text += " (" + j.Progress.Phase + ")"
	}
	if text == p.last {
		return
	}
	p.last = text
	if !p.tty {
		fmt.Fprintln(p.w, text)
		return
	}
	// \r and "erase to end of line" redraw the line in place.
	fmt.Fprintf(p.w, "\r\x1b[K%s %s", bar(j.Progress.Done, j.Progress.Total), text)
	p.open = true
}

// finish ends a redrawn line, so what follows starts on its own line.
func (p *progressLine) finish() {
	if p.open {
		fmt.Fprintln(p.w)
		p.open = false
	}
}

// bar draws done out of total as [#####-----]; an unknown total is empty.
func bar(done, total int) string {
	n := 0
	if total > 0 {
		n = min(max(done, 0)*barWidth/total, barWidth)
	}
	return "[" + strings.Repeat("#", n) + strings.Repeat("-", barWidth-n) + "]"
}
