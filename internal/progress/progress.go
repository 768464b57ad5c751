// Package progress is the one progress reporter of esxi-byoi. Leaves never print:
// they count bytes into a [Task]; the edge (CLI or action) picks how that is shown.
//
//   - a redrawn bar when stderr is a terminal;
//   - plain lines otherwise, at most every 5 seconds or 10 %, so CI logs stay short.
package progress

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Reporter starts tasks. Implementations are safe for concurrent use.
type Reporter interface {
	// Start begins a task with a title ("writing out.iso") and a total in
	// bytes (0 when unknown).
	Start(title string, total int64) Task
}

// Task is one unit of long work.
type Task interface {
	Add(n int64) // n more bytes done
	Done()       // finished (success or not); prints the final line
}

// Discard reports nothing.
var Discard Reporter = discard{}

type discard struct{}

func (discard) Start(string, int64) Task { return discardTask{} }

type discardTask struct{}

func (discardTask) Add(int64) {}
func (discardTask) Done()     {}

// New returns the reporter for w: a bar when tty is true, plain lines otherwise.
func New(w io.Writer, tty bool) Reporter {
	if tty {
		return &reporter{w: w, tty: true, every: 100 * time.Millisecond, now: time.Now}
	}
	return &reporter{w: w, every: 5 * time.Second, now: time.Now}
}

type reporter struct {
	w     io.Writer
	tty   bool
	every time.Duration
	now   func() time.Time
}

func (r *reporter) Start(title string, total int64) Task {
	t := &task{r: r, title: title, total: total, start: r.now()}
	t.last = t.start
	return t
}

type task struct {
	r       *reporter
	mu      sync.Mutex
	title   string
	total   int64
	done    int64
	start   time.Time
	last    time.Time
	lastPct int64
	printed int64 // t.done when the last plain line was printed
	ended   bool
}

func (t *task) Add(n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done += n
	now := t.r.now()
	pct := int64(-1)
	if t.total > 0 {
		pct = t.done * 100 / t.total
	}
	if t.r.tty {
		if now.Sub(t.last) >= t.r.every {
			t.last = now
			fmt.Fprintf(t.r.w, "\r%s", t.line(now))
		}
		return
	}
	// Plain output: a line every interval, or every 10 % step, whichever first.
	// A 10 % step prints only if a second has passed, so a fast job prints just
	// its final line.
	step := pct >= 0 && pct/10 > t.lastPct/10 && now.Sub(t.last) >= time.Second
	if now.Sub(t.last) >= t.r.every || step {
		t.last = now
		t.lastPct = pct
		t.printed = t.done
		fmt.Fprintln(t.r.w, t.line(now))
	}
}

func (t *task) Done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		return
	}
	t.ended = true
	now := t.r.now()
	if t.r.tty {
		fmt.Fprintf(t.r.w, "\r%s\n", t.line(now))
		return
	}
	if t.done > 0 && t.done != t.printed {
		fmt.Fprintln(t.r.w, t.line(now))
	}
}

func (t *task) line(now time.Time) string {
	el := now.Sub(t.start)
	rate := ""
	if el > 0 {
		rate = fmt.Sprintf(" %s/s", Bytes(int64(float64(t.done)/el.Seconds())))
	}
	if t.total > 0 {
		pct := t.done * 100 / t.total
		if t.r.tty {
			const width = 30
			fill := int(pct * width / 100)
			bar := make([]byte, width)
			for i := range bar {
				if i < fill {
					bar[i] = '='
				} else {
					bar[i] = ' '
				}
			}
			return fmt.Sprintf("%s [%s] %3d%% %s/%s%s", t.title, bar, pct, Bytes(t.done), Bytes(t.total), rate)
		}
		return fmt.Sprintf("%s: %d%% (%s of %s,%s)", t.title, pct, Bytes(t.done), Bytes(t.total), rate)
	}
	return fmt.Sprintf("%s: %s%s", t.title, Bytes(t.done), rate)
}

// Bytes formats n with a binary unit: "600.0 MiB".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Writer counts everything written through it into t.
type Writer struct{ T Task }

func (w Writer) Write(p []byte) (int, error) {
	w.T.Add(int64(len(p)))
	return len(p), nil
}
