package retry_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/retry"
)

// errNotReady stands for a health endpoint that is still starting.
var errNotReady = errors.New("503 service unavailable")

// Polling a health endpoint until it is ready, for at most five tries and
// never past the context's deadline; the sleep is injected here so the
// example runs at once (leave it nil to really wait).
func ExamplePolicy_Do() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := retry.Policy{
		Attempts:  5,
		Base:      time.Second,
		Max:       8 * time.Second,
		Retryable: func(err error) bool { return errors.Is(err, errNotReady) },
		Jitter:    func(d time.Duration) time.Duration { return d },
		Sleep: func(_ context.Context, d time.Duration) error {
			fmt.Println("waiting", d)
			return nil
		},
	}
	n, err := p.Do(ctx, func(attempt int) error {
		if attempt < 4 {
			return errNotReady
		}
		return nil
	})
	fmt.Println(n, err)
	// Output:
	// waiting 1s
	// waiting 2s
	// waiting 4s
	// 4 <nil>
}
