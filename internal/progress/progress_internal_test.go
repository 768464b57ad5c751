package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock advances only when told to.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestPlainLinesAreRateLimited(t *testing.T) {
	var buf bytes.Buffer
	clk := &fakeClock{t: time.Unix(0, 0)}
	r := &reporter{w: &buf, every: 5 * time.Second, now: clk.now}
	task := r.Start("writing out.iso", 1000)
	for i := 0; i < 100; i++ { // 100 quick updates in the same instant: no line
		task.Add(5)
	}
	require.Empty(t, buf.String())
	clk.t = clk.t.Add(6 * time.Second)
	task.Add(5)
	require.Equal(t, 1, strings.Count(buf.String(), "\n"), "one line after the interval")
	task.Add(495)
	task.Done()
	task.Done() // idempotent
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2)
	require.Contains(t, lines[1], "100% (1000 B of 1000 B")
}

func TestTTYRedrawsOneLine(t *testing.T) {
	var buf bytes.Buffer
	clk := &fakeClock{t: time.Unix(0, 0)}
	r := &reporter{w: &buf, tty: true, every: 100 * time.Millisecond, now: clk.now}
	task := r.Start("writing", 100)
	clk.t = clk.t.Add(time.Second)
	task.Add(50)
	task.Done()
	require.Equal(t, 1, strings.Count(buf.String(), "\n"))
	require.True(t, strings.HasPrefix(buf.String(), "\rwriting ["))
}

func TestBytes(t *testing.T) {
	require.Equal(t, "600.0 MiB", Bytes(600<<20))
	require.Equal(t, "512 B", Bytes(512))
}
